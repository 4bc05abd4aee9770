import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockingSession } from '../../../daemon/dock/session.js';
import type { SlotView } from '../../../daemon/dock/slots.js';
import { addFiles, dockFixture, type DockFixture } from './fixture.js';

let f: DockFixture | null = null;
afterEach(async () => {
  await f?.close();
  f = null;
});

const until = async (what: string, fn: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A session in `waiting_volume` for a volume that never comes (30 s time-out). */
async function waitingForVolume(serial: string, port: string) {
  f = await dockFixture();
  f.config.detect.volumeTimeoutMs = 30_000;
  const fx = f;
  const r = fx.recorder(serial, { files: 1, msc: () => ({ expose: () => undefined, withdraw: async () => undefined }) });
  const session = new DockingSession(fx.ctx, port, r.link);
  const done = session.run();
  await until('waiting_volume', () => fx.ctx.slots.get(port)?.state === 'waiting_volume');
  return { r, session, done };
}

describe('a docking session over an in-memory link (no pty)', () => {
  it('stores, signs and erases every file; the volume is unlinked only after the manifest, then its folders are fsynced', async () => {
    f = await dockFixture();
    const r = f.recorder('A000101', { files: 3 });
    const session = new DockingSession(f.ctx, 'mem:1', r.link);
    expect(await session.run()).toBe('ready');
    const recs = f.ledger.recordings.all();
    expect(recs).toHaveLength(3);
    expect(recs.every((x) => x.sha256 === x.deviceSha256 && x.manifestSessionId === session.id && x.erasedAtMs !== null)).toBe(true);
    expect(r.state.files).toEqual([]);
    // The order of every side effect on the volume, and its place after the manifest became durable.
    const calls = f.ops.calls;
    const manifestDone = calls.findLastIndex((c) => c.startsWith('fsyncDir data/manifests'));
    const unlinks = calls.flatMap((c, i) => (c.startsWith('unlinkOnVolume') ? [i] : []));
    const volumeSyncs = calls.filter((c) => c.startsWith('fsyncVolumeDir'));
    expect(unlinks).toHaveLength(3);
    expect(Math.min(...unlinks)).toBeGreaterThan(manifestDone);
    expect(calls.slice(Math.min(...unlinks))).toEqual([
      ...[...recs].sort((a, b) => a.seq - b.seq).map((x) => `unlinkOnVolume media/BWCA000101/${x.devicePath}`),
      'fsyncVolumeDir media/BWCA000101/DCIM/100BWC',
      'fsyncVolumeDir media/BWCA000101',
    ]);
    expect(volumeSyncs).toHaveLength(2);
  });

  it('waits for a volume folder that appears empty and is filled a moment later (the mount point before its mount)', async () => {
    f = await dockFixture();
    const fx = f;
    let filledAt = 0;
    const r = fx.recorder('A000102', {
      files: 2,
      // ENTER_MSC: the mount-point folder at once, its content 600 ms later (as systemd-mount does it).
      msc: (volume) => ({
        expose: () => {
          const at = join(fx.config.detect.mountRoot, 'BWCA000102');
          mkdirSync(at);
          setTimeout(() => {
            for (const e of readdirSync(volume.storageDir)) renameSync(join(volume.storageDir, e), join(at, e));
            filledAt = Date.now();
          }, 600);
        },
        withdraw: async () => rmSync(join(fx.config.detect.mountRoot, 'BWCA000102'), { recursive: true, force: true }),
      }),
    });
    const session = new DockingSession(fx.ctx, 'mem:2', r.link);
    expect(await session.run()).toBe('ready');
    expect(filledAt).toBeGreaterThan(0);
    expect(fx.ledger.recordings.all()).toHaveLength(2);
    expect(fx.ledger.sessions.get(session.id)).toMatchObject({ result: 'ok', filesStored: 2 });
  });

  it('an unplug while waiting for the volume ends the session as interrupted at once, not at the volume time-out', async () => {
    const { r, session, done } = await waitingForVolume('A000103', 'mem:3');
    const t0 = performance.now();
    r.unplug();
    const final = await done;
    const ms = Math.round(performance.now() - t0);
    console.log(`unplug during the volume wait → interrupted in ${ms} ms (volume time-out 30000 ms)`);
    expect(final).toBe('interrupted');
    expect(f!.ledger.sessions.get(session.id)).toMatchObject({ result: 'interrupted', error: 'recorder link closed (unplugged)' });
    // Generous against a loaded machine; the old code took the whole 30 s time-out.
    expect(ms).toBeLessThan(5_000);
  });

  it('a stopping daemon (abort) during the volume wait ends the session as interrupted at once', async () => {
    const { session, done } = await waitingForVolume('A000104', 'mem:4');
    const t0 = performance.now();
    session.abort('daemon stopping');
    expect(await done).toBe('interrupted');
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(f!.ctx.slots.get('mem:4')).toMatchObject({ state: 'interrupted', error: 'daemon stopping' });
  });

  it('storage that never appears fails after detect.volumeTimeoutMs with words a manager understands', async () => {
    f = await dockFixture();
    f.config.detect.volumeTimeoutMs = 400;
    const r = f.recorder('A000105', { files: 1, msc: () => ({ expose: () => undefined, withdraw: async () => undefined }) });
    const session = new DockingSession(f.ctx, 'mem:5', r.link);
    expect(await session.run()).toBe('failed');
    expect(f.ctx.slots.get('mem:5')!.error).toMatch(/the recorder's storage did not appear: check the udev rule/);
    expect(f.ledger.sessions.get(session.id)).toMatchObject({ result: 'failed' });
    expect(r.state.mode).toBe('normal');
    expect(f.ledger.recordings.all()).toEqual([]);
    expect(r.state.files).toHaveLength(1);
  });

  it('a volume holding none of the catalogued files is not the recorder’s: failed, nothing copied or erased', async () => {
    f = await dockFixture();
    f.config.detect.volumeTimeoutMs = 400;
    const fx = f;
    const r = fx.recorder('A000106', {
      files: 2,
      msc: () => ({
        expose: () => {
          // Someone else's files under the label.
          const other = { ...r.state, files: [], nextSeq: 900, identity: { ...r.state.identity, serial: 'Z999999' }, info: { ...r.state.info } };
          addFiles(other, join(fx.config.detect.mountRoot, 'BWCA000106'), 1);
        },
        withdraw: async () => undefined,
      }),
    });
    const session = new DockingSession(fx.ctx, 'mem:6', r.link);
    expect(await session.run()).toBe('failed');
    expect(fx.ctx.slots.get('mem:6')!.error).toMatch(/this volume is not the recorder's/);
    expect(r.state.mode).toBe('normal'); // sent out of mass storage again
    expect(fx.ledger.recordings.all()).toEqual([]);
    expect(r.state.files).toHaveLength(2);
  });

  it('a recorder whose file names carry another serial is stopped before copying, with a finding naming all three', async () => {
    f = await dockFixture();
    const r = f.recorder('A000107', { files: 1 });
    const foreign = { ...r.state, files: [] as typeof r.state.files, identity: { ...r.state.identity, serial: 'B000999' } };
    addFiles(foreign, r.volume.storageDir, 1);
    r.state.files.push(...foreign.files);
    const session = new DockingSession(f.ctx, 'mem:7', r.link);
    expect(await session.run()).toBe('failed');
    const found = f.ledger.findings.query({ limit: 10, kind: 'identity_mismatch' });
    expect(found).toHaveLength(1);
    expect(found[0]!.detail).toMatch(/HELLO says serial "A000107".*INFO block says "A000107".*file names say "A000107", "B000999"/);
    expect(f.ctx.slots.get('mem:7')).toMatchObject({ state: 'failed', findings: ['identity_mismatch'] });
    expect(f.ledger.recordings.all()).toEqual([]);
    expect(r.state.mode).toBe('normal'); // never asked into mass storage
    expect(r.state.files).toHaveLength(2);
  });
});

describe('a recorder naming another serial outside the naming scheme', () => {
  it('is stopped before copying: a near-spec name (lower-case extension) of another serial is not stored under this one', async () => {
    f = await dockFixture();
    const r = f.recorder('A000109', { files: 1 });
    const foreign = { ...r.state, files: [] as typeof r.state.files, identity: { ...r.state.identity, serial: 'B000998' } };
    addFiles(foreign, r.volume.storageDir, 1);
    const odd = foreign.files[0]!;
    const lower = odd.name.replace(/\.MP4$/, '.mp4');
    renameSync(join(r.volume.storageDir, ...odd.name.split('/')), join(r.volume.storageDir, ...lower.split('/')));
    r.state.files.push({ ...odd, name: lower });
    const session = new DockingSession(f.ctx, 'mem:9', r.link);
    expect(await session.run()).toBe('failed');
    expect(f.ledger.findings.query({ limit: 10, kind: 'identity_mismatch' })[0]!.detail).toMatch(/file names say "A000109", "B000998"/);
    expect(f.ledger.recordings.all()).toEqual([]);
    expect(r.state.files).toHaveLength(2);
  });
});

describe('a docking session stopped while it erases', () => {
  it('records every original it already unlinked (fsynced, marked erased, audited) before it ends as interrupted', async () => {
    f = await dockFixture();
    const fx = f;
    const r = fx.recorder('A000108', { files: 3 });
    const session = new DockingSession(fx.ctx, 'mem:8', r.link);
    // The daemon is told to stop right after the first original is unlinked from the recorder's volume.
    const unlinkOnVolume = fx.ops.unlinkOnVolume;
    fx.ops.unlinkOnVolume = async (p) => {
      await unlinkOnVolume(p);
      session.abort('daemon stopping');
    };
    expect(await session.run()).toBe('interrupted');
    const unlinked = fx.ops.calls.filter((c) => c.startsWith('unlinkOnVolume'));
    expect(unlinked).toHaveLength(1);
    const gone = unlinked[0]!.replace('unlinkOnVolume media/BWCA000108/', '');
    // The original is gone from the volume: the ledger and the audit trail must say so.
    expect(readdirSync(join(fx.config.detect.mountRoot, 'BWCA000108', 'DCIM', '100BWC'))).not.toContain(gone.split('/').pop());
    const recs = fx.ledger.recordings.all();
    expect(recs.filter((x) => x.erasedAtMs !== null).map((x) => x.devicePath)).toEqual([gone]);
    const erasedEvents = fx.ledger.audit.list({ limit: 100 }).filter((e) => e.action === 'recorder.erased');
    expect(erasedEvents).toHaveLength(1);
    // The erasure was made durable on the volume before the ledger said it happened.
    const at = fx.ops.calls.indexOf(unlinked[0]!);
    expect(fx.ops.calls.slice(at + 1).some((c) => c === 'fsyncVolumeDir media/BWCA000108/DCIM/100BWC')).toBe(true);
  });
});

describe('a session ending after its recorder was docked again on the same port', () => {
  it('never writes into the new docking’s slot', async () => {
    const { r, done } = await waitingForVolume('A000110', 'mem:10');
    const fx = f!;
    // The recorder is pulled and put back on the same port: the dock drops the old slot and the new
    // session puts its own, while the old session is still winding down.
    fx.ctx.slots.remove('mem:10');
    const fresh: SlotView = { port: 'mem:10', sessionId: 'the-new-docking', serial: null, idCode: null, officer: null, state: 'identifying', progress: { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, rate: 0 }, driftMs: null, battery: null, error: null, findings: [], startedAt: 'now' };
    fx.ctx.slots.put(fresh);
    r.unplug();
    expect(await done).toBe('interrupted');
    expect(fx.ctx.slots.get('mem:10')).toEqual(fresh);
  });
});

describe('a volume swapped between the copy and the erase', () => {
  it('is checked file by file again: files of the same names and sizes but other bytes are not erased', async () => {
    f = await dockFixture();
    const fx = f;
    const r = fx.recorder('A000111', { files: 2 });
    const at = join(fx.config.detect.mountRoot, 'BWCA000111');
    // While the manifest is made durable (after every copy, before the erase), another volume takes the
    // recorder's place under its label: the same names and sizes, other bytes.
    let swapped = false;
    const fsyncDir = fx.ops.fsyncDir;
    fx.ops.fsyncDir = async (p) => {
      if (!swapped && p.endsWith('/manifests')) {
        swapped = true;
        renameSync(at, join(fx.dir, 'the-recorders-volume'));
        for (const file of r.state.files) {
          const dest = join(at, ...file.name.split('/'));
          mkdirSync(join(dest, '..'), { recursive: true });
          writeFileSync(dest, randomBytes(Number(file.size)));
        }
      }
      return fsyncDir(p);
    };
    const session = new DockingSession(fx.ctx, 'mem:11', r.link);
    await session.run();
    expect(swapped).toBe(true);
    expect(fx.ops.calls.filter((c) => c.startsWith('unlinkOnVolume'))).toEqual([]);
    expect(fx.ledger.recordings.all().every((x) => x.erasedAtMs === null)).toBe(true);
  });
});
