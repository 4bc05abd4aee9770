import type { Db } from './db.js';

/** A recording past its retention date awaiting review (CONTRACT `GET /api/retention/queue`). */
export interface QueueItem {
  recordingId: number;
  serial: string;
  seq: number;
  name: string;
  officerNo: string | null;
  unitNo: string | null;
  size: number;
  sha256: string;
  startMs: number;
  retainUntil: string;
  retainUntilMs: number;
  /** When the sweep put it in the queue; null when it came due since the last sweep. */
  enteredAt: string | null;
  enteredAtMs: number | null;
  held: boolean;
}

export interface RetentionDecision {
  id: number;
  recordingId: number;
  decision: 'keep' | 'purge';
  reason: string;
  previousUntil: string;
  until: string | null;
  untilMs: number | null;
  decidedBy: string;
  decidedAt: string;
  decidedAtMs: number;
}

interface QueueRow {
  id: number;
  serial: string;
  seq: number;
  name: string;
  officer_no: string | null;
  unit_no: string | null;
  size: number;
  sha256: string;
  sort_ms: number;
  retain_until: string;
  retain_until_ms: number;
  entered_at: string | null;
  entered_at_ms: number | null;
  held: number;
}

const HELD = `EXISTS (SELECT 1 FROM hold_recordings x JOIN holds h ON h.id = x.hold_id WHERE x.recording_id = r.id AND h.released_at_ms IS NULL)`;
/** Live and due: not purged, no purge under way (tombstone signed), retention date reached. */
const DUE = `r.purged_at_ms IS NULL AND r.retain_until_ms <= ? AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.recording_id = r.id)`;

const toItem = (r: QueueRow): QueueItem => ({
  recordingId: r.id,
  serial: r.serial,
  seq: r.seq,
  name: r.name,
  officerNo: r.officer_no,
  unitNo: r.unit_no,
  size: r.size,
  sha256: r.sha256,
  startMs: r.sort_ms,
  retainUntil: r.retain_until,
  retainUntilMs: r.retain_until_ms,
  enteredAt: r.entered_at,
  enteredAtMs: r.entered_at_ms,
  held: r.held === 1,
});

/** The retention review queue and its decisions (keep longer, purge). */
export class RetentionRepo {
  constructor(private readonly db: Db) {}

  /** Due recordings the sweep has not queued yet, oldest retention date first (uses the partial index on retain_until_ms). */
  dueUnqueued(nowMs: number, limit: number): { id: number; retainUntilMs: number }[] {
    return this.db
      .prepare(
        `SELECT r.id, r.retain_until_ms AS retainUntilMs FROM recordings r
         WHERE ${DUE} AND NOT EXISTS (SELECT 1 FROM retention_queue q WHERE q.recording_id = r.id)
         ORDER BY r.retain_until_ms, r.id LIMIT ?`,
      )
      .all(nowMs, limit) as { id: number; retainUntilMs: number }[];
  }

  enqueue(recordingId: number, atMs: number, at: string, dueAtMs: number): void {
    this.db.prepare('INSERT OR IGNORE INTO retention_queue (recording_id, entered_at, entered_at_ms, due_at_ms) VALUES (?,?,?,?)').run(recordingId, at, atMs, dueAtMs);
  }

  dequeue(recordingId: number): void {
    this.db.prepare('DELETE FROM retention_queue WHERE recording_id = ?').run(recordingId);
  }

  /** Queue entries no longer due (kept longer) or already purged: removed by the sweep. */
  staleQueued(nowMs: number, limit: number): number[] {
    return (
      this.db
        .prepare(
          `SELECT q.recording_id AS id FROM retention_queue q JOIN recordings r ON r.id = q.recording_id
           WHERE r.purged_at_ms IS NOT NULL OR r.retain_until_ms > ? LIMIT ?`,
        )
        .all(nowMs, limit) as { id: number }[]
    ).map((r) => r.id);
  }

  /** The review queue: every live recording past its retention date, oldest date first; keyset (retainUntilMs, id). */
  queue(q: { nowMs: number; limit: number; after?: { retainUntilMs: number; id: number } }): QueueItem[] {
    const args: unknown[] = [q.nowMs];
    let after = '';
    if (q.after) {
      after = 'AND (r.retain_until_ms > ? OR (r.retain_until_ms = ? AND r.id > ?))';
      args.push(q.after.retainUntilMs, q.after.retainUntilMs, q.after.id);
    }
    const rows = this.db
      .prepare(
        `SELECT r.id, r.serial, r.seq, r.name, r.officer_no, r.unit_no, r.size, r.sha256, r.sort_ms, r.retain_until, r.retain_until_ms,
                q.entered_at, q.entered_at_ms, ${HELD} AS held
         FROM recordings r LEFT JOIN retention_queue q ON q.recording_id = r.id
         WHERE ${DUE} ${after} ORDER BY r.retain_until_ms, r.id LIMIT ?`,
      )
      .all(...args, q.limit) as QueueRow[];
    return rows.map(toItem);
  }

  /** Queued before `enteredBeforeMs`, still due, not held: what automatic purge may take. */
  autoPurgeCandidates(nowMs: number, enteredBeforeMs: number, limit: number): number[] {
    return (
      this.db
        .prepare(
          `SELECT r.id FROM retention_queue q JOIN recordings r ON r.id = q.recording_id
           WHERE ${DUE} AND q.entered_at_ms <= ? AND NOT ${HELD} ORDER BY q.entered_at_ms, r.id LIMIT ?`,
        )
        .all(nowMs, enteredBeforeMs, limit) as { id: number }[]
    ).map((r) => r.id);
  }

  /** Move a recording's retention date (keep longer); the queue entry goes, the sweep re-queues it when due again. */
  setRetainUntil(recordingId: number, until: string, untilMs: number): void {
    this.db.prepare('UPDATE recordings SET retain_until = ?, retain_until_ms = ? WHERE id = ?').run(until, untilMs, recordingId);
    this.dequeue(recordingId);
  }

  addDecision(d: Omit<RetentionDecision, 'id'>): number {
    const info = this.db
      .prepare(
        `INSERT INTO retention_decisions (recording_id, decision, reason, previous_until, until, until_ms, decided_by, decided_at, decided_at_ms)
         VALUES (?,?,?,?,?,?,?,?,?)`,
      )
      .run(d.recordingId, d.decision, d.reason, d.previousUntil, d.until, d.untilMs, d.decidedBy, d.decidedAt, d.decidedAtMs);
    return Number(info.lastInsertRowid);
  }

  decisions(recordingId: number): RetentionDecision[] {
    const rows = this.db.prepare('SELECT * FROM retention_decisions WHERE recording_id = ? ORDER BY id').all(recordingId) as {
      id: number;
      recording_id: number;
      decision: 'keep' | 'purge';
      reason: string;
      previous_until: string;
      until: string | null;
      until_ms: number | null;
      decided_by: string;
      decided_at: string;
      decided_at_ms: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      recordingId: r.recording_id,
      decision: r.decision,
      reason: r.reason,
      previousUntil: r.previous_until,
      until: r.until,
      untilMs: r.until_ms,
      decidedBy: r.decided_by,
      decidedAt: r.decided_at,
      decidedAtMs: r.decided_at_ms,
    }));
  }
}
