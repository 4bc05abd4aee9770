import { randomUUID } from 'node:crypto';
import { lstat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Ledger } from '../ledger/index.js';
import type { NewRecording } from '../ledger/recordings.js';
import { CopyError, type CopyPool } from './copy-pool.js';
import { classifyErrno, IngestError } from './errors.js';
import { hashFile } from './hash.js';
import { mkdirDurably, type StorageOps } from './storage.js';


/** A recording about to be stored: all its ledger fields but those the copy produces. */
export type PlannedRecording = Omit<NewRecording, 'size' | 'sha256' | 'storedPath'> & {
  /** Folder under dataDir (relative, `footage/...`) the file goes into. */
  storedDir: string;
  /** File name on the dock (the recorder's own base name). */
  storedName: string;
  /** Size the catalog announced. */
  catalogSize: number;
};

export interface StoreOutcome {
  recordingId: number;
  sha256: string;
  size: number;
  storedPath: string;
  /** A stored copy of this very file existed already (same serial, seq and hash): nothing new was stored. */
  duplicate: boolean;
}

export interface StoreDeps {
  dataDir: string;
  ledger: Ledger;
  pool: CopyPool;
  ops: StorageOps;
  minFreeBytes: number;
  now(): number;
  iso(ms: number): string;
  /** Cancels the copy at once (an unplug, a stopping daemon): the partial temp file is removed. */
  signal?: AbortSignal;
}

/**
 * Refuse a source path that leaves the volume or passes through a symlink anywhere. The name was
 * already checked for `..` and odd characters; this checks the volume as it is now.
 */
export async function resolveOnVolume(volumeRoot: string, name: string): Promise<string> {
  const full = join(volumeRoot, ...name.split('/'));
  const rel = relative(volumeRoot, full);
  if (rel.startsWith('..') || rel.split(sep).includes('..')) throw new IngestError('bad_name', `${name} leaves the volume`);
  let cur = volumeRoot;
  const parts = rel.split(sep);
  for (let i = 0; i < parts.length; i++) {
    cur = join(cur, parts[i]!);
    let st;
    try {
      st = await lstat(cur);
    } catch (e) {
      throw classifyErrno((e as NodeJS.ErrnoException).code ?? 'EIO', name, (e as Error).message);
    }
    if (st.isSymbolicLink()) throw new IngestError('not_regular', `${name}: ${parts.slice(0, i + 1).join('/')} is a symlink, never followed`);
    if (i < parts.length - 1 ? !st.isDirectory() : !st.isFile()) throw new IngestError('not_regular', `${name} is not a regular file`);
  }
  return full;
}

/**
 * Store one file: intent in the journal, copy+hash into a temp file (off the main thread), fsync it, make it
 * read-only, link it into `footage/` (never replacing anything), fsync the folders, then one ledger
 * transaction records the recording and clears the journal. A failure at any step leaves no partial file in
 * `footage/` and no recording row.
 */
export async function storeFile(
  d: StoreDeps,
  src: string,
  plan: PlannedRecording,
  extraFlags: (sha256: string, size: number) => string[],
  onProgress: (bytes: number) => void,
  afterCommit: (recordingId: number, sha256: string, size: number) => void,
  volumeDev?: number,
): Promise<StoreOutcome> {
  const free = await d.ops.freeBytes(d.dataDir);
  if (free - plan.catalogSize < d.minFreeBytes) {
    throw new IngestError('disk_low', `dock storage has ${free} bytes free; storing ${plan.catalogSize} more would pass the floor of ${d.minFreeBytes}`);
  }
  const tmpDir = join(d.dataDir, 'tmp');
  // Unique whatever runs at once (two catalog entries may share a seq).
  const temp = join(tmpDir, `${plan.sessionId}-${plan.seq}-${randomUUID().slice(0, 8)}.part`);
  let storedRel = `${plan.storedDir}/${plan.storedName}`;
  const journalId = d.ledger.journal.begin(
    { sessionId: plan.sessionId, serial: plan.serial, seq: plan.seq, tempPath: temp, storedPath: storedRel, entryJson: JSON.stringify(plan) },
    d.now(),
  );
  let linked: string | null = null;
  try {
    let result: { sha256: string; bytes: number };
    try {
      result = await d.pool.copy({ src, temp, progressEveryBytes: 4 << 20, ...(volumeDev !== undefined ? { expectDev: volumeDev } : {}) }, onProgress, plan.sessionId, d.signal);
    } catch (e) {
      const code = e instanceof CopyError ? e.code : 'EIO';
      throw classifyErrno(code, plan.devicePath, (e as Error).message);
    }
    // The same file stored before (e.g. the catalog announced another size): keep one copy.
    const existing = d.ledger.recordings.findByContent(plan.serial, plan.seq, result.sha256);
    if (existing) {
      await unlink(temp).catch(() => undefined);
      d.ledger.journal.done(journalId);
      return { recordingId: existing.id, sha256: result.sha256, size: result.bytes, storedPath: existing.storedPath, duplicate: true };
    }
    d.ledger.journal.renaming(journalId, result.sha256);
    await d.ops.fsyncFile(temp);
    await d.ops.chmod(temp, 0o444);
    const dir = join(d.dataDir, plan.storedDir);
    await mkdirDurably(d.ops, dir);
    // Link into place, never replacing: another file of that name stored already (a recorder reusing
    // names) sends this one to a folder named by its seq and hash. The journal names each target first.
    let target = join(d.dataDir, storedRel);
    for (let attempt = 0; ; attempt++) {
      d.ledger.journal.target(journalId, storedRel);
      try {
        await d.ops.link(temp, target);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // A file left at the target by a crash, with this very content and no ledger row: adopt it.
        if (!d.ledger.recordings.isStoredAt(storedRel) && (await hashFile(target)) === result.sha256) {
          break;
        }
        if (attempt >= 8) throw e;
        storedRel = `${plan.storedDir}/${plan.seq}-${result.sha256.slice(0, 12)}${attempt ? `-${attempt}` : ''}/${plan.storedName}`;
        target = join(d.dataDir, storedRel);
        await mkdirDurably(d.ops, dirname(target));
      }
    }
    linked = target;
    await d.ops.fsyncDir(dirname(target));
    await d.ops.unlink(temp);
    await d.ops.fsyncDir(tmpDir);
    const flags = [...plan.flags, ...extraFlags(result.sha256, result.bytes)];
    const { storedDir: _a, storedName: _b, catalogSize: _c, ...row } = plan;
    let recordingId = 0;
    d.ledger.tx(() => {
      recordingId = d.ledger.recordings.insert({ ...row, flags, size: result.bytes, sha256: result.sha256, storedPath: storedRel });
      d.ledger.sessions.countStored(plan.sessionId, result.bytes);
      d.ledger.journal.done(journalId);
      d.ledger.audit.append(d.now(), 'dock', 'recording.stored', `${plan.serial}/${plan.seq}`, { storedPath: storedRel, sha256: result.sha256, size: result.bytes, flags });
      afterCommit(recordingId, result.sha256, result.bytes);
    });
    return { recordingId, sha256: result.sha256, size: result.bytes, storedPath: storedRel, duplicate: false };
  } catch (e) {
    // Nothing half-done stays: the temp goes, and a linked copy without its ledger row goes too.
    await unlink(temp).catch(() => undefined);
    if (linked) await unlink(linked).catch(() => undefined);
    d.ledger.journal.done(journalId);
    throw e;
  }
}
