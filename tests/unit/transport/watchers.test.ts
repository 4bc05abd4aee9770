import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../daemon/log.js';
import { SerialWatcher } from '../../../daemon/transport/serial-watcher.js';
import { UsbWatcher } from '../../../daemon/transport/usb-watcher.js';
import { VolumeWaitAborted, VolumeWatcher } from '../../../daemon/transport/volumes.js';

const log = createLogger({ level: 'silent' });
let dir: string;
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  rmSync(dir, { recursive: true, force: true });
});
const until = async (f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SerialWatcher', () => {
  it('finds ports already there and new ones matching the glob (a symlink counts), and sees them go', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-sw-'));
    writeFileSync(join(dir, 'target'), '');
    symlinkSync(join(dir, 'target'), join(dir, 'bwc-A1'));
    const seen: string[] = [];
    const gone: string[] = [];
    const w = new SerialWatcher([join(dir, 'bwc-*')], log, (p) => seen.push(p), (p) => gone.push(p));
    stops.push(() => w.stop());
    await w.start();
    expect(seen).toEqual([join(dir, 'bwc-A1')]);
    symlinkSync(join(dir, 'target'), join(dir, 'bwc-A2'));
    writeFileSync(join(dir, 'other-A3'), '');
    const t0 = Date.now();
    await until(() => seen.length === 2);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(seen[1]).toBe(join(dir, 'bwc-A2'));
    unlinkSync(join(dir, 'bwc-A1'));
    await until(() => gone.length === 1);
    expect(gone).toEqual([join(dir, 'bwc-A1')]);
  });

  it('takes the folder of a glob', () => {
    expect(SerialWatcher.folderOf('/dev/serial/by-id/usb-*')).toBe('/dev/serial/by-id');
    expect(SerialWatcher.folderOf('/dev/ttyACM*')).toBe('/dev');
  });
});

describe('VolumeWatcher', () => {
  it('wakes a waiter when <mountRoot>/<label> appears by rename, probes it, and tells when it goes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-vw-'));
    const root = join(dir, 'media');
    const v = new VolumeWatcher(root, log);
    stops.push(() => v.stop());
    await v.start();
    mkdirSync(join(dir, 'staging'));
    expect(v.probe('BWCA000001')).toEqual({ present: false, mounted: false });
    // An event wakes the waiter long before its 10 s poll (the waiter listens before the rename happens).
    const t0 = Date.now();
    const woken = v.nextChange('BWCA000001', 10_000);
    setTimeout(() => renameSync(join(dir, 'staging'), join(root, 'BWCA000001')), 50);
    await woken;
    expect(Date.now() - t0).toBeLessThan(9_000);
    expect(v.isPresent('BWCA000001')).toBe(true);
    // A plain folder renamed into place is not a mount point: same device as the mount root.
    expect(v.probe('BWCA000001')).toEqual({ present: true, mounted: false });
    let goneCalled = false;
    v.onceGone('BWCA000001', () => (goneCalled = true));
    renameSync(join(root, 'BWCA000001'), join(dir, 'staging'));
    await until(() => goneCalled);
    expect(await v.waitGone('BWCA000001', 100)).toBe(true);
    // A mount point left behind, empty and unmounted, is no volume; one holding files is.
    mkdirSync(join(root, 'BWCLEFT'));
    expect(v.isGone('BWCLEFT')).toBe(true);
    writeFileSync(join(root, 'BWCLEFT', 'x'), 'x');
    expect(v.isGone('BWCLEFT')).toBe(false);
    expect(await v.waitGone('BWCLEFT', 50)).toBe(false);
    const ac = new AbortController();
    const waiting = v.nextChange('NEVER', 60_000, ac.signal);
    ac.abort('recorder unplugged');
    await expect(waiting).rejects.toBeInstanceOf(VolumeWaitAborted);
  });
});

describe('VolumeWatcher with a mount root reached through a symlink', () => {
  it('a plain folder under it is not a mount point (the root is compared as the folder it leads to)', async () => {
    // The symlink lives on one file system (tmpdir), the folder it leads to on another (a tmpfs).
    dir = mkdtempSync(join(tmpdir(), 'bwc-vw-'));
    const real = mkdtempSync(join('/dev/shm', 'bwc-vw-real-'));
    stops.push(() => rmSync(real, { recursive: true, force: true }));
    expect(statSync(real).dev).not.toBe(statSync(dir).dev);
    const root = join(dir, 'media');
    symlinkSync(real, root);
    const v = new VolumeWatcher(root, log);
    stops.push(() => v.stop());
    await v.start();
    // The mount point systemd-mount makes before it mounts: an empty folder, no volume yet.
    mkdirSync(join(root, 'BWCA000002'));
    expect(v.probe('BWCA000002')).toEqual({ present: true, mounted: false });
    expect(v.isGone('BWCA000002')).toBe(true);
  });
});

describe('UsbWatcher', () => {
  it('does nothing with an empty VID:PID list and degrades without throwing when there is no USB stack', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-usb-'));
    expect(await new UsbWatcher([], log, () => undefined).start()).toBe(false);
    const w = new UsbWatcher([{ vid: 0x1209, pid: 0x0001 }], log, () => undefined);
    stops.push(() => w.stop());
    await expect(w.start()).resolves.toEqual(expect.any(Boolean));
  });
});
