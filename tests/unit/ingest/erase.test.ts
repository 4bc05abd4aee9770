import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileEntry } from '../../../firmware-protocol/codec/payloads.js';
import { CopyPool } from '../../../daemon/ingest/copy-pool.js';
import { eraseSignedOriginals } from '../../../daemon/ingest/erase.js';
import { hashFile } from '../../../daemon/ingest/hash.js';
import { storeFile, type PlannedRecording } from '../../../daemon/ingest/offload.js';
import { realStorage, type StorageOps } from '../../../daemon/ingest/storage.js';
import { Ledger } from '../../../daemon/ledger/index.js';
import { createLogger } from '../../../daemon/log.js';

const SERIAL = 'A000501';
const log = createLogger({ level: 'silent' });
let dir: string;
let ledger: Ledger;
const pool = new CopyPool(1);
afterAll(() => pool.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-erase-'));
  for (const d of ['data/tmp', 'data/footage', 'vol/DCIM/100BWC']) mkdirSync(join(dir, d), { recursive: true });
  ledger = Ledger.open(join(dir, 'data', 'ledger.sqlite'), (ms) => new Date(ms).toISOString());
  ledger.sessions.create('S0', '/dev/x', 1);
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const nameOf = (seq: number) => `DCIM/100BWC/${SERIAL}_123456_20261124080000_${String(seq).padStart(4, '0')}.MP4`;

/** A file an earlier docking stored and signed, still on the recorder's volume: its catalog entry. */
async function storedAndSigned(seq: number): Promise<FileEntry> {
  const bytes = randomBytes(64 * 1024);
  const src = join(dir, 'vol', ...nameOf(seq).split('/'));
  writeFileSync(src, bytes);
  const base = nameOf(seq).split('/').pop()!;
  const plan: PlannedRecording = {
    serial: SERIAL, seq, name: base, devicePath: nameOf(seq), deviceSha256: null, fileFlags: 0,
    recordedStart: null, recordedStartMs: null, correctedStart: null, correctedStartMs: null, driftMs: null, driftUncertaintyMs: null,
    durationMs: 1000, offloadedAt: 'x', offloadedAtMs: 1, delayMs: null, sessionId: 'S0', officerNo: '123456', unitNo: null, checkoutId: null,
    retainUntil: 'y', retainUntilMs: 2, flags: [], storedDir: `footage/${SERIAL}/2026-11`, storedName: base, catalogSize: bytes.length,
  };
  const out = await storeFile({ dataDir: join(dir, 'data'), ledger, pool, ops: realStorage, minFreeBytes: 0, now: () => 5, iso: String }, src, plan, () => [], () => undefined, () => undefined);
  ledger.recordings.markSigned([out.recordingId], 'S0');
  return { name: nameOf(seq), size: BigInt(bytes.length), start: null, startRaw: '20261124080000', durationMs: 1000, seq, flags: 0, sha256: null } as unknown as FileEntry;
}

describe('eraseSignedOriginals stopped', () => {
  it('a stop that comes while a volume file is being hashed unlinks nothing more, and records what it did unlink', async () => {
    const catalog = [await storedAndSigned(1), await storedAndSigned(2)];
    const ac = new AbortController();
    const unlinked: string[] = [];
    const ops: StorageOps = { ...realStorage, unlinkOnVolume: async (p) => (unlinked.push(p), realStorage.unlinkOnVolume(p)) };
    let hashed = 0;
    // The daemon is told to stop while the second file (stored at an earlier docking) is being hashed.
    const hash = async (p: string) => {
      if (++hashed === 2) ac.abort('daemon stopping');
      return hashFile(p);
    };
    await expect(
      eraseSignedOriginals(
        { dataDir: join(dir, 'data'), ledger, ops, log, now: () => 9, hash, signal: ac.signal },
        { volumePath: join(dir, 'vol'), serial: SERIAL, sessionId: 'S0', catalog, copiedHashes: new Map() },
      ),
    ).rejects.toMatchObject({ code: 'aborted' });
    expect(unlinked).toEqual([join(dir, 'vol', ...nameOf(1).split('/'))]);
    expect(existsSync(join(dir, 'vol', ...nameOf(2).split('/')))).toBe(true);
    const bySeq = new Map(ledger.recordings.all().map((r) => [r.seq, r]));
    expect(bySeq.get(1)!.erasedAtMs).toBe(9);
    expect(bySeq.get(2)!.erasedAtMs).toBeNull();
  });
});

describe('eraseSignedOriginals and what this session copied', () => {
  it('trusts the copy’s hash only for the very file copied; another file at that path is hashed, and kept when its bytes differ', async () => {
    const [same, swapped] = [await storedAndSigned(3), await storedAndSigned(4)];
    const path = (e: FileEntry) => join(dir, 'vol', ...e.name.split('/'));
    const rec = (seq: number) => ledger.recordings.all().find((x) => x.seq === seq)!;
    const st3 = statSync(path(same));
    const st4 = statSync(path(swapped));
    // seq 4's path now names another file of the same size (another volume in the recorder's place); the
    // file system may well give it the inode number just freed.
    rmSync(path(swapped));
    writeFileSync(path(swapped), randomBytes(Number(swapped.size)));
    utimesSync(path(swapped), st4.atime, new Date(st4.mtimeMs + 2_000)); // written later, whatever the clock's grain
    const copiedHashes = new Map([
      [same.name, { sha256: rec(3).sha256, dev: st3.dev, ino: st3.ino, mtimeMs: st3.mtimeMs }],
      [swapped.name, { sha256: rec(4).sha256, dev: st4.dev, ino: st4.ino, mtimeMs: st4.mtimeMs }],
    ]);
    const hashed: string[] = [];
    const hash = async (p: string) => (hashed.push(p), hashFile(p));
    const out = await eraseSignedOriginals(
      { dataDir: join(dir, 'data'), ledger, ops: realStorage, log, now: () => 9, hash },
      { volumePath: join(dir, 'vol'), serial: SERIAL, sessionId: 'S0', catalog: [same, swapped], copiedHashes },
    );
    expect(out.erasedSeqs).toEqual([3]);
    expect(hashed).toEqual([path(swapped)]);
    expect(existsSync(path(swapped))).toBe(true);
  });
});
