import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../daemon/log.js';
import { SerialWatcher } from '../../../daemon/transport/serial-watcher.js';
import { UsbWatcher } from '../../../daemon/transport/usb-watcher.js';
import { VolumeWaitAborted, VolumeWatcher } from '../../../daemon/transport/volumes.js';
import { ExfatVolume } from '../../helpers/exfat.js';

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
    expect(await v.probe('BWCA000001')).toEqual({ present: false, mounted: false, answering: true });
    // An event wakes the waiter long before its 10 s poll (the waiter listens before the rename happens).
    const t0 = Date.now();
    const woken = v.nextChange('BWCA000001', 10_000);
    setTimeout(() => renameSync(join(dir, 'staging'), join(root, 'BWCA000001')), 50);
    await woken;
    expect(Date.now() - t0).toBeLessThan(9_000);
    // A plain folder renamed into place is not a mount point: same device as the mount root.
    expect(await v.probe('BWCA000001')).toEqual({ present: true, mounted: false, answering: true });
    let goneCalled = false;
    v.onceGone('BWCA000001', () => (goneCalled = true));
    renameSync(join(root, 'BWCA000001'), join(dir, 'staging'));
    await until(() => goneCalled);
    expect(await v.waitGone('BWCA000001', 100)).toBe(true);
    // A mount point left behind, empty and unmounted, is no volume; one holding files is.
    mkdirSync(join(root, 'BWCLEFT'));
    expect(await v.isGone('BWCLEFT')).toBe(true);
    writeFileSync(join(root, 'BWCLEFT', 'x'), 'x');
    expect(await v.isGone('BWCLEFT')).toBe(false);
    expect(await v.waitGone('BWCLEFT', 50)).toBe(false);
    const ac = new AbortController();
    const waiting = v.nextChange('NEVER', 60_000, ac.signal);
    ac.abort('recorder unplugged');
    await expect(waiting).rejects.toBeInstanceOf(VolumeWaitAborted);
  });
});

describe('VolumeWatcher with twenty slots waiting at once', () => {
  it('holds every wait without an abort listener on a shared signal (no MaxListenersExceededWarning), and its stop ends them all', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-vw20-'));
    const v = new VolumeWatcher(join(dir, 'media'), log);
    stops.push(() => v.stop());
    await v.start();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const sessions = Array.from({ length: 20 }, () => new AbortController());
      const waits = sessions.map((ac, i) => v.nextChange(`BWCA${String(i).padStart(6, '0')}`, 60_000, ac.signal));
      // Each session's own signal carries one listener, removed when its wait ends.
      expect(sessions.map((ac) => getEventListeners(ac.signal, 'abort').length)).toEqual(Array(20).fill(1));
      await v.stop();
      for (const w of waits) await expect(w).rejects.toBeInstanceOf(VolumeWaitAborted);
      expect(sessions.map((ac) => getEventListeners(ac.signal, 'abort').length)).toEqual(Array(20).fill(0));
      await expect(v.nextChange('BWCLATE', 60_000)).rejects.toBeInstanceOf(VolumeWaitAborted);
      // A warning is emitted on the next tick of the listener that passed the limit.
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
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
    expect(await v.probe('BWCA000002')).toEqual({ present: true, mounted: false, answering: true });
    expect(await v.isGone('BWCA000002')).toBe(true);
  });
});

describe('VolumeWatcher on a real exFAT volume whose FUSE process stops or dies', () => {
  it('a volume that stops answering is there and not answering (never gone), looked at by one request at a time and never by the watch; a dead one is gone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-vw-'));
    const root = join(dir, 'media');
    const v = new VolumeWatcher(root, log, 500);
    stops.push(() => v.stop());
    await v.start();
    const vol = ExfatVolume.create(dir, 'BWCHUNG', 16);
    stops.push(() => vol.destroy());
    writeFileSync(join(dir, 'local'), 'on the dock');
    await vol.mount(join(root, 'BWCHUNG'));
    expect(await v.probe('BWCHUNG')).toEqual({ present: true, mounted: true, answering: true });
    vol.stop();
    // The kernel may answer from its attribute cache for a moment; then the look waits on the FUSE process.
    const end = Date.now() + 10_000;
    while ((await v.probe('BWCHUNG')).answering) {
      if (Date.now() > end) throw new Error('the stopped volume kept answering');
    }
    expect(await v.probe('BWCHUNG')).toEqual({ present: true, mounted: true, answering: false });
    expect(await v.isGone('BWCHUNG')).toBe(false);
    expect(await v.waitGone('BWCHUNG', 100)).toBe(false);
    // Each look left waiting would hold one of the I/O thread pool's threads (4 unless UV_THREADPOOL_SIZE says
    // otherwise): more probes than threads later, a read of a local file still gets one, so they all waited for
    // the one look in flight.
    // Nor does the watch stat the hung volume when other folders come and go beside it.
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    for (let i = 0; i <= threads; i++) expect((await v.probe('BWCHUNG')).answering).toBe(false);
    for (let i = 0; i <= threads; i++) {
      const woken = v.nextChange(`BWCOTHER${i}`, 10_000);
      mkdirSync(join(dir, 'other'));
      renameSync(join(dir, 'other'), join(root, `BWCOTHER${i}`));
      await woken;
    }
    expect(await readFile(join(dir, 'local'), 'utf8')).toBe('on the dock');
    // Resumed, the look that waited comes back.
    vol.resume();
    let after = await v.probe('BWCHUNG');
    while (!after.answering) {
      if (Date.now() > end + 10_000) throw new Error('the resumed volume does not answer');
      after = await v.probe('BWCHUNG');
    }
    expect(after).toEqual({ present: true, mounted: true, answering: true });
    // A FUSE process that dies leaves its mount answering ENOTCONN (once the kill lands and the cached attributes
    // expire): no volume.
    vol.yank();
    const killed = Date.now();
    while (!(await v.isGone('BWCHUNG'))) {
      if (Date.now() > killed + 10_000) throw new Error('the dead volume is still there');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await v.probe('BWCHUNG')).toEqual({ present: false, mounted: false, answering: true });
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
