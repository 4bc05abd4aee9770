import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realDevice, usbIdOfTty } from '../../../daemon/transport/usb-identity.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('usb identity of a tty', () => {
  it('reads VID:PID from the USB device above the tty interface in sysfs', () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-sys-'));
    const usbdev = join(dir, 'devices/pci0000:00/usb1/1-1');
    const iface = join(usbdev, '1-1:1.0');
    mkdirSync(iface, { recursive: true });
    writeFileSync(join(usbdev, 'idVendor'), '1209\n');
    writeFileSync(join(usbdev, 'idProduct'), '0001\n');
    mkdirSync(join(dir, 'class/tty/ttyACM0'), { recursive: true });
    symlinkSync(iface, join(dir, 'class/tty/ttyACM0/device'));
    expect(usbIdOfTty('/dev/ttyACM0', dir)).toEqual({ vid: 0x1209, pid: 0x0001 });
    expect(usbIdOfTty('/dev/pts/7', dir)).toBeNull();
  });

  it('resolves a by-id link to its device node', () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-sys-'));
    writeFileSync(join(dir, 'ttyACM0'), '');
    symlinkSync(join(dir, 'ttyACM0'), join(dir, 'usb-link'));
    expect(realDevice(join(dir, 'usb-link'))).toBe(join(dir, 'ttyACM0'));
    expect(realDevice(join(dir, 'missing'))).toBe(join(dir, 'missing'));
  });
});
