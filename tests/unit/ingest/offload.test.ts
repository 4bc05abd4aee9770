import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CopyPool } from '../../../daemon/ingest/copy-pool.js';
import { IngestError } from '../../../daemon/ingest/errors.js';
import { resolveOnVolume, storeFile, type PlannedRecording } from '../../../daemon/ingest/offload.js';
import { realStorage, type StorageOps } from '../../../daemon/ingest/storage.js';
import { Ledger } from '../../../daemon/ledger/index.js';

let dir: string;
let ledger: Ledger;
const pool = new CopyPool(1);
afterAll(() => pool.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-off-'));
  for (const d of ['tmp', 'footage', 'vol/DCIM/100BWC']) mkdirSync(join(dir, d), { recursive: true });
  ledger = Ledger.open(join(dir, 'ledger.sqlite'), (ms) => new Date(ms).toISOString());
  ledger.sessions.create('S1', '/dev/x', 1);
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function plan(seq: number, size: number): PlannedRecording {
  return {
    serial: 'A000001',
    seq,
    name: `A000001_123456_20261124080000_${String(seq).padStart(4, '0')}.MP4`,
    devicePath: `DCIM/100BWC/A000001_123456_20261124080000_${String(seq).padStart(4, '0')}.MP4`,
    deviceSha256: null,
    fileFlags: 0,
    recordedStart: '2026-11-24T08:00:00.000+08:00',
    recordedStartMs: 0,
    correctedStart: null,
    correctedStartMs: null,
    driftMs: null,
    driftUncertaintyMs: null,
    durationMs: 1000,
    offloadedAt: 'x',
    offloadedAtMs: 1,
    delayMs: null,
    sessionId: 'S1',
    officerNo: '123456',
    unitNo: null,
    checkoutId: null,
    retainUntil: 'y',
    retainUntilMs: 2,
    flags: [],
    storedDir: 'footage/A000001/2026-11',
    storedName: `A000001_123456_20261124080000_${String(seq).padStart(4, '0')}.MP4`,
    catalogSize: size,
  };
}

function volumeFile(seq: number, bytes: Buffer): string {
  const p = join(dir, 'vol', 'DCIM/100BWC', `A000001_123456_20261124080000_${String(seq).padStart(4, '0')}.MP4`);
  writeFileSync(p, bytes);
  return p;
}

const deps = (ops: StorageOps = realStorage, minFreeBytes = 0) => ({ dataDir: dir, ledger, pool, ops, minFreeBytes, now: () => 5, iso: (ms: number) => String(ms) });

describe('storeFile', () => {
  it('hashes in the copy pass and commits fsync(file) → link → fsync(folder) before the ledger row', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const src = volumeFile(1, bytes);
    const calls: string[] = [];
    const ops: StorageOps = {
      ...realStorage,
      fsyncFile: async (p) => (calls.push(`fsyncFile ${p.includes('/tmp/') ? 'temp' : p}`), realStorage.fsyncFile(p)),
      link: async (a, b) => (calls.push('link'), realStorage.link(a, b)),
      fsyncDir: async (p) => (calls.push(`fsyncDir ${p.endsWith('2026-11') ? 'final' : p.endsWith('tmp') ? 'tmp' : 'other'}`), realStorage.fsyncDir(p)),
      chmod: async (p, m) => (calls.push(`chmod ${m.toString(8)}`), realStorage.chmod(p, m)),
    };
    let rowAtCommit = -1;
    const out = await storeFile(deps(ops), src, plan(1, bytes.length), () => [], () => undefined, (id) => (rowAtCommit = id));
    expect(out.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const order = calls.filter((c) => !c.startsWith('fsyncDir other'));
    expect(order).toEqual(['fsyncFile temp', 'chmod 444', 'link', 'fsyncDir final', 'fsyncDir tmp']);
    const stored = join(dir, out.storedPath);
    expect(statSync(stored).mode & 0o777).toBe(0o444);
    expect(rowAtCommit).toBe(out.recordingId);
    expect(ledger.recordings.get(out.recordingId)).toMatchObject({ sha256: out.sha256, size: bytes.length });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(ledger.journal.pending()).toEqual([]);
  });

  it('never replaces a stored file of the same name: the second copy goes beside it', async () => {
    const a = await storeFile(deps(), volumeFile(2, Buffer.from('first')), plan(2, 5), () => [], () => undefined, () => undefined);
    const p = plan(2, 6);
    const b = await storeFile(deps(), volumeFile(2, Buffer.from('second')), p, () => [], () => undefined, () => undefined);
    expect(b.storedPath).not.toBe(a.storedPath);
    expect(existsSync(join(dir, a.storedPath))).toBe(true);
    expect(existsSync(join(dir, b.storedPath))).toBe(true);
  });

  it('adopts an identical file left at the target by a crash instead of storing a second copy', async () => {
    const bytes = Buffer.from('the very same bytes');
    const p = plan(5, bytes.length);
    mkdirSync(join(dir, p.storedDir), { recursive: true });
    writeFileSync(join(dir, p.storedDir, p.storedName), bytes);
    const out = await storeFile(deps(), volumeFile(5, bytes), p, () => [], () => undefined, () => undefined);
    expect(out.storedPath).toBe(`${p.storedDir}/${p.storedName}`);
    expect(readdirSync(join(dir, p.storedDir))).toEqual([p.storedName]);
    expect(ledger.recordings.all()).toHaveLength(1);
  });

  it('refuses below the free-space floor and leaves nothing behind', async () => {
    await expect(storeFile(deps(realStorage, Number.MAX_SAFE_INTEGER), volumeFile(3, Buffer.from('x')), plan(3, 1), () => [], () => undefined, () => undefined)).rejects.toMatchObject({
      code: 'disk_low',
    });
    expect(ledger.recordings.all()).toEqual([]);
  });

  it('a failure after the copy leaves no temp file, no footage file and no row', async () => {
    const ops: StorageOps = { ...realStorage, fsyncDir: async () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) };
    await expect(storeFile(deps(ops), volumeFile(4, Buffer.from('data')), plan(4, 4), () => [], () => undefined, () => undefined)).rejects.toThrow('EIO');
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(existsSync(join(dir, 'footage/A000001/2026-11', plan(4, 4).storedName))).toBe(false);
    expect(ledger.recordings.all()).toEqual([]);
    expect(ledger.journal.pending()).toEqual([]);
  });
});

