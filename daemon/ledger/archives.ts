import type { Db } from './db.js';

export interface ArchiveImage {
  n: number;
  name: string;
  size: number;
  sha256: string;
}

/** One export of a hold's (or a case's) footage as two identical disc images (004 §16). */
export interface ArchiveRecord {
  id: string;
  holdId: number | null;
  caseRef: string;
  title: string;
  createdBy: string;
  createdAt: string;
  createdAtMs: number;
  files: number;
  bytes: number;
  images: ArchiveImage[];
}

interface Row {
  id: string;
  hold_id: number | null;
  case_ref: string;
  title: string;
  created_by: string;
  created_at: string;
  created_at_ms: number;
  files: number;
  bytes: number;
  images_json: string;
}

const toRecord = (r: Row): ArchiveRecord => ({
  id: r.id,
  holdId: r.hold_id,
  caseRef: r.case_ref,
  title: r.title,
  createdBy: r.created_by,
  createdAt: r.created_at,
  createdAtMs: r.created_at_ms,
  files: r.files,
  bytes: r.bytes,
  images: JSON.parse(r.images_json) as ArchiveImage[],
});

export class ArchiveRepo {
  constructor(private readonly db: Db) {}

  /** An archive and the recordings its images hold. */
  add(a: ArchiveRecord, recordingIds: readonly number[]): void {
    this.db
      .prepare('INSERT INTO archives (id, hold_id, case_ref, title, created_by, created_at, created_at_ms, files, bytes, images_json) VALUES (?,?,?,?,?,?,?,?,?,?)')
      .run(a.id, a.holdId, a.caseRef, a.title, a.createdBy, a.createdAt, a.createdAtMs, a.files, a.bytes, JSON.stringify(a.images));
    const held = this.db.prepare('INSERT OR IGNORE INTO archive_recordings (archive_id, recording_id) VALUES (?,?)');
    for (const id of recordingIds) held.run(a.id, id);
  }

  /** The recordings an archive's images hold. */
  recordingIds(archiveId: string): number[] {
    return (this.db.prepare('SELECT recording_id FROM archive_recordings WHERE archive_id = ? ORDER BY recording_id').all(archiveId) as { recording_id: number }[]).map((r) => r.recording_id);
  }

  /** The archives whose images hold a recording: derived copies of its footage. */
  holding(recordingId: number): ArchiveRecord[] {
    return (this.db.prepare('SELECT a.* FROM archives a JOIN archive_recordings ar ON ar.archive_id = a.id WHERE ar.recording_id = ? ORDER BY a.created_at_ms').all(recordingId) as Row[]).map(toRecord);
  }

  get(id: string): ArchiveRecord | null {
    const r = this.db.prepare('SELECT * FROM archives WHERE id = ?').get(id) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  list(q: { limit: number; holdId?: number; before?: { createdAtMs: number; id: string } }): ArchiveRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.holdId !== undefined) (where.push('hold_id = ?'), args.push(q.holdId));
    if (q.before) (where.push('(created_at_ms < ? OR (created_at_ms = ? AND id < ?))'), args.push(q.before.createdAtMs, q.before.createdAtMs, q.before.id));
    const sql = `SELECT * FROM archives ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at_ms DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toRecord);
  }
}
