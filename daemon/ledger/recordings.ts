import type { Db } from './db.js';

export interface Recording {
  id: number;
  serial: string;
  seq: number;
  name: string;
  devicePath: string;
  storedPath: string;
  size: number;
  sha256: string;
  deviceSha256: string | null;
  fileFlags: number;
  recordedStart: string | null;
  recordedStartMs: number | null;
  correctedStart: string | null;
  correctedStartMs: number | null;
  driftMs: number | null;
  driftUncertaintyMs: number | null;
  durationMs: number;
  offloadedAt: string;
  offloadedAtMs: number;
  delayMs: number | null;
  sessionId: string;
  manifestSessionId: string | null;
  officerNo: string | null;
  unitNo: string | null;
  checkoutId: number | null;
  retainUntil: string;
  retainUntilMs: number;
  erasedAtMs: number | null;
  purgedAtMs: number | null;
  flags: string[];
  /** `<unit>-<year>-<serial>`, given when the row is stored, never reused (ledger migration 8). */
  evidenceNo: string | null;
  /** The confidentiality class (004 §14) when marked, else null. */
  confidential: string | null;
}

export type NewRecording = Omit<Recording, 'id' | 'manifestSessionId' | 'erasedAtMs' | 'purgedAtMs' | 'flags' | 'evidenceNo' | 'confidential'> & { flags: string[] };

interface Row {
  id: number;
  serial: string;
  seq: number;
  name: string;
  device_path: string;
  stored_path: string;
  size: number;
  sha256: string;
  device_sha256: string | null;
  file_flags: number;
  recorded_start: string | null;
  recorded_start_ms: number | null;
  corrected_start: string | null;
  corrected_start_ms: number | null;
  drift_ms: number | null;
  drift_uncertainty_ms: number | null;
  duration_ms: number;
  offloaded_at: string;
  offloaded_at_ms: number;
  delay_ms: number | null;
  session_id: string;
  manifest_session_id: string | null;
  officer_no: string | null;
  unit_no: string | null;
  checkout_id: number | null;
  retain_until: string;
  retain_until_ms: number;
  erased_at_ms: number | null;
  purged_at_ms: number | null;
  flags: string | null;
  evidence_no: string | null;
  confidential: string | null;
}

const toRecording = (r: Row): Recording => ({
  id: r.id,
  serial: r.serial,
  seq: r.seq,
  name: r.name,
  devicePath: r.device_path,
  storedPath: r.stored_path,
  size: r.size,
  sha256: r.sha256,
  deviceSha256: r.device_sha256,
  fileFlags: r.file_flags,
  recordedStart: r.recorded_start,
  recordedStartMs: r.recorded_start_ms,
  correctedStart: r.corrected_start,
  correctedStartMs: r.corrected_start_ms,
  driftMs: r.drift_ms,
  driftUncertaintyMs: r.drift_uncertainty_ms,
  durationMs: r.duration_ms,
  offloadedAt: r.offloaded_at,
  offloadedAtMs: r.offloaded_at_ms,
  delayMs: r.delay_ms,
  sessionId: r.session_id,
  manifestSessionId: r.manifest_session_id,
  officerNo: r.officer_no,
  unitNo: r.unit_no,
  checkoutId: r.checkout_id,
  retainUntil: r.retain_until,
  retainUntilMs: r.retain_until_ms,
  erasedAtMs: r.erased_at_ms,
  purgedAtMs: r.purged_at_ms,
  flags: r.flags ? r.flags.split(',').sort() : [],
  evidenceNo: r.evidence_no,
  confidential: r.confidential,
});

const COLUMNS = `SELECT r.*, (SELECT group_concat(flag) FROM recording_flags f WHERE f.recording_id = r.id) AS flags,
  (SELECT evidence_no FROM evidence_numbers e WHERE e.recording_id = r.id) AS evidence_no,
  (SELECT class FROM recording_confidential c WHERE c.recording_id = r.id) AS confidential`;
const SELECT = `${COLUMNS} FROM recordings r`;

export interface RecordingQuery {
  serial?: string;
  officerNo?: string;
  fromMs?: number;
  toMs?: number;
  flag?: string;
  ids?: number[];
  includePurged?: boolean;
  /** Leave out confidential recordings (004 §14) except those this user holds an approved, unexpired request for. */
  hideConfidential?: { username: string; nowMs: number };
  limit: number;
  /** Keyset cursor: rows strictly after (sortMs, id) in descending order. */
  after?: { sortMs: number; id: number };
}

/** Sort key of a recording: its corrected start, else recorded start, else offload time. */
const SORT_EXPR = 'r.sort_ms';

export class RecordingRepo {
  constructor(private readonly db: Db) {}

