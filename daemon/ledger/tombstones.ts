import type { Db } from './db.js';

/** What remains of a purged recording (CONTRACT "Storage and signatures"), and in which purge manifest it was signed. */
export interface TombstoneRecord {
  recordingId: number;
  manifestSessionId: string;
  serial: string;
  seq: number;
  name: string;
  storedPath: string;
  size: number;
  sha256: string;
  approvedBy: string;
  at: string;
  atMs: number;
  reason: string;
  /** Null between signing and removing the file: start-up recovery finishes such a purge. */
  fileRemovedAtMs: number | null;
}

interface Row {
  recording_id: number;
  manifest_session_id: string;
  serial: string;
  seq: number;
  name: string;
  stored_path: string;
  size: number;
  sha256: string;
  approved_by: string;
  at: string;
  at_ms: number;
  reason: string;
  file_removed_at_ms: number | null;
}

const toRecord = (r: Row): TombstoneRecord => ({
  recordingId: r.recording_id,
  manifestSessionId: r.manifest_session_id,
  serial: r.serial,
  seq: r.seq,
  name: r.name,
  storedPath: r.stored_path,
  size: r.size,
  sha256: r.sha256,
  approvedBy: r.approved_by,
  at: r.at,
  atMs: r.at_ms,
  reason: r.reason,
  fileRemovedAtMs: r.file_removed_at_ms,
});

export class TombstoneRepo {
  constructor(private readonly db: Db) {}

  /** Record a signed tombstone (inside the transaction that records its purge manifest). */
  add(t: Omit<TombstoneRecord, 'fileRemovedAtMs'>): void {
    this.db
      .prepare(
        `INSERT INTO tombstones (recording_id, manifest_session_id, serial, seq, name, stored_path, size, sha256, approved_by, at, at_ms, reason)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(t.recordingId, t.manifestSessionId, t.serial, t.seq, t.name, t.storedPath, t.size, t.sha256, t.approvedBy, t.at, t.atMs, t.reason);
  }

  /** The file is gone: the tombstone is complete and the recording purged. */
  complete(recordingId: number, atMs: number): void {
    this.db.prepare('UPDATE tombstones SET file_removed_at_ms = ? WHERE recording_id = ? AND file_removed_at_ms IS NULL').run(atMs, recordingId);
    this.db.prepare('UPDATE recordings SET purged_at_ms = ? WHERE id = ? AND purged_at_ms IS NULL').run(atMs, recordingId);
  }

  get(recordingId: number): TombstoneRecord | null {
    const r = this.db.prepare('SELECT * FROM tombstones WHERE recording_id = ?').get(recordingId) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  /** Signed but the file not yet removed (a purge cut off by a stop). */
  pending(): TombstoneRecord[] {
    return (this.db.prepare('SELECT * FROM tombstones WHERE file_removed_at_ms IS NULL ORDER BY recording_id').all() as Row[]).map(toRecord);
  }

  list(q: { limit: number; beforeAtMs?: { atMs: number; recordingId: number } }): TombstoneRecord[] {
    const args: unknown[] = [];
    let where = '';
    if (q.beforeAtMs) {
      where = 'WHERE at_ms < ? OR (at_ms = ? AND recording_id < ?)';
      args.push(q.beforeAtMs.atMs, q.beforeAtMs.atMs, q.beforeAtMs.recordingId);
    }
    return (this.db.prepare(`SELECT * FROM tombstones ${where} ORDER BY at_ms DESC, recording_id DESC LIMIT ?`).all(...args, q.limit) as Row[]).map(toRecord);
  }

  /** The recording stored at `storedPath` (tombstones of a manifest name files by path). */
  recordingIdOf(storedPath: string): number | null {
    const r = this.db.prepare('SELECT id FROM recordings WHERE stored_path = ?').get(storedPath) as { id: number } | undefined;
    return r?.id ?? null;
  }

  /** Purge manifests the ledger recorded (e.g. adopted by recovery) whose tombstones it has not: recovery reads them. */
  purgeManifestsWithoutTombstones(): string[] {
    return (
      this.db
        .prepare(`SELECT m.session_id AS id FROM manifests m WHERE m.kind = 'purge' AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.manifest_session_id = m.session_id) ORDER BY m.seqno`)
        .all() as { id: string }[]
    ).map((r) => r.id);
  }
}
