import { existsSync } from 'node:fs';
import type { Logger } from '../log.js';

/** node-usb 1.x/2.x: an EventEmitter of libusb devices. */
type LegacyDevice = { deviceDescriptor: { idVendor: number; idProduct: number }; busNumber: number; deviceAddress: number };
interface LegacyUsb {
  on(ev: 'attach' | 'detach', fn: (d: LegacyDevice) => void): void;
  off(ev: 'attach' | 'detach', fn: (d: LegacyDevice) => void): void;
  unrefHotplugEvents?: () => void;
}
/** node-usb 3.x (the version installed): a WebUSB object whose `connect`/`disconnect` events carry the device. */
type WebUsbDevice = { vendorId: number; productId: number; bus?: string; address?: number };
interface WebUsb {
  addEventListener(type: 'connect' | 'disconnect', fn: (e: Event & { device?: WebUsbDevice }) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', fn: (e: Event & { device?: WebUsbDevice }) => void): void;
}

export interface UsbId {
  vid: number;
  pid: number;
}

export interface UsbEvent {
  type: 'attach' | 'detach';
  vid: number;
  pid: number;
  busNumber: number;
  deviceAddress: number;
}

/**
 * USB hot-plug for the configured recorder VID:PIDs. An attach makes the dock look for the recorder's serial port
 * at once (Dock → SerialWatcher.rescanSoon) instead of at the serial glob's next scan; the docking itself starts
 * when that port opens. Where there is no USB stack (containers, tests) it degrades to nothing, saying so once:
 * detection by serial node and volume still works.
 */
export class UsbWatcher {
  private detachFns: Array<() => void> = [];

  constructor(
    private readonly ids: UsbId[],
    private readonly log: Logger,
    private readonly onEvent: (e: UsbEvent) => void,
    private readonly sysBus = '/sys/bus/usb/devices',
  ) {}

  private emit(type: 'attach' | 'detach', vid: number, pid: number, busNumber: number, deviceAddress: number): void {
    if (this.ids.some((i) => i.vid === vid && i.pid === pid)) this.onEvent({ type, vid, pid, busNumber, deviceAddress });
  }

  async start(): Promise<boolean> {
    if (this.ids.length === 0) return false;
    try {
      // node-usb 3 lists devices from sysfs when the first listener is added and rethrows a failure outside any
      // promise (an uncaught exception): without a USB bus there is nothing to watch, so it is never loaded.
      if (!existsSync(this.sysBus)) throw new Error(`${this.sysBus} not found`);
      const mod = (await import('usb')) as unknown as { usb?: unknown; default?: { usb?: unknown } };
      const usb = mod.usb ?? mod.default?.usb;
      if (usb && typeof (usb as WebUsb).addEventListener === 'function') {
        const web = usb as WebUsb;
        const handle = (type: 'attach' | 'detach') => (e: Event & { device?: WebUsbDevice }) => {
          const d = e.device;
          if (d) this.emit(type, d.vendorId, d.productId, Number(d.bus ?? 0), d.address ?? 0);
        };
        const onConnect = handle('attach');
        const onDisconnect = handle('detach');
        web.addEventListener('connect', onConnect);
        web.addEventListener('disconnect', onDisconnect);
        this.detachFns.push(() => {
          web.removeEventListener('connect', onConnect);
          web.removeEventListener('disconnect', onDisconnect);
        });
      } else if (usb && typeof (usb as LegacyUsb).on === 'function') {
        const legacy = usb as LegacyUsb;
        const handle = (type: 'attach' | 'detach') => (d: LegacyDevice) =>
          this.emit(type, d.deviceDescriptor.idVendor, d.deviceDescriptor.idProduct, d.busNumber, d.deviceAddress);
        const onAttach = handle('attach');
        const onDetach = handle('detach');
        legacy.on('attach', onAttach);
        legacy.on('detach', onDetach);
        legacy.unrefHotplugEvents?.();
        this.detachFns.push(() => {
          legacy.off('attach', onAttach);
          legacy.off('detach', onDetach);
        });
      } else {
        throw new Error('usb module has no hot-plug events');
      }
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