  insert(n: NewRecording): number {
    const info = this.db
      .prepare(
        `INSERT INTO recordings (serial, seq, name, device_path, stored_path, size, sha256, device_sha256, file_flags, recorded_start, recorded_start_ms,
          corrected_start, corrected_start_ms, drift_ms, drift_uncertainty_ms, duration_ms, offloaded_at, offloaded_at_ms, delay_ms, session_id,
          officer_no, unit_no, checkout_id, retain_until, retain_until_ms)
         VALUES (@serial,@seq,@name,@devicePath,@storedPath,@size,@sha256,@deviceSha256,@fileFlags,@recordedStart,@recordedStartMs,
          @correctedStart,@correctedStartMs,@driftMs,@driftUncertaintyMs,@durationMs,@offloadedAt,@offloadedAtMs,@delayMs,@sessionId,
          @officerNo,@unitNo,@checkoutId,@retainUntil,@retainUntilMs)`,
      )
      .run(n);
    const id = Number(info.lastInsertRowid);
    for (const f of new Set(n.flags)) this.addFlag(id, f);
    return id;
  }

  addFlag(id: number, flag: string): void {
    // The flag row carries the recording's sort key, so a flag search reads the flag's index newest first.
    this.db.prepare('INSERT OR IGNORE INTO recording_flags (recording_id, flag, sort_ms) SELECT id, ?, sort_ms FROM recordings WHERE id = ?').run(flag, id);
  }

  get(id: number): Recording | null {
    const r = this.db.prepare(`${SELECT} WHERE r.id = ?`).get(id) as Row | undefined;
    return r ? toRecording(r) : null;
  }

  /** The stored copy that makes a catalog entry "already stored" (CONTRACT: same serial, seq, size; hash where given). */
  findStored(serial: string, seq: number, size: number, deviceSha256: string | null, devicePath?: string): Recording | null {
    const rows = this.db.prepare(`${SELECT} WHERE r.serial = ? AND r.seq = ? AND r.size = ?`).all(serial, seq, size) as Row[];
    const match = rows.find((r) => deviceSha256 === null || r.device_sha256 === deviceSha256 || r.sha256 === deviceSha256);
    if (match) return toRecording(match);
    if (devicePath === undefined) return null;
    // A file stored with the size the volume really held (flagged size_mismatch) is stored too: the
    // catalog's size never matches it, but the same entry must not count as pending for ever.
    const flagged = this.db
      .prepare(`${SELECT} WHERE r.serial = ? AND r.seq = ? AND r.device_path = ? AND EXISTS (SELECT 1 FROM recording_flags f WHERE f.recording_id = r.id AND f.flag = 'size_mismatch')`)
      .all(serial, seq, devicePath) as Row[];
    const same = flagged.find((r) => deviceSha256 === null || r.device_sha256 === deviceSha256);
    return same ? toRecording(same) : null;
  }

  /** The recording of this very content (serial, seq, SHA-256 of what was stored), if any. */
  findByContent(serial: string, seq: number, sha256: string): { id: number; storedPath: string } | null {
    const r = this.db.prepare('SELECT id, stored_path FROM recordings WHERE serial = ? AND seq = ? AND sha256 = ?').get(serial, seq, sha256) as { id: number; stored_path: string } | undefined;
    return r ? { id: r.id, storedPath: r.stored_path } : null;
  }

  /** Whether a recording row names this stored path (relative to the data dir). */
  isStoredAt(storedPath: string): boolean {
    return this.db.prepare('SELECT 1 FROM recordings WHERE stored_path = ?').get(storedPath) !== undefined;
  }

  /** A manifest adopted at start-up lists these stored paths: mark the ones not yet signed as signed by it. */
  markSignedByPath(storedPaths: string[], sessionId: string): void {
    const st = this.db.prepare('UPDATE recordings SET manifest_session_id = ? WHERE stored_path = ? AND manifest_session_id IS NULL');
    for (const p of storedPaths) st.run(sessionId, p);
  }

  maxSeq(serial: string): number | null {
    const r = this.db.prepare('SELECT MAX(seq) AS m FROM recordings WHERE serial = ?').get(serial) as { m: number | null };
    return r.m;
  }

  /** Stored but not yet listed in a signed manifest (e.g. from an interrupted session). */
  unsigned(serial: string): Recording[] {
    return (this.db.prepare(`${SELECT} WHERE r.serial = ? AND r.manifest_session_id IS NULL ORDER BY r.seq`).all(serial) as Row[]).map(toRecording);
  }

  /** The officers of the recordings a manifest lists (signed in it, or stored in its docking session). */
  officersOfManifest(sessionId: string): Array<string | null> {
    return (
      this.db.prepare('SELECT DISTINCT officer_no FROM recordings WHERE manifest_session_id = ? OR session_id = ?').all(sessionId, sessionId) as { officer_no: string | null }[]
    ).map((r) => r.officer_no);
  }

