import type { Db } from './db.js';

/** `view` a playback, `thumbnail` a still of it, `copy`/`export` a copy taken, `archive` an archive disc image downloaded. */
export type AccessKind = 'view' | 'thumbnail' | 'copy' | 'export' | 'archive';

/** One entry of the access register (查阅登记簿): who saw or took which recording, when, on what ground. */
export interface AccessEntry {
  id: number;
  kind: AccessKind;
  recordingId: number;
  username: string;
  role: string;
  /** `own`, `oversight`, or `request` (then `requestId` names it). */
  ground: string;
  requestId: number | null;
  atMs: number;
  at: string;
  lastAtMs: number;
  /** HTTP requests (Range requests of one playback) counted into this entry. */
  requests: number;
}

interface Row {
  id: number;
  kind: AccessKind;
  recording_id: number;
  username: string;
  role: string;
  ground: string;
  request_id: number | null;
  at_ms: number;
  at: string;
  last_at_ms: number;
  requests: number;
}

const toEntry = (r: Row): AccessEntry => ({
  id: r.id,
  kind: r.kind,
  recordingId: r.recording_id,
  username: r.username,
  role: r.role,
  ground: r.ground,
  requestId: r.request_id,
  atMs: r.at_ms,
  at: r.at,
  lastAtMs: r.last_at_ms,
  requests: r.requests,
});

export interface NewView {
  /** `view` (default) or `thumbnail`: the looks that are joined within a window. */
  kind?: 'view' | 'thumbnail';
  recordingId: number;
  username: string;
  role: string;
  ground: string;
  requestId?: number | null;
  /** Identifies one playback's requests (the login session); requests under the same key within `windowMs` are one view. */
  playbackKey: string;
  atMs: number;
  at: string;
  windowMs: number;
}

export class AccessRegisterRepo {
  constructor(private readonly db: Db) {}

  /**
   * Register a playback request: joins the view of the same playback key, recording and ground whose last
   * request was at most `windowMs` ago, else opens a new view (a spot-check's review is not joined to a look on
   * another ground just before it). Returns the entry and whether it is new.
   */
  recordView(v: NewView): { entry: AccessEntry; created: boolean } {
    const kind = v.kind ?? 'view';
    const cur = this.db
      .prepare('SELECT * FROM access_register WHERE kind = ? AND playback_key = ? AND recording_id = ? AND ground = ? AND last_at_ms >= ? ORDER BY id DESC LIMIT 1')
      .get(kind, v.playbackKey, v.recordingId, v.ground, v.atMs - v.windowMs) as Row | undefined;
    if (cur) {
      this.db.prepare('UPDATE access_register SET last_at_ms = MAX(last_at_ms, ?), requests = requests + 1 WHERE id = ?').run(v.atMs, cur.id);
      return { entry: this.get(cur.id)!, created: false };
    }
    const info = this.db
      .prepare(
        'INSERT INTO access_register (kind, recording_id, username, role, ground, request_id, playback_key, at_ms, at, last_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?)',
      )
      .run(kind, v.recordingId, v.username, v.role, v.ground, v.requestId ?? null, v.playbackKey, v.atMs, v.at, v.atMs);
    return { entry: this.get(Number(info.lastInsertRowid))!, created: true };
  }

  /** Register a copy taken (an archive disc image, an export): one entry per recording it holds, never joined. */
  recordCopy(c: { kind: 'copy' | 'export' | 'archive'; recordingId: number; username: string; role: string; ground: string; requestId?: number | null; atMs: number; at: string }): AccessEntry {
    const info = this.db
      .prepare('INSERT INTO access_register (kind, recording_id, username, role, ground, request_id, playback_key, at_ms, at, last_at_ms) VALUES (?,?,?,?,?,?,NULL,?,?,?)')
      .run(c.kind, c.recordingId, c.username, c.role, c.ground, c.requestId ?? null, c.atMs, c.at, c.atMs);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): AccessEntry | null {
    const r = this.db.prepare('SELECT * FROM access_register WHERE id = ?').get(id) as Row | undefined;
    return r ? toEntry(r) : null;
  }

  /**
   * Newest first, keyset on id. `fromMs`/`toMs`: entries opened in [fromMs, toMs). `hideConfidential`: leave out
   * entries about confidential recordings (004 §14) except those the user holds an approved, unexpired request for.
   */
  list(q: {
    recordingId?: number;
    username?: string;
    kind?: AccessKind;
    limit: number;
    beforeId?: number;
    fromMs?: number;
    toMs?: number;
    hideConfidential?: { username: string; nowMs: number };
  }): AccessEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.recordingId !== undefined) (where.push('recording_id = ?'), args.push(q.recordingId));
    if (q.username) (where.push('username = ?'), args.push(q.username));
    if (q.kind) (where.push('kind = ?'), args.push(q.kind));
    if (q.beforeId !== undefined) (where.push('id < ?'), args.push(q.beforeId));
    if (q.fromMs !== undefined) (where.push('at_ms >= ?'), args.push(q.fromMs));
    if (q.toMs !== undefined) (where.push('at_ms < ?'), args.push(q.toMs));
    if (q.hideConfidential) {
      where.push(`(NOT EXISTS (SELECT 1 FROM recording_confidential c WHERE c.recording_id = access_register.recording_id) OR EXISTS (SELECT 1 FROM access_request_recordings g
        JOIN access_requests a ON a.id = g.request_id WHERE g.recording_id = access_register.recording_id AND a.filed_by = ? AND a.state = 'approved' AND a.expires_at_ms > ?))`);
      args.push(q.hideConfidential.username, q.hideConfidential.nowMs);
    }
    const sql = `SELECT * FROM access_register ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toEntry);
  }
}
