import type { Db } from './db.js';

/** What a draw was made from: stored as JSON with the draw, so a re-run takes exactly these. */
export interface SpotCheckInputs {
  size: number;
  unitNo: string | null;
  officerNo: string | null;
  fromMs: number | null;
  toMs: number | null;
  /** The highest recording id when drawn: recordings stored later are never candidates of this draw. */
  maxRecordingId: number;
  /** The supervisors the reviewer could be drawn from (enabled accounts at the draw), sorted. */
  reviewers: string[];
}

export interface SpotCheckItemScore {
  item: string;
  pass: boolean;
  note: string | null;
}

export interface SpotCheckRecording {
  recordingId: number;
  position: number;
  officerNo: string | null;
  unitNo: string | null;
  scoredBy: string | null;
  scoredAt: string | null;
  scoredAtMs: number | null;
  items: SpotCheckItemScore[] | null;
  comment: string | null;
  passed: number | null;
  failed: number | null;
}

export interface SpotCheck {
  id: number;
  drawnBy: string;
  drawnAt: string;
  drawnAtMs: number;
  algorithm: string;
  auditHead: string;
  seed: string;
  inputs: SpotCheckInputs;
  candidates: number;
  candidatesSha256: string;
  reviewer: string | null;
  completedAtMs: number | null;
  recordings: SpotCheckRecording[];
}

export type NewSpotCheck = Omit<SpotCheck, 'id' | 'completedAtMs' | 'recordings'> & {
  recordings: Array<{ recordingId: number; officerNo: string | null; unitNo: string | null }>;
};

interface Row {
  id: number;
  drawn_by: string;
  drawn_at: string;
  drawn_at_ms: number;
  algorithm: string;
  audit_head: string;
  seed: string;
  inputs_json: string;
  candidates: number;
  candidates_sha256: string;
  reviewer: string | null;
  completed_at_ms: number | null;
}

interface RecRow {
  recording_id: number;
  position: number;
  officer_no: string | null;
  unit_no: string | null;
  scored_by: string | null;
  scored_at: string | null;
  scored_at_ms: number | null;
  items_json: string | null;
  comment: string | null;
  passed: number | null;
  failed: number | null;
}

const toRec = (r: RecRow): SpotCheckRecording => ({
  recordingId: r.recording_id,
  position: r.position,
  officerNo: r.officer_no,
  unitNo: r.unit_no,
  scoredBy: r.scored_by,
  scoredAt: r.scored_at,
  scoredAtMs: r.scored_at_ms,
  items: r.items_json ? (JSON.parse(r.items_json) as SpotCheckItemScore[]) : null,
  comment: r.comment,
  passed: r.passed,
  failed: r.failed,
});

/** A unit's reviews: the last time a recording of the unit was scored in a spot-check, and how many this year. */
export interface UnitReview {
  unitNo: string;
  unitName: string;
  lastReviewAtMs: number | null;
  lastReviewAt: string | null;
  reviewedInRange: number;
}

/** Spot-checks (004 §17): draws with their seed and inputs, the sampled recordings and their scores. */
export class SpotCheckRepo {
  constructor(private readonly db: Db) {}