  markSigned(ids: number[], sessionId: string): void {
    const st = this.db.prepare('UPDATE recordings SET manifest_session_id = ? WHERE id = ? AND manifest_session_id IS NULL');
    for (const id of ids) st.run(sessionId, id);
  }

  markErased(ids: number[], atMs: number): void {
    const st = this.db.prepare('UPDATE recordings SET erased_at_ms = ? WHERE id = ?');
    for (const id of ids) st.run(atMs, id);
  }

  all(): Recording[] {
    return (this.db.prepare(`${SELECT} ORDER BY r.id`).all() as Row[]).map(toRecording);
  }

  query(q: RecordingQuery): Recording[] {
    const { sql, args } = this.searchSql(q);
    return (this.db.prepare(sql).all(...args) as Row[]).map(toRecording);
  }

  /** The query plan of {@link query} (EXPLAIN QUERY PLAN details), for tests that guard the indexes it relies on. */
  planOf(q: RecordingQuery): string[] {
    const { sql, args } = this.searchSql(q);
    return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
  }

  private searchSql(q: RecordingQuery): { sql: string; args: unknown[] } {
    // What a docking found is a finding of its session, not a flag of each file (issue 18: the flag search found
    // nothing for drift, missing files or interruptions the findings list shows): such a search answers the
    // recordings of the dockings with such a finding, and those the finding names, kept with their sort key in
    // docking_finding_recordings (migration 13) as a file's flags are in recording_flags.
    const flags = q.flag && DOCKING_FINDINGS.has(q.flag) ? { table: 'docking_finding_recordings', key: 'kind' } : { table: 'recording_flags', key: 'flag' };
    // A search by flag alone (with or without a time range) walks that flag's index in sort order, so a rare
    // flag never scans the whole table; with an officer, serial or case the narrower index leads as before.
    const byFlag = !!q.flag && !q.officerNo && !q.serial && !q.ids;
    const sort = byFlag ? 'fl.sort_ms' : SORT_EXPR;
    const id = byFlag ? 'fl.recording_id' : 'r.id';
    const where: string[] = [];
    const args: unknown[] = [];
    if (byFlag) (where.push(`fl.${flags.key} = ?`), args.push(q.flag));
    if (!q.includePurged) where.push('r.purged_at_ms IS NULL');
    if (q.serial) (where.push('r.serial = ?'), args.push(q.serial));
    if (q.officerNo) (where.push('r.officer_no = ?'), args.push(q.officerNo));
    if (q.fromMs !== undefined) (where.push(`${sort} >= ?`), args.push(q.fromMs));
    if (q.toMs !== undefined) (where.push(`${sort} < ?`), args.push(q.toMs));
    if (q.flag && !byFlag) (where.push(`EXISTS (SELECT 1 FROM ${flags.table} f WHERE f.recording_id = r.id AND f.${flags.key} = ?)`), args.push(q.flag));
    if (q.ids) where.push(`r.id IN (${q.ids.map(() => '?').join(',') || 'NULL'})`), args.push(...q.ids);
    if (q.hideConfidential) {
      where.push(`(NOT EXISTS (SELECT 1 FROM recording_confidential c WHERE c.recording_id = r.id) OR EXISTS (SELECT 1 FROM access_request_recordings g
        JOIN access_requests a ON a.id = g.request_id WHERE g.recording_id = r.id AND a.filed_by = ? AND a.state = 'approved' AND a.expires_at_ms > ?))`);
      args.push(q.hideConfidential.username, q.hideConfidential.nowMs);
    }
    // The leading `<=` lets the index seek straight to the cursor instead of walking the pages before it.
    if (q.after) (where.push(`${sort} <= ? AND (${sort} < ? OR (${sort} = ? AND ${id} < ?))`), args.push(q.after.sortMs, q.after.sortMs, q.after.sortMs, q.after.id));
    // CROSS JOIN keeps the flag's index as the outer loop (SQLite never reorders it).
    const from = byFlag ? `${COLUMNS} FROM ${flags.table} fl CROSS JOIN recordings r ON r.id = fl.recording_id` : SELECT;
    const sql = `${from} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${sort} DESC, ${id} DESC LIMIT ?`;
    return { sql, args: [...args, q.limit] };
  }
}

/** Findings a docking raises about the session rather than a file (they flag no recording row); migration 13's triggers name the same kinds. */
export const DOCKING_FINDINGS: ReadonlySet<string> = new Set(['drift', 'seq_missing', 'interrupted', 'gap']);

export const sortMsOf = (r: Recording) => r.correctedStartMs ?? r.recordedStartMs ?? r.offloadedAtMs;
