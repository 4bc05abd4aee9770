import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileEntry } from '../../firmware-protocol/codec/payloads.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import { IngestError } from './errors.js';
import { hashFile } from './hash.js';
import { resolveOnVolume } from './offload.js';
import type { StorageOps } from './storage.js';

export interface EraseDeps {
  dataDir: string;
  ledger: Ledger;
  ops: StorageOps;
  log: Logger;
  now(): number;
  /** SHA-256 of a file on the volume (injected so tests can count reads); `signal` stops the read. */
  hash?: (path: string, signal?: AbortSignal) => Promise<string>;
  signal?: AbortSignal;
}

/** What a session copied from a volume path: the hash of its bytes, and the file it read (device, inode, and mtime: an inode number is reused). */
export interface CopiedFile {
  sha256: string;
  dev: number;
  ino: number;
  mtimeMs: number;
}

export interface EraseRequest {
  volumePath: string;
  serial: string;
  sessionId: string;
  catalog: ReadonlyArray<FileEntry>;
  /** Catalog name → what this session copied from that very path: no second read while the path names that same file. */
  copiedHashes: ReadonlyMap<string, CopiedFile>;
}

/**
 * Erase from the recorder only originals whose stored copy is verified, committed and signed: same seq,
 * size and hash as stored, not flagged hash_mismatch/size_mismatch, stored under the very name, the stored
 * copy whole on the dock, and the volume's bytes the stored bytes. Every unlink, then an fsync of each folder
 * touched and of the volume root, go through `ops`; only then does the ledger say they are erased.
 */
export async function eraseSignedOriginals(d: EraseDeps, r: EraseRequest): Promise<{ erasedSeqs: number[]; erasedIds: number[] }> {
  const hash = d.hash ?? hashFile;
  const erasedIds: number[] = [];
  const erasedSeqs: number[] = [];
  const dirs = new Set<string>();
  // A stop (or a failed unlink) ends the loop, never the bookkeeping: what was unlinked is fsynced and recorded first.
  let stopped: { error: unknown } | null = null;
  for (const entry of r.catalog) {
    if (d.signal?.aborted) {
      stopped = { error: new IngestError('aborted', 'the erase was stopped') };
      break;
    }
    if (entry.size > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    const rec = d.ledger.recordings.findStored(r.serial, entry.seq, Number(entry.size), entry.sha256);
    if (!rec || rec.manifestSessionId === null || rec.purgedAtMs !== null) continue;
    if (rec.flags.includes('hash_mismatch') || rec.flags.includes('size_mismatch') || rec.devicePath !== entry.name) continue;
    if (entry.sha256 !== null && entry.sha256 !== rec.sha256) continue;
    let src: string;
    try {
      src = await resolveOnVolume(r.volumePath, entry.name);
      const st = await lstat(src);
      if (st.size !== rec.size) continue;
      // The stored copy must be there, whole, before its original goes.
      const kept = await lstat(join(d.dataDir, rec.storedPath));
      if (!kept.isFile() || kept.size !== rec.size) {
        d.log.error({ seq: entry.seq, storedPath: rec.storedPath }, 'stored copy missing or of the wrong size: not erasing the original');
        continue;
      }
      // What is on the volume must be what was stored: known when this session copied this very file (same
      // device, inode and mtime: not another volume or file put in its place since), else hashed now (an earlier docking stored
      // it, or the path now names another file; the volume could hold other content).
      const copied = r.copiedHashes.get(entry.name);
      const same = copied && copied.dev === st.dev && copied.ino === st.ino && copied.mtimeMs === st.mtimeMs;
      const onVolume = same ? copied.sha256 : await hash(src, d.signal);
      if (onVolume !== rec.sha256) {
        d.log.warn({ seq: entry.seq, name: entry.name }, 'volume file differs from the stored copy: not erased');
        continue;
      }
    } catch {
      continue;
    }
    // A stop that came while this file was checked (a hash of a large file takes a while) unlinks nothing more.
    if (d.signal?.aborted) {
      stopped = { error: new IngestError('aborted', 'the erase was stopped') };
      break;
    }
    try {
      await d.ops.unlinkOnVolume(src);
    } catch (e) {
      stopped = { error: e };
      break;
    }
    dirs.add(dirname(src));
    erasedIds.push(rec.id);
    erasedSeqs.push(entry.seq);
  }
  for (const dir of dirs) await d.ops.fsyncVolumeDir(dir).catch((e) => d.log.warn({ dir, err: (e as Error).message }, 'fsync of volume folder failed'));
  await d.ops.fsyncVolumeDir(r.volumePath).catch(() => undefined);
  if (erasedIds.length > 0) {
    const at = d.now();
    d.ledger.tx(() => {
      d.ledger.recordings.markErased(erasedIds, at);
      d.ledger.sessions.countErased(r.sessionId, erasedIds.length);
      d.ledger.audit.append(at, 'dock', 'recorder.erased', r.serial, { sessionId: r.sessionId, recordingIds: erasedIds });
    });
  }
  if (stopped) throw stopped.error;
  return { erasedSeqs, erasedIds };
}
