import type { Db } from './db.js';

export type FindingState = 'open' | 'justified' | 'approved' | 'rejected' | 'info';

export interface Finding {
  id: number;
  kind: string;
  serial: string | null;
  recordingId: number | null;
  sessionId: string | null;
  seqFrom: number | null;
  seqTo: number | null;
  fromMs: number | null;
  toMs: number | null;
  officerNo: string | null;
  detail: string;
  state: FindingState;
  prefillReason: string | null;
  prefillEvidence: string | null;
  reason: string | null;
  text: string | null;
  justifiedBy: string | null;
  justifiedAtMs: number | null;
  decidedBy: string | null;
  decidedAtMs: number | null;
  decisionText: string | null;
  /** A `remote_duty` justification's return of the officer to the unit (004 §13), epoch ms; else null. */
  returnedAtMs: number | null;
  createdAtMs: number;
}

export type NewFinding = Pick<Finding, 'kind' | 'detail'> &
  Partial<Pick<Finding, 'serial' | 'recordingId' | 'sessionId' | 'seqFrom' | 'seqTo' | 'fromMs' | 'toMs' | 'officerNo' | 'prefillReason' | 'prefillEvidence' | 'state'>> & {
    /** A finding with the same key is raised once (docking the same file again raises no second finding). */
    dedupeKey?: string;
  };

interface Row {
  id: number;
  kind: string;
  serial: string | null;
  recording_id: number | null;
  session_id: string | null;
  seq_from: number | null;
  seq_to: number | null;
  from_ms: number | null;
  to_ms: number | null;
  officer_no: string | null;
  detail: string;
  state: FindingState;
  prefill_reason: string | null;
  prefill_evidence: string | null;
  reason: string | null;
  text: string | null;
  justified_by: string | null;
  justified_at_ms: number | null;
  decided_by: string | null;
  decided_at_ms: number | null;
  decision_text: string | null;
  returned_at_ms: number | null;
  created_at_ms: number;
}

const toFinding = (r: Row): Finding => ({
  id: r.id,
  kind: r.kind,
  serial: r.serial,
  recordingId: r.recording_id,
  sessionId: r.session_id,
  seqFrom: r.seq_from,
  seqTo: r.seq_to,
  fromMs: r.from_ms,
  toMs: r.to_ms,
  officerNo: r.officer_no,
  detail: r.detail,
  state: r.state,
  prefillReason: r.prefill_reason,
  prefillEvidence: r.prefill_evidence,
  reason: r.reason,
  text: r.text,
  justifiedBy: r.justified_by,
  justifiedAtMs: r.justified_at_ms,
  decidedBy: r.decided_by,
  decidedAtMs: r.decided_at_ms,
  decisionText: r.decision_text,
  returnedAtMs: r.returned_at_ms,
  createdAtMs: r.created_at_ms,
});

export interface FindingQuery {
  kind?: string;
  serial?: string;
  officerNo?: string;
  state?: FindingState;
  limit: number;
  beforeId?: number;
}

export class FindingRepo {
  constructor(private readonly db: Db) {}

  /** Insert unless a finding with the same dedupe key exists; returns the id either way. */
  raise(f: NewFinding, atMs: number): { id: number; created: boolean } {
    if (f.dedupeKey) {
      const existing = this.db.prepare('SELECT id FROM findings WHERE dedupe_key = ?').get(f.dedupeKey) as { id: number } | undefined;
      if (existing) return { id: existing.id, created: false };
    }
    const info = this.db
      .prepare(
        `INSERT INTO findings (kind, serial, recording_id, session_id, seq_from, seq_to, from_ms, to_ms, officer_no, detail, dedupe_key, state,
          prefill_reason, prefill_evidence, created_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        f.kind,
        f.serial ?? null,
        f.recordingId ?? null,
        f.sessionId ?? null,
        f.seqFrom ?? null,
        f.seqTo ?? null,
        f.fromMs ?? null,
        f.toMs ?? null,
        f.officerNo ?? null,
        f.detail,
        f.dedupeKey ?? null,
        f.state ?? 'open',
        f.prefillReason ?? null,
        f.prefillEvidence ?? null,
        atMs,
      );
    return { id: Number(info.lastInsertRowid), created: true };
  }

  get(id: number): Finding | null {
    const r = this.db.prepare('SELECT * FROM findings WHERE id = ?').get(id) as Row | undefined;
    return r ? toFinding(r) : null;
  }

  query(q: FindingQuery): Finding[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.kind) (where.push('kind = ?'), args.push(q.kind));
    if (q.serial) (where.push('serial = ?'), args.push(q.serial));
    if (q.officerNo) (where.push('officer_no = ?'), args.push(q.officerNo));
    if (q.state) (where.push('state = ?'), args.push(q.state));
    if (q.beforeId !== undefined) (where.push('id < ?'), args.push(q.beforeId));
    const sql = `SELECT * FROM findings ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map(toFinding);
  }

  /** A recorder's last findings, newest first, read in order from the index findings_serial (not all of them sorted). */
  recentOf(serial: string, limit: number): Finding[] {
    return (this.db.prepare('SELECT * FROM findings WHERE serial = ? ORDER BY created_at_ms DESC, id DESC LIMIT ?').all(serial, limit) as Row[]).map(toFinding);
  }

  forSession(sessionId: string): Finding[] {
    return (this.db.prepare('SELECT * FROM findings WHERE session_id = ? ORDER BY id').all(sessionId) as Row[]).map(toFinding);
  }

  /** Justify (again): a reason, its text and, for `remote_duty`, when the officer returned; any earlier decision is cleared. */
  justify(id: number, by: string, reason: string, text: string, atMs: number, returnedAtMs: number | null = null): void {
    this.db
      .prepare("UPDATE findings SET state='justified', reason=?, text=?, returned_at_ms=?, justified_by=?, justified_at_ms=?, decided_by=NULL, decided_at_ms=NULL, decision_text=NULL WHERE id=?")
      .run(reason, text, returnedAtMs, by, atMs, id);
  }

  decide(id: number, state: 'approved' | 'rejected', by: string, text: string | null, atMs: number): void {
    this.db.prepare('UPDATE findings SET state=?, decided_by=?, decided_at_ms=?, decision_text=? WHERE id=?').run(state, by, atMs, text, id);
  }
}
