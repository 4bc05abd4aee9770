import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { isThumbnailOf, thumbnailsDir } from '../ingest/media.js';
import { manifestPaths, type Manifest, type Tombstone } from '../ingest/manifest.js';
import type { Recording } from '../ledger/recordings.js';
import type { TombstoneRecord } from '../ledger/tombstones.js';
import { archiveDir } from './archive/build.js';
import { stamp, type RetentionDeps } from './deps.js';

/** Why a recording was not purged: held (004 §16), not yet due, already purged, unknown, its file could not be removed, or the agency store does not hold it yet. */
export type PurgeRefusal = 'hold' | 'not_due' | 'purged' | 'not_found' | 'io_error' | 'not_replicated';

export interface PurgeResult {
  purged: number[];
  refused: { id: number; reason: PurgeRefusal }[];
}

/** Tombstones per purge manifest: one manifest per batch keeps the chain short without making a manifest huge. */
const TOMBSTONES_PER_MANIFEST = 200;

/** Decide one item: null when it may be purged now. */
function refusalOf(deps: Pick<RetentionDeps, 'ledger'>, rec: Recording | null, nowMs: number, held: boolean): PurgeRefusal | null {
  if (!rec) return 'not_found';
  if (rec.purgedAtMs !== null || deps.ledger.tombstones.get(rec.id)) return 'purged';
  if (held) return 'hold';
  if (rec.retainUntilMs > nowMs) return 'not_due';
  // A replicating dock keeps a file until the agency store holds it (a `not_replicated` finding says so).
  if (deps.ledger.upstream.purgeMustWait(rec.id, nowMs)) return 'not_replicated';
  return null;
}

/**
 * Purge item by item (CONTRACT `POST /api/retention/purge`). Per batch: a signed purge manifest listing the
 * tombstones is written and recorded first (with the tombstone rows, in the ledger transaction of the
 * manifest); only then is each file removed and its folder fsynced, and the recording marked purged with an
 * audit entry. A stop in between leaves signed tombstones whose files `finishPendingPurges` removes.
 * Callers hold the retention lock.
 */
export async function purgeLocked(deps: RetentionDeps, ids: readonly number[], reason: string, by: string): Promise<PurgeResult> {
  const { ledger } = deps;
  const now = deps.now();
  const unique = [...new Set(ids)];
  const held = ledger.holds.heldIds(unique);
  const result: PurgeResult = { purged: [], refused: [] };
  const admitted: Recording[] = [];
  for (const id of unique) {
    const rec = ledger.recordings.get(id);
    const refusal = refusalOf(deps, rec, now, held.has(id));
    if (refusal) result.refused.push({ id, reason: refusal });
    else admitted.push(rec!);
  }
  for (let i = 0; i < admitted.length; i += TOMBSTONES_PER_MANIFEST) {
    const batch = admitted.slice(i, i + TOMBSTONES_PER_MANIFEST);
    await signTombstones(deps, batch, reason, by, now);
    for (const rec of batch) {
      const ok = await removeFile(deps, ledger.tombstones.get(rec.id)!, by, false);
      if (ok) result.purged.push(rec.id);
      else result.refused.push({ id: rec.id, reason: 'io_error' });
    }
  }
  return result;
}

/** Step 1 of a purge (exported for crash tests): sign and record the tombstones of `batch`. */
export async function signTombstones(deps: RetentionDeps, batch: Recording[], reason: string, by: string, now: number): Promise<void> {
  const at = deps.iso(now);
  const sessionId = `purge-${stamp(now)}-${randomUUID().slice(0, 8)}`;
  const tombstones: Tombstone[] = batch.map((r) => ({
    serial: r.serial,
    seq: r.seq,
    name: r.name,
    storedPath: r.storedPath,
    size: r.size,
    sha256: r.sha256,
    approvedBy: by,
    at,
    reason,
  }));
  await deps.chain.append({ kind: 'purge', dockId: deps.dockId, sessionId, createdAt: at, tombstones }, by, () => {
    for (const r of batch) {
      deps.ledger.tombstones.add({ recordingId: r.id, manifestSessionId: sessionId, serial: r.serial, seq: r.seq, name: r.name, storedPath: r.storedPath, size: r.size, sha256: r.sha256, approvedBy: by, at, atMs: now, reason });
      deps.ledger.retention.addDecision({ recordingId: r.id, decision: 'purge', reason, previousUntil: r.retainUntil, until: null, untilMs: null, decidedBy: by, decidedAt: at, decidedAtMs: now });
      deps.ledger.retention.dequeue(r.id);
    }
  });
}

