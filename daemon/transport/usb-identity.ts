import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The real device node behind a path (a by-id symlink and its ttyACM are one recorder). */
export function realDevice(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * VID:PID of the USB device a tty belongs to, read from sysfs (`/sys/class/tty/<tty>/device/..`), or
 * null where there is no sysfs entry (a pty, a machine without USB).
 */
export function usbIdOfTty(devNode: string, sysRoot = '/sys'): { vid: number; pid: number } | null {
  const link = join(sysRoot, 'class', 'tty', basename(devNode), 'device');
  if (!existsSync(link)) return null;
  let dir: string;
  try {
    dir = realpathSync(link);
  } catch {
    return null;
  }
  for (let i = 0; i < 6 && dir !== '/' && dir.startsWith(sysRoot); i++, dir = dirname(dir)) {
    const v = join(dir, 'idVendor');
    const p = join(dir, 'idProduct');
    if (existsSync(v) && existsSync(p)) {
      return { vid: parseInt(readFileSync(v, 'utf8').trim(), 16), pid: parseInt(readFileSync(p, 'utf8').trim(), 16) };
    }
  }
  return null;
}