  /** The highest recording id stored so far (0 for none): a draw's bound on its candidates. */
  maxRecordingId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM recordings').get() as { m: number }).m;
  }

  /**
   * The recordings a draw may sample: stored with an officer, with an id at most `maxRecordingId`, not purged at
   * `atMs`, of the unit and officer asked for (the unit the recording was made under), started in [fromMs, toMs).
   */
  candidates(q: { maxRecordingId: number; atMs: number; unitNo: string | null; officerNo: string | null; fromMs: number | null; toMs: number | null }): Array<{ id: number; officerNo: string; unitNo: string | null }> {
    const where = ['r.id <= ?', 'r.officer_no IS NOT NULL', '(r.purged_at_ms IS NULL OR r.purged_at_ms > ?)'];
    const args: unknown[] = [q.maxRecordingId, q.atMs];
    if (q.unitNo !== null) (where.push('COALESCE(r.unit_no, o.unit_no) = ?'), args.push(q.unitNo));
    if (q.officerNo !== null) (where.push('r.officer_no = ?'), args.push(q.officerNo));
    if (q.fromMs !== null) (where.push('r.sort_ms >= ?'), args.push(q.fromMs));
    if (q.toMs !== null) (where.push('r.sort_ms < ?'), args.push(q.toMs));
    const rows = this.db
      .prepare(`SELECT r.id, r.officer_no, COALESCE(r.unit_no, o.unit_no) AS unit_no FROM recordings r LEFT JOIN officers o ON o.officer_no = r.officer_no WHERE ${where.join(' AND ')} ORDER BY r.id`)
      .all(...args) as Array<{ id: number; officer_no: string; unit_no: string | null }>;
    return rows.map((r) => ({ id: r.id, officerNo: r.officer_no, unitNo: r.unit_no }));
  }

  insert(s: NewSpotCheck): number {
    const info = this.db
      .prepare(
        `INSERT INTO spot_checks (drawn_by, drawn_at, drawn_at_ms, algorithm, audit_head, seed, inputs_json, candidates, candidates_sha256, reviewer)
         VALUES (?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(s.drawnBy, s.drawnAt, s.drawnAtMs, s.algorithm, s.auditHead, s.seed, JSON.stringify(s.inputs), s.candidates, s.candidatesSha256, s.reviewer);
    const id = Number(info.lastInsertRowid);
    const add = this.db.prepare('INSERT INTO spot_check_recordings (spot_check_id, recording_id, position, officer_no, unit_no) VALUES (?,?,?,?,?)');
    for (const [i, r] of s.recordings.entries()) add.run(id, r.recordingId, i + 1, r.officerNo, r.unitNo);
    return id;
  }

  get(id: number): SpotCheck | null {
    const r = this.db.prepare('SELECT * FROM spot_checks WHERE id = ?').get(id) as Row | undefined;
    return r ? this.hydrate(r) : null;
  }

  /** Newest first, keyset on id; `reviewer`: only those this user reviews. */
  list(q: { limit: number; beforeId?: number; reviewer?: string }): SpotCheck[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.beforeId !== undefined) (where.push('id < ?'), args.push(q.beforeId));
    if (q.reviewer) (where.push('reviewer = ?'), args.push(q.reviewer));
    const rows = this.db.prepare(`SELECT * FROM spot_checks ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`).all(...args, q.limit) as Row[];
    return rows.map((r) => this.hydrate(r));
  }

  /** Record the reviewer's score of one sampled recording; returns false when it was scored already. */
  score(id: number, recordingId: number, s: { by: string; atMs: number; at: string; items: SpotCheckItemScore[]; comment: string }): boolean {
    const passed = s.items.filter((i) => i.pass).length;
    const info = this.db
      .prepare(
        `UPDATE spot_check_recordings SET scored_by = ?, scored_at = ?, scored_at_ms = ?, items_json = ?, comment = ?, passed = ?, failed = ?
         WHERE spot_check_id = ? AND recording_id = ? AND scored_at_ms IS NULL`,
      )
      .run(s.by, s.at, s.atMs, JSON.stringify(s.items), s.comment, passed, s.items.length - passed, id, recordingId);
    if (info.changes === 0) return false;
    this.db
      .prepare('UPDATE spot_checks SET completed_at_ms = ? WHERE id = ? AND completed_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM spot_check_recordings WHERE spot_check_id = ? AND scored_at_ms IS NULL)')
      .run(s.atMs, id, id);
    return true;
  }

  /**
   * Every unit of the officer registry (and any unit a reviewed recording was made under), with its last review
   * and the recordings of it scored in [fromMs, toMs).
   */
  unitReviews(fromMs: number, toMs: number, formatTime: (ms: number) => string): UnitReview[] {
    const rows = this.db
      .prepare(
        `WITH units AS (
           SELECT unit_no, MAX(unit_name) AS unit_name FROM officers GROUP BY unit_no
           UNION SELECT DISTINCT unit_no, NULL FROM spot_check_recordings WHERE unit_no IS NOT NULL AND unit_no NOT IN (SELECT unit_no FROM officers))
         SELECT u.unit_no, u.unit_name,
           (SELECT MAX(scored_at_ms) FROM spot_check_recordings s WHERE s.unit_no = u.unit_no) AS last_ms,
           (SELECT COUNT(*) FROM spot_check_recordings s WHERE s.unit_no = u.unit_no AND s.scored_at_ms >= ? AND s.scored_at_ms < ?) AS n
         FROM units u ORDER BY u.unit_no`,
      )
      .all(fromMs, toMs) as Array<{ unit_no: string; unit_name: string | null; last_ms: number | null; n: number }>;
    return rows.map((r) => ({
      unitNo: r.unit_no,
      unitName: r.unit_name ?? '',
      lastReviewAtMs: r.last_ms,
      lastReviewAt: r.last_ms === null ? null : formatTime(r.last_ms),
      reviewedInRange: r.n,
    }));
  }

  private hydrate(r: Row): SpotCheck {
    const recs = this.db.prepare('SELECT * FROM spot_check_recordings WHERE spot_check_id = ? ORDER BY position').all(r.id) as RecRow[];
    return {
      id: r.id,
      drawnBy: r.drawn_by,
      drawnAt: r.drawn_at,
      drawnAtMs: r.drawn_at_ms,
      algorithm: r.algorithm,
      auditHead: r.audit_head,
      seed: r.seed,
      inputs: JSON.parse(r.inputs_json) as SpotCheckInputs,
      candidates: r.candidates,
      candidatesSha256: r.candidates_sha256,
      reviewer: r.reviewer,
      completedAtMs: r.completed_at_ms,
      recordings: recs.map(toRec),
    };
  }
}