/** Remove a signed tombstone's file (gone already is fine), fsync its folder, remove its derived copies, then mark it purged and audit it. */
async function removeFile(deps: RetentionDeps, t: TombstoneRecord, actor: string, recovered: boolean): Promise<boolean> {
  const full = join(deps.dataDir, t.storedPath);
  try {
    await deps.ops.unlink(full);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      deps.log.error({ storedPath: t.storedPath, err: (e as Error).message }, 'purge: the file could not be removed; its signed tombstone stays pending');
      return false;
    }
  }
  try {
    await deps.ops.fsyncDir(dirname(full));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      deps.log.error({ storedPath: t.storedPath, err: (e as Error).message }, 'purge: fsync of the folder failed; tombstone stays pending');
      return false;
    }
  }
  let derived: string[];
  try {
    derived = await removeDerivedCopies(deps, t.recordingId);
  } catch (e) {
    deps.log.error({ storedPath: t.storedPath, err: (e as Error).message }, 'purge: a derived copy (thumbnail, archive image) could not be removed; tombstone stays pending');
    return false;
  }
  const at = deps.now();
  deps.ledger.tx(() => {
    deps.ledger.tombstones.complete(t.recordingId, at);
    deps.ledger.audit.append(at, actor, 'recording.purged', `${t.serial}/${t.seq}`, {
      recordingId: t.recordingId,
      name: t.name,
      storedPath: t.storedPath,
      size: t.size,
      sha256: t.sha256,
      approvedBy: t.approvedBy,
      reason: t.reason,
      manifest: t.manifestSessionId,
      derivedCopiesRemoved: derived,
      ...(recovered ? { recovered: true } : {}),
    });
  });
  return true;
}

/**
 * Every derived copy of a recording's footage on the dock, removed: its cached thumbnails and the archive disc
 * images that hold it (a disc holding purged footage can no longer be handed out; its record stays). Returns
 * the paths removed, relative to the data folder; gone already is fine.
 */
async function removeDerivedCopies(deps: Pick<RetentionDeps, 'dataDir' | 'ledger' | 'ops'>, recordingId: number): Promise<string[]> {
  const removed: string[] = [];
  const gone = async (path: string): Promise<boolean> => {
    try {
      await deps.ops.unlink(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  };
  const thumbs = thumbnailsDir(deps.dataDir);
  const names = existsSync(thumbs) ? await readdir(thumbs) : [];
  for (const name of names.filter((n) => isThumbnailOf(n, recordingId))) if (await gone(join(thumbs, name))) removed.push(relative(deps.dataDir, join(thumbs, name)));
  const dirs = new Set<string>(removed.length ? [thumbs] : []);
  for (const a of deps.ledger.archives.holding(recordingId)) {
    const dir = archiveDir(deps.dataDir, a.id);
    for (const im of a.images) {
      if (await gone(join(dir, im.name))) {
        removed.push(relative(deps.dataDir, join(dir, im.name)));
        dirs.add(dir);
      }
    }
  }
  for (const d of dirs) await deps.ops.fsyncDir(d);
  return removed;
}

/**
 * Start-up (and every sweep): finish purges a stop cut off. Purge manifests the ledger holds without tombstone
 * rows (adopted by ingest recovery after a crash between signing and committing) get their rows from the
 * signed manifest; every signed tombstone whose file is not yet removed is removed now.
 * Callers hold the retention lock.
 */
export async function finishPendingPurges(deps: RetentionDeps): Promise<number> {
  const { ledger } = deps;
  for (const sessionId of ledger.tombstones.purgeManifestsWithoutTombstones()) {
    const p = manifestPaths(deps.dataDir, sessionId);
    if (!existsSync(p.json)) {
      deps.log.error({ manifest: sessionId }, 'purge manifest recorded in the ledger is missing on disk');
      continue;
    }
    const m = JSON.parse(readFileSync(p.json, 'utf8')) as Manifest;
    if (m.kind !== 'purge') continue;
    ledger.tx(() => {
      for (const t of m.tombstones) {
        const id = ledger.tombstones.recordingIdOf(t.storedPath);
        if (id === null || ledger.tombstones.get(id)) continue;
        const atMs = Date.parse(t.at);
        ledger.tombstones.add({ recordingId: id, manifestSessionId: sessionId, serial: t.serial, seq: t.seq, name: t.name, storedPath: t.storedPath, size: t.size, sha256: t.sha256, approvedBy: t.approvedBy, at: t.at, atMs, reason: t.reason });
        ledger.retention.dequeue(id);
      }
    });
  }
  let done = 0;
  for (const t of ledger.tombstones.pending()) {
    if (await removeFile(deps, t, 'dock', true)) {
      done++;
      deps.log.warn({ storedPath: t.storedPath, manifest: t.manifestSessionId }, 'finished a purge cut off after its tombstone was signed');
    }
  }
  return done;
}
