import type { Db } from './db.js';

/** 004 annex 1: `view` (§5), `copy` (§4), `agency` (another authority with a letter, §6, §8), `party` (a party or their lawyer, §7). */
export const ACCESS_REQUEST_KINDS = ['view', 'copy', 'agency', 'party'] as const;
export type AccessRequestKind = (typeof ACCESS_REQUEST_KINDS)[number];
export type AccessRequestState = 'pending' | 'approved' | 'denied';

/** An entry of the register's requests: who asked to see or copy which recordings, why, and who decided. */
export interface AccessRequest {
  id: number;
  kind: AccessRequestKind;
  purpose: string;
  recordingIds: number[];
  /** The console user who filed it; the approved request admits this user alone, and this user never decides it. */
  filedBy: string;
  filedByRole: string;
  filedAt: string;
  filedAtMs: number;
  /** The person it is for (an outside authority's officer, a party, a lawyer), or null for staff asking for themselves. */
  requester: string | null;
  /** `agency`: the authority; `party`: the party the lawyer acts for. */
  authority: string | null;
  /** `agency` from another region (004 annex 1 §8): the head of the unit approves. */
  otherRegion: boolean;
  /** Reference of the letter (介绍信 / 来函). */
  letterRef: string | null;
  /** The requester's ID document (kind and number). */
  idDocument: string | null;
  lawyer: boolean;
  /** A lawyer's power of attorney (委托书、授权书) and licence (律师执业证), 004 annex 1 §7. */
  powerOfAttorney: string | null;
  lawyerLicence: string | null;
  state: AccessRequestState;
  decidedBy: string | null;
  decidedByRole: string | null;
  decidedAt: string | null;
  decidedAtMs: number | null;
  decisionReason: string | null;
  /** The approver confirmed that the letter and ID (and a lawyer's papers) were checked. */
  documentsChecked: boolean;
  expiresAt: string | null;
  expiresAtMs: number | null;
}

export type NewAccessRequest = Pick<
  AccessRequest,
  'kind' | 'purpose' | 'recordingIds' | 'filedBy' | 'filedByRole' | 'filedAt' | 'filedAtMs' | 'requester' | 'authority' | 'otherRegion' | 'letterRef' | 'idDocument' | 'lawyer' | 'powerOfAttorney' | 'lawyerLicence'
>;

interface Row {
  id: number;
  kind: AccessRequestKind;
  purpose: string;
  filed_by: string;
  filed_by_role: string;
  filed_at: string;
  filed_at_ms: number;
  requester: string | null;
  authority: string | null;
  other_region: number;
  letter_ref: string | null;
  id_document: string | null;
  lawyer: number;
  power_of_attorney: string | null;
  lawyer_licence: string | null;
  state: AccessRequestState;
  decided_by: string | null;
  decided_by_role: string | null;
  decided_at: string | null;
  decided_at_ms: number | null;
  decision_reason: string | null;
  documents_checked: number;
  expires_at: string | null;
  expires_at_ms: number | null;
  recording_ids: string | null;
}

const SELECT = `SELECT q.*, (SELECT group_concat(recording_id) FROM access_request_recordings x WHERE x.request_id = q.id) AS recording_ids FROM access_requests q`;

const toRequest = (r: Row): AccessRequest => ({
  id: r.id,
  kind: r.kind,
  purpose: r.purpose,
  recordingIds: r.recording_ids ? r.recording_ids.split(',').map(Number).sort((a, b) => a - b) : [],
  filedBy: r.filed_by,
  filedByRole: r.filed_by_role,
  filedAt: r.filed_at,
  filedAtMs: r.filed_at_ms,
  requester: r.requester,
  authority: r.authority,
  otherRegion: r.other_region === 1,
  letterRef: r.letter_ref,
  idDocument: r.id_document,
  lawyer: r.lawyer === 1,
  powerOfAttorney: r.power_of_attorney,
  lawyerLicence: r.lawyer_licence,
  state: r.state,
  decidedBy: r.decided_by,
  decidedByRole: r.decided_by_role,
  decidedAt: r.decided_at,
  decidedAtMs: r.decided_at_ms,
  decisionReason: r.decision_reason,
  documentsChecked: r.documents_checked === 1,
  expiresAt: r.expires_at,
  expiresAtMs: r.expires_at_ms,
});

