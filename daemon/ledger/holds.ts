import type { Db } from './db.js';

/** Why footage is preserved (004 §16; `case`: kept with its case file, 004 annex 3). */
export const HOLD_REASONS = ['dispute', 'obstruction', 'sensitive', 'case'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export interface Hold {
  id: number;
  reason: HoldReason;
  caseRef: string;
  note: string | null;
  recordingIds: number[];
  placedBy: string;
  placedAt: string;
  placedAtMs: number;
  releasedBy: string | null;
  releasedAt: string | null;
  releasedAtMs: number | null;
  releaseReason: string | null;
  /** When the release needed a second person (a purge would follow): who confirmed the release `releasedBy` asked for. */
  releaseConfirmedBy: string | null;
  /** A release asked for and waiting for a second supervisor or legal reviewer, or null. */
  releaseRequest: ReleaseRequest | null;
}

export interface ReleaseRequest {
  by: string;
  at: string;
  atMs: number;
  reason: string;
}

/** A hold as placed: the release fields come later. */
export type NewHold = Omit<Hold, 'id' | 'releasedBy' | 'releasedAt' | 'releasedAtMs' | 'releaseReason' | 'releaseConfirmedBy' | 'releaseRequest'>;

interface Row {
  id: number;
  reason: HoldReason;
  case_ref: string;
  note: string | null;
  placed_by: string;
  placed_at: string;
  placed_at_ms: number;
  released_by: string | null;
  released_at: string | null;
  released_at_ms: number | null;
  release_reason: string | null;
  release_confirmed_by: string | null;
  recording_ids: string | null;
  rq_by: string | null;
  rq_at: string | null;
  rq_at_ms: number | null;
  rq_reason: string | null;
}

const SELECT = `SELECT h.*, (SELECT group_concat(recording_id) FROM hold_recordings x WHERE x.hold_id = h.id) AS recording_ids,
  q.requested_by AS rq_by, q.requested_at AS rq_at, q.requested_at_ms AS rq_at_ms, q.reason AS rq_reason
  FROM holds h LEFT JOIN hold_release_requests q ON q.hold_id = h.id`;

const toHold = (r: Row): Hold => ({
  id: r.id,
  reason: r.reason,
  caseRef: r.case_ref,
  note: r.note,
  recordingIds: r.recording_ids ? r.recording_ids.split(',').map(Number).sort((a, b) => a - b) : [],
  placedBy: r.placed_by,
  placedAt: r.placed_at,
  placedAtMs: r.placed_at_ms,
  releasedBy: r.released_by,
  releasedAt: r.released_at,
  releasedAtMs: r.released_at_ms,
  releaseReason: r.release_reason,
  releaseConfirmedBy: r.release_confirmed_by,
  releaseRequest: r.rq_by !== null ? { by: r.rq_by, at: r.rq_at!, atMs: r.rq_at_ms!, reason: r.rq_reason! } : null,
});

/** Preservation holds and the recordings they cover. A recording is held while any unreleased hold names it. */
export class HoldRepo {
  constructor(private readonly db: Db) {}

  place(h: NewHold): number {
    const info = this.db
      .prepare('INSERT INTO holds (reason, case_ref, note, placed_by, placed_at, placed_at_ms) VALUES (?,?,?,?,?,?)')
      .run(h.reason, h.caseRef, h.note, h.placedBy, h.placedAt, h.placedAtMs);
    const id = Number(info.lastInsertRowid);
    const st = this.db.prepare('INSERT OR IGNORE INTO hold_recordings (hold_id, recording_id) VALUES (?, ?)');
    for (const r of h.recordingIds) st.run(id, r);
    return id;
  }

  /**
   * Release an active hold; false when it was already released (or does not exist). `confirmedBy`: the second
   * person who confirmed a release `by` asked for. Any release request of the hold is settled with it.
   */
  release(id: number, by: string, reason: string, atMs: number, at: string, confirmedBy: string | null = null): boolean {
    const info = this.db
      .prepare('UPDATE holds SET released_by = ?, released_at = ?, released_at_ms = ?, release_reason = ?, release_confirmed_by = ? WHERE id = ? AND released_at_ms IS NULL')
      .run(by, at, atMs, reason, confirmedBy, id);
    this.db.prepare('DELETE FROM hold_release_requests WHERE hold_id = ?').run(id);
    return info.changes === 1;
  }

  /** Ask for the release of an active hold (a second person confirms it); replaces an earlier request. */
  requestRelease(id: number, rq: ReleaseRequest): void {
    this.db
      .prepare('INSERT OR REPLACE INTO hold_release_requests (hold_id, requested_by, requested_at, requested_at_ms, reason) VALUES (?,?,?,?,?)')
      .run(id, rq.by, rq.at, rq.atMs, rq.reason);
  }

  /** Drop a release request (declined); false when there was none. */
  dropReleaseRequest(id: number): boolean {
    return this.db.prepare('DELETE FROM hold_release_requests WHERE hold_id = ?').run(id).changes === 1;
  }

  /** Of `ids`, those under an unreleased hold other than `holdId`. */
  heldElsewhere(ids: readonly number[], holdId: number): Set<number> {
    return this.held(ids, holdId);
  }

  get(id: number): Hold | null {
    const r = this.db.prepare(`${SELECT} WHERE h.id = ?`).get(id) as Row | undefined;
    return r ? toHold(r) : null;
  }

  /** Newest first; keyset on id. */
  list(q: { limit: number; beforeId?: number; active?: boolean; caseRef?: string; recordingId?: number }): Hold[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.beforeId !== undefined) (where.push('h.id < ?'), args.push(q.beforeId));
    if (q.active === true) where.push('h.released_at_ms IS NULL');
    if (q.active === false) where.push('h.released_at_ms IS NOT NULL');
    if (q.caseRef !== undefined) (where.push('h.case_ref = ?'), args.push(q.caseRef));
    if (q.recordingId !== undefined) (where.push('EXISTS (SELECT 1 FROM hold_recordings x WHERE x.hold_id = h.id AND x.recording_id = ?)'), args.push(q.recordingId));
    const sql = `${SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY h.id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toHold);
  }

  /** True while an unreleased hold names the recording. */
  isHeld(recordingId: number): boolean {
    return this.heldIds([recordingId]).has(recordingId);
  }

  /** Which of `ids` are under an unreleased hold (one query, for lists). */
  heldIds(ids: readonly number[]): Set<number> {
    return this.held(ids, null);
  }

  /** Of `ids`, those under an unreleased hold (other than `exceptHoldId`), 500 ids a query. */
  private held(ids: readonly number[], exceptHoldId: number | null): Set<number> {
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      if (chunk.length === 0) continue;
      const rows = this.db
        .prepare(
          `SELECT DISTINCT x.recording_id AS id FROM hold_recordings x JOIN holds h ON h.id = x.hold_id
           WHERE h.released_at_ms IS NULL AND h.id != ? AND x.recording_id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(exceptHoldId ?? -1, ...chunk) as { id: number }[];
      for (const r of rows) out.add(r.id);
    }
    return out;
  }

  /** Recordings named by any hold (active or not) with this case reference, for archive discs of a case. */
  recordingIdsOfCase(caseRef: string, activeOnly: boolean): number[] {
    const rows = this.db
      .prepare(
        `SELECT DISTINCT x.recording_id AS id FROM hold_recordings x JOIN holds h ON h.id = x.hold_id
         WHERE h.case_ref = ? ${activeOnly ? 'AND h.released_at_ms IS NULL' : ''} ORDER BY x.recording_id`,
      )
      .all(caseRef) as { id: number }[];
    return rows.map((r) => r.id);
  }
}
