import type { Logger } from '../log.js';

type UsbDevice = { deviceDescriptor: { idVendor: number; idProduct: number }; busNumber: number; deviceAddress: number };
interface LegacyUsb {
  on(ev: 'attach' | 'detach', fn: (d: UsbDevice) => void): void;
  off(ev: 'attach' | 'detach', fn: (d: UsbDevice) => void): void;
  unrefHotplugEvents?: () => void;
}

export interface UsbId {
  vid: number;
  pid: number;
}

/**
 * USB hot-plug for the configured recorder VID:PIDs. It tells the log (and the slot view) that a recorder
 * was plugged or pulled; the docking itself starts when its serial node appears. Where there is no USB
 * stack (containers, tests) it degrades to nothing, saying so once.
 */
export class UsbWatcher {
  private detachFns: Array<() => void> = [];

  constructor(
    private readonly ids: UsbId[],
    private readonly log: Logger,
    private readonly onEvent: (e: { type: 'attach' | 'detach'; vid: number; pid: number; busNumber: number; deviceAddress: number }) => void,
  ) {}

  async start(): Promise<boolean> {
    if (this.ids.length === 0) return false;
    try {
      const mod = (await import('usb')) as unknown as { usb: LegacyUsb; default?: { usb: LegacyUsb } };
      const usb = mod.usb ?? mod.default?.usb;
      if (!usb || typeof usb.on !== 'function') throw new Error('usb module has no hot-plug emitter');
      const handle = (type: 'attach' | 'detach') => (d: UsbDevice) => {
        const { idVendor: vid, idProduct: pid } = d.deviceDescriptor;
        if (this.ids.some((i) => i.vid === vid && i.pid === pid)) this.onEvent({ type, vid, pid, busNumber: d.busNumber, deviceAddress: d.deviceAddress });
      };
      const onAttach = handle('attach');
      const onDetach = handle('detach');
      usb.on('attach', onAttach);
      usb.on('detach', onDetach);
      usb.unrefHotplugEvents?.();
      this.detachFns.push(() => {
        usb.off('attach', onAttach);
        usb.off('detach', onDetach);
      });
      this.log.info({ ids: this.ids.map((i) => `${i.vid.toString(16)}:${i.pid.toString(16)}`) }, 'usb hot-plug watching');
      return true;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'no usable USB stack: hot-plug off, detection by serial node and volume only');
      return false;
    }
  }

  stop(): void {
    for (const f of this.detachFns.splice(0)) f();
  }
}