/** Access requests (查阅登记簿, 004 annex 1) and the grants they give. */
export class AccessRequestRepo {
  constructor(private readonly db: Db) {}

  file(n: NewAccessRequest): number {
    const info = this.db
      .prepare(
        `INSERT INTO access_requests (kind, purpose, filed_by, filed_by_role, filed_at, filed_at_ms, requester, authority, other_region, letter_ref, id_document,
          lawyer, power_of_attorney, lawyer_licence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(n.kind, n.purpose, n.filedBy, n.filedByRole, n.filedAt, n.filedAtMs, n.requester, n.authority, n.otherRegion ? 1 : 0, n.letterRef, n.idDocument, n.lawyer ? 1 : 0, n.powerOfAttorney, n.lawyerLicence);
    const id = Number(info.lastInsertRowid);
    const st = this.db.prepare('INSERT OR IGNORE INTO access_request_recordings (request_id, recording_id) VALUES (?, ?)');
    for (const r of n.recordingIds) st.run(id, r);
    return id;
  }

  /** Decide a pending request; false when it was decided already. */
  decide(
    id: number,
    d: { state: 'approved' | 'denied'; by: string; role: string; atMs: number; at: string; reason: string | null; documentsChecked: boolean; expiresAtMs: number | null; expiresAt: string | null },
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE access_requests SET state = ?, decided_by = ?, decided_by_role = ?, decided_at_ms = ?, decided_at = ?, decision_reason = ?, documents_checked = ?,
            expires_at_ms = ?, expires_at = ? WHERE id = ? AND state = 'pending'`,
        )
        .run(d.state, d.by, d.role, d.atMs, d.at, d.reason, d.documentsChecked ? 1 : 0, d.expiresAtMs, d.expiresAt, id).changes === 1
    );
  }

  get(id: number): AccessRequest | null {
    const r = this.db.prepare(`${SELECT} WHERE q.id = ?`).get(id) as Row | undefined;
    return r ? toRequest(r) : null;
  }

  /** Newest first; keyset on id. */
  list(q: { limit: number; beforeId?: number; filedBy?: string; state?: AccessRequestState; kind?: AccessRequestKind; recordingId?: number }): AccessRequest[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.beforeId !== undefined) (where.push('q.id < ?'), args.push(q.beforeId));
    if (q.filedBy !== undefined) (where.push('q.filed_by = ?'), args.push(q.filedBy));
    if (q.state !== undefined) (where.push('q.state = ?'), args.push(q.state));
    if (q.kind !== undefined) (where.push('q.kind = ?'), args.push(q.kind));
    if (q.recordingId !== undefined) (where.push('EXISTS (SELECT 1 FROM access_request_recordings x WHERE x.request_id = q.id AND x.recording_id = ?)'), args.push(q.recordingId));
    const sql = `${SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY q.id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toRequest);
  }

  /**
   * The newest approved, unexpired request of `username` naming the recording, of one of `kinds`: the grant a
   * `request` scope needs. Null when there is none.
   */
  grant(username: string, recordingId: number, nowMs: number, kinds: readonly AccessRequestKind[]): AccessRequest | null {
    if (kinds.length === 0) return null;
    const r = this.db
      .prepare(
        `${SELECT} JOIN access_request_recordings g ON g.request_id = q.id
         WHERE g.recording_id = ? AND q.filed_by = ? AND q.state = 'approved' AND q.expires_at_ms > ? AND q.kind IN (${kinds.map(() => '?').join(',')})
         ORDER BY q.id DESC LIMIT 1`,
      )
      .get(recordingId, username, nowMs, ...kinds) as Row | undefined;
    return r ? toRequest(r) : null;
  }

  /** How many times `actor` was refused footage since `sinceMs` (audit entries `access.refused`). */
  refusalsSince(actor: string, sinceMs: number): number {
    const r = this.db.prepare(`SELECT COUNT(*) AS n FROM audit WHERE actor = ? AND action = 'access.refused' AND at_ms >= ?`).get(actor, sinceMs) as { n: number };
    return r.n;
  }
}
