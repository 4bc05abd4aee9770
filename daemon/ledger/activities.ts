import type { Db } from './db.js';

/** A declared enforcement activity (004 §8): recording should cover it from arrival to departure. */
export interface Activity {
  id: number;
  officerNo: string;
  start: string;
  startMs: number;
  end: string;
  endMs: number;
  caseRef: string | null;
  title: string;
  createdBy: string;
  createdAtMs: number;
}

interface Row {
  id: number;
  officer_no: string;
  start: string;
  start_ms: number;
  end: string;
  end_ms: number;
  case_ref: string | null;
  title: string;
  created_by: string;
  created_at_ms: number;
}

const toActivity = (r: Row): Activity => ({
  id: r.id,
  officerNo: r.officer_no,
  start: r.start,
  startMs: r.start_ms,
  end: r.end,
  endMs: r.end_ms,
  caseRef: r.case_ref,
  title: r.title,
  createdBy: r.created_by,
  createdAtMs: r.created_at_ms,
});

export type NewActivity = Omit<Activity, 'id'>;

export class ActivityRepo {
  constructor(private readonly db: Db) {}

  add(a: NewActivity): number {
    const info = this.db
      .prepare('INSERT INTO activities (officer_no, start, start_ms, end, end_ms, case_ref, title, created_by, created_at_ms) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(a.officerNo, a.start, a.startMs, a.end, a.endMs, a.caseRef, a.title, a.createdBy, a.createdAtMs);
    return Number(info.lastInsertRowid);
  }

  get(id: number): Activity | null {
    const r = this.db.prepare('SELECT * FROM activities WHERE id = ?').get(id) as Row | undefined;
    return r ? toActivity(r) : null;
  }

  list(q: { officerNo?: string; caseRef?: string; limit: number; beforeId?: number }): Activity[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.officerNo) (where.push('officer_no = ?'), args.push(q.officerNo));
    if (q.caseRef) (where.push('case_ref = ?'), args.push(q.caseRef));
    if (q.beforeId !== undefined) (where.push('id < ?'), args.push(q.beforeId));
    const sql = `SELECT * FROM activities ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toActivity);
  }

  /** Activities of an officer that overlap [fromMs, toMs). */
  overlapping(officerNo: string, fromMs: number, toMs: number): Activity[] {
    return (this.db.prepare('SELECT * FROM activities WHERE officer_no = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms').all(officerNo, toMs, fromMs) as Row[]).map(toActivity);
  }

  /** Ids of (unpurged) recordings of the activity's officer that overlap an activity with this case reference. */
  recordingIdsForCase(caseRef: string): number[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT r.id FROM recordings r JOIN activities a ON a.officer_no = r.officer_no
           WHERE a.case_ref = ? AND r.purged_at_ms IS NULL AND r.sort_ms < a.end_ms AND r.sort_ms + r.duration_ms > a.start_ms`,
        )
        .all(caseRef) as Array<{ id: number }>
    ).map((r) => r.id);
  }

  /** An officer's recordings (start on the dock's clock where corrected) overlapping [fromMs, toMs). */
  coverage(officerNo: string, fromMs: number, toMs: number): Array<{ id: number; seq: number; serial: string; startEpochMs: number; durationMs: number }> {
    return this.db
      .prepare(
        `SELECT id, seq, serial, sort_ms AS startEpochMs, duration_ms AS durationMs FROM recordings
         WHERE officer_no = ? AND purged_at_ms IS NULL AND sort_ms < ? AND sort_ms + duration_ms > ? ORDER BY sort_ms`,
      )
      .all(officerNo, toMs, fromMs) as Array<{ id: number; seq: number; serial: string; startEpochMs: number; durationMs: number }>;
  }
}