describe('resolveOnVolume', () => {
  it('never follows a symlink, file or folder', async () => {
    const vol = join(dir, 'vol');
    symlinkSync('/etc/passwd', join(vol, 'DCIM/100BWC/link.MP4'));
    symlinkSync('/etc', join(vol, 'DCIM/200BWC'));
    await expect(resolveOnVolume(vol, 'DCIM/100BWC/link.MP4')).rejects.toMatchObject({ code: 'not_regular' });
    await expect(resolveOnVolume(vol, 'DCIM/200BWC/passwd')).rejects.toBeInstanceOf(IngestError);
    await expect(resolveOnVolume(vol, 'DCIM/100BWC/none.MP4')).rejects.toMatchObject({ code: 'missing' });
  });
});

describe('storeFile cancelled', () => {
  it('a copy cancelled the moment it reaches a worker leaves no partial file in tmp/ once the worker has let go', async () => {
    // A fresh pool: its worker is still starting when the cancel comes, so it opens the temp file after
    // storeFile has already given up on it (the pool answers a cancel at once, before the worker stops).
    const fresh = new CopyPool(1);
    try {
      const ac = new AbortController();
      const cancelling = {
        copy: (...a: Parameters<CopyPool['copy']>) => {
          const p = fresh.copy(...a);
          ac.abort('recorder unplugged');
          return p;
        },
      } as unknown as CopyPool;
      const bytes = randomBytes(4 * 1024 * 1024);
      await expect(
        storeFile({ ...deps(), pool: cancelling, signal: ac.signal }, volumeFile(7, bytes), plan(7, bytes.length), () => [], () => undefined, () => undefined),
      ).rejects.toMatchObject({ code: 'aborted' });
      // The worker answers jobs one at a time: once it has copied this one, it has let go of the cancelled one.
      writeFileSync(join(dir, 'probe'), 'x');
      await expect(fresh.copy({ src: join(dir, 'probe'), temp: join(dir, 'probe.out'), chunkBytes: 1024, progressEveryBytes: 1024 })).resolves.toMatchObject({ bytes: 1 });
      expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
      expect(ledger.recordings.all()).toEqual([]);
      expect(ledger.journal.pending()).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
