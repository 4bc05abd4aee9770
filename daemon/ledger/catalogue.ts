import type { Db } from './db.js';

/** 004 §14: footage touching state secrets, commercial secrets or personal privacy. */
export const CONFIDENTIAL_CLASSES = ['state_secret', 'commercial_secret', 'privacy'] as const;
export type ConfidentialClass = (typeof CONFIDENTIAL_CLASSES)[number];
export type TargetKind = 'person' | 'company';

/** The enforcement target (执法对象): a person or a company, by name and ID number (ID card or credit code). */
export interface Target {
  kind: TargetKind;
  name: string;
  idNo: string | null;
}

/** A case or activity the footage belongs to, with its matter from the matters catalogue (004 annex 3). */
export interface CaseRecord {
  id: number;
  caseNo: string;
  name: string;
  matterId: string;
  category: string;
  matter: string;
  /** The matter's storage time is "as the written records": linked footage is held with the case file. */
  keepWithCase: boolean;
  target: Target | null;
  createdBy: string;
  createdAt: string;
  createdAtMs: number;
}

export interface CaseLink {
  caseId: number;
  caseNo: string;
  recordingId: number;
  linkedBy: string;
  linkedAt: string;
  linkedAtMs: number;
  holdId: number | null;
}

export interface CaseDocument {
  id: number;
  caseId: number;
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
  storedPath: string;
  addedBy: string;
  addedAt: string;
  addedAtMs: number;
}

/** What a recording shows (001 (二)2): a content note, and for audio the speakers and the gist. */
export interface RecordingNote {
  recordingId: number;
  contentNote: string | null;
  speakers: string | null;
  gist: string | null;
  target: Target | null;
  updatedBy: string;
  updatedAtMs: number;
}

export interface ConfidentialMark {
  recordingId: number;
  class: ConfidentialClass;
  reason: string;
  markedBy: string;
  markedAt: string;
  markedAtMs: number;
}

/** Search fields that the catalogue answers (each narrows the recordings to a set of ids). */
export interface CatalogueFilter {
  caseRef?: string;
  matterId?: string;
  category?: string;
  /** A target's name (part of it) or its ID number (whole). */
  target?: string;
  evidenceNo?: string;
  holdReason?: string;
}

interface CaseRow {
  id: number;
  case_no: string;
  name: string;
  matter_id: string;
  category: string;
  matter: string;
  keep_with_case: number;
  target_kind: TargetKind | null;
  target_name: string | null;
  target_id_no: string | null;
  created_by: string;
  created_at: string;
  created_at_ms: number;
}

const toTarget = (kind: TargetKind | null, name: string | null, idNo: string | null): Target | null => (kind && name ? { kind, name, idNo } : null);

const toCase = (r: CaseRow): CaseRecord => ({
  id: r.id,
  caseNo: r.case_no,
  name: r.name,
  matterId: r.matter_id,
  category: r.category,
  matter: r.matter,
  keepWithCase: r.keep_with_case === 1,
  target: toTarget(r.target_kind, r.target_name, r.target_id_no),
  createdBy: r.created_by,
  createdAt: r.created_at,
  createdAtMs: r.created_at_ms,
});

/** `%` and `_` are text in a name search. */
const likeText = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Evidence numbers, cases and their links, notes, documents and confidential marks. */
export class CatalogueRepo {
  constructor(private readonly db: Db) {}

  evidenceNo(recordingId: number): string | null {
    const r = this.db.prepare('SELECT evidence_no FROM evidence_numbers WHERE recording_id = ?').get(recordingId) as { evidence_no: string } | undefined;
    return r?.evidence_no ?? null;
  }

  addCase(c: Omit<CaseRecord, 'id'>): number {
    const info = this.db
      .prepare(
        `INSERT INTO cases (case_no, name, matter_id, category, matter, keep_with_case, target_kind, target_name, target_id_no, created_by, created_at, created_at_ms)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(c.caseNo, c.name, c.matterId, c.category, c.matter, c.keepWithCase ? 1 : 0, c.target?.kind ?? null, c.target?.name ?? null, c.target?.idNo ?? null, c.createdBy, c.createdAt, c.createdAtMs);
    return Number(info.lastInsertRowid);
  }

  getCase(id: number): CaseRecord | null {
    const r = this.db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
    return r ? toCase(r) : null;
  }

  caseByNo(caseNo: string): CaseRecord | null {
    const r = this.db.prepare('SELECT * FROM cases WHERE case_no = ?').get(caseNo) as CaseRow | undefined;
    return r ? toCase(r) : null;
  }

  /**
   * Cases newest first. `officerNo`: only cases that officer opened or that hold one of their recordings.
   * `text`: part of the case number, name or target name, or the target's whole ID number.
   */
  listCases(q: { limit: number; beforeId?: number; officerNo?: string; text?: string; matterId?: string }): CaseRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.beforeId !== undefined) (where.push('c.id < ?'), args.push(q.beforeId));
    if (q.matterId !== undefined) (where.push('c.matter_id = ?'), args.push(q.matterId));
    if (q.officerNo !== undefined) {
      where.push('(c.created_by = ? OR EXISTS (SELECT 1 FROM case_recordings x JOIN recordings r ON r.id = x.recording_id WHERE x.case_id = c.id AND r.officer_no = ?))');
      args.push(q.officerNo, q.officerNo);
    }
    if (q.text !== undefined) {
      const like = likeText(q.text);
      where.push(`(c.case_no LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\' OR c.target_name LIKE ? ESCAPE '\\' OR c.target_id_no = ?)`);
      args.push(like, like, like, q.text);
    }
    const sql = `SELECT c.* FROM cases c ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY c.id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as CaseRow[]).map(toCase);
  }

  /** Link recordings to a case (already linked ones stay as they were); returns the ids newly linked. */
  link(caseId: number, recordingIds: readonly number[], by: string, atMs: number, at: string, holdId: number | null): number[] {
    const st = this.db.prepare('INSERT OR IGNORE INTO case_recordings (case_id, recording_id, linked_by, linked_at, linked_at_ms, hold_id) VALUES (?,?,?,?,?,?)');
    return recordingIds.filter((r) => st.run(caseId, r, by, at, atMs, holdId).changes === 1);
  }

  linksOfCase(caseId: number): CaseLink[] {
    return (
      this.db
        .prepare('SELECT x.*, c.case_no FROM case_recordings x JOIN cases c ON c.id = x.case_id WHERE x.case_id = ? ORDER BY x.linked_at_ms, x.recording_id')
        .all(caseId) as Array<{ case_id: number; case_no: string; recording_id: number; linked_by: string; linked_at: string; linked_at_ms: number; hold_id: number | null }>
    ).map((r) => ({ caseId: r.case_id, caseNo: r.case_no, recordingId: r.recording_id, linkedBy: r.linked_by, linkedAt: r.linked_at, linkedAtMs: r.linked_at_ms, holdId: r.hold_id }));
  }

  linksOfRecording(recordingId: number): CaseLink[] {
    return (
      this.db
        .prepare('SELECT x.*, c.case_no FROM case_recordings x JOIN cases c ON c.id = x.case_id WHERE x.recording_id = ? ORDER BY x.linked_at_ms')
        .all(recordingId) as Array<{ case_id: number; case_no: string; recording_id: number; linked_by: string; linked_at: string; linked_at_ms: number; hold_id: number | null }>
    ).map((r) => ({ caseId: r.case_id, caseNo: r.case_no, recordingId: r.recording_id, linkedBy: r.linked_by, linkedAt: r.linked_at, linkedAtMs: r.linked_at_ms, holdId: r.hold_id }));
  }

  addDocument(d: Omit<CaseDocument, 'id'>): number {
    const info = this.db
      .prepare('INSERT INTO case_documents (case_id, name, media_type, size, sha256, stored_path, added_by, added_at, added_at_ms) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(d.caseId, d.name, d.mediaType, d.size, d.sha256, d.storedPath, d.addedBy, d.addedAt, d.addedAtMs);
    return Number(info.lastInsertRowid);
  }

  documents(caseId: number): CaseDocument[] {
    return (
      this.db.prepare('SELECT * FROM case_documents WHERE case_id = ? ORDER BY id').all(caseId) as Array<{
        id: number;
        case_id: number;
        name: string;
        media_type: string;
        size: number;
        sha256: string;
        stored_path: string;
        added_by: string;
        added_at: string;
        added_at_ms: number;
      }>
    ).map((r) => ({ id: r.id, caseId: r.case_id, name: r.name, mediaType: r.media_type, size: r.size, sha256: r.sha256, storedPath: r.stored_path, addedBy: r.added_by, addedAt: r.added_at, addedAtMs: r.added_at_ms }));
  }

  setNote(n: RecordingNote): void {
    this.db
      .prepare(
        `INSERT INTO recording_notes (recording_id, content_note, speakers, gist, target_kind, target_name, target_id_no, updated_by, updated_at_ms) VALUES (?,?,?,?,?,?,?,?,?)
         ON CONFLICT(recording_id) DO UPDATE SET content_note = excluded.content_note, speakers = excluded.speakers, gist = excluded.gist, target_kind = excluded.target_kind,
           target_name = excluded.target_name, target_id_no = excluded.target_id_no, updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms`,
      )
      .run(n.recordingId, n.contentNote, n.speakers, n.gist, n.target?.kind ?? null, n.target?.name ?? null, n.target?.idNo ?? null, n.updatedBy, n.updatedAtMs);
  }

  note(recordingId: number): RecordingNote | null {
    const r = this.db.prepare('SELECT * FROM recording_notes WHERE recording_id = ?').get(recordingId) as
      | { recording_id: number; content_note: string | null; speakers: string | null; gist: string | null; target_kind: TargetKind | null; target_name: string | null; target_id_no: string | null; updated_by: string; updated_at_ms: number }
      | undefined;
    if (!r) return null;
    return { recordingId: r.recording_id, contentNote: r.content_note, speakers: r.speakers, gist: r.gist, target: toTarget(r.target_kind, r.target_name, r.target_id_no), updatedBy: r.updated_by, updatedAtMs: r.updated_at_ms };
  }

  /** Mark (or re-mark with another class or reason) a recording confidential. */
  markConfidential(m: ConfidentialMark): void {
    this.db
      .prepare(
        `INSERT INTO recording_confidential (recording_id, class, reason, marked_by, marked_at, marked_at_ms) VALUES (?,?,?,?,?,?)
         ON CONFLICT(recording_id) DO UPDATE SET class = excluded.class, reason = excluded.reason, marked_by = excluded.marked_by, marked_at = excluded.marked_at, marked_at_ms = excluded.marked_at_ms`,
      )
      .run(m.recordingId, m.class, m.reason, m.markedBy, m.markedAt, m.markedAtMs);
  }

  /** Remove a confidential mark; false when there was none. */
  unmarkConfidential(recordingId: number): boolean {
    return this.db.prepare('DELETE FROM recording_confidential WHERE recording_id = ?').run(recordingId).changes === 1;
  }

  confidential(recordingId: number): ConfidentialMark | null {
    const r = this.db.prepare('SELECT * FROM recording_confidential WHERE recording_id = ?').get(recordingId) as
      | { recording_id: number; class: ConfidentialClass; reason: string; marked_by: string; marked_at: string; marked_at_ms: number }
      | undefined;
    return r ? { recordingId: r.recording_id, class: r.class, reason: r.reason, markedBy: r.marked_by, markedAt: r.marked_at, markedAtMs: r.marked_at_ms } : null;
  }

  /** Which of `ids` are marked confidential. */
  confidentialIds(ids: readonly number[]): Set<number> {
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      if (chunk.length === 0) continue;
      const rows = this.db.prepare(`SELECT recording_id AS id FROM recording_confidential WHERE recording_id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as { id: number }[];
      for (const r of rows) out.add(r.id);
    }
    return out;
  }

  /**
   * The recordings of a case, whatever put them there: a link to the case, a hold under its reference (active or
   * released), or an activity declared under it. The one answer search, holds and case pages give.
   */
  recordingIdsForCase(caseRef: string): number[] {
    const rows = this.db
      .prepare(
        `SELECT x.recording_id AS id FROM case_recordings x JOIN cases c ON c.id = x.case_id WHERE c.case_no = ?
         UNION SELECT x.recording_id FROM hold_recordings x JOIN holds h ON h.id = x.hold_id WHERE h.case_ref = ?
         UNION SELECT r.id FROM recordings r JOIN activities a ON a.officer_no = r.officer_no
           WHERE a.case_ref = ? AND r.sort_ms < a.end_ms AND r.sort_ms + r.duration_ms > a.start_ms
         ORDER BY 1`,
      )
      .all(caseRef, caseRef, caseRef) as { id: number }[];
    return rows.map((r) => r.id);
  }

  /** The ids matching every field given (intersection), or null when the filter names no catalogue field. */
  matching(f: CatalogueFilter): number[] | null {
    const sets: number[][] = [];
    const ids = (sql: string, ...args: unknown[]) => (this.db.prepare(sql).all(...args) as { id: number }[]).map((r) => r.id);
    if (f.caseRef !== undefined) sets.push(this.recordingIdsForCase(f.caseRef));
    if (f.matterId !== undefined) sets.push(ids('SELECT DISTINCT x.recording_id AS id FROM case_recordings x JOIN cases c ON c.id = x.case_id WHERE c.matter_id = ?', f.matterId));
    if (f.category !== undefined) sets.push(ids('SELECT DISTINCT x.recording_id AS id FROM case_recordings x JOIN cases c ON c.id = x.case_id WHERE c.category = ?', f.category));
    if (f.evidenceNo !== undefined) sets.push(ids('SELECT recording_id AS id FROM evidence_numbers WHERE evidence_no = ?', f.evidenceNo));
    if (f.holdReason !== undefined) {
      sets.push(ids('SELECT DISTINCT x.recording_id AS id FROM hold_recordings x JOIN holds h ON h.id = x.hold_id WHERE h.reason = ? AND h.released_at_ms IS NULL', f.holdReason));
    }
    if (f.target !== undefined) {
      const like = likeText(f.target);
      sets.push(
        ids(
          `SELECT x.recording_id AS id FROM case_recordings x JOIN cases c ON c.id = x.case_id WHERE c.target_id_no = ? OR c.target_name LIKE ? ESCAPE '\\'
           UNION SELECT recording_id FROM recording_notes WHERE target_id_no = ? OR target_name LIKE ? ESCAPE '\\'`,
          f.target,
          like,
          f.target,
          like,
        ),
      );
    }
    if (sets.length === 0) return null;
    return sets.reduce((acc, s) => {
      const keep = new Set(s);
      return acc.filter((id) => keep.has(id));
    });
  }

  /** Audit entries about a recording (subject = its id), oldest first: marks, notes, links, views. */
  auditOf(recordingId: number): Array<{ atMs: number; at: string; actor: string; action: string; detail: unknown }> {
    return (
      this.db.prepare('SELECT at_ms, at, actor, action, detail FROM audit WHERE subject = ? ORDER BY id').all(String(recordingId)) as Array<{
        at_ms: number;
        at: string;
        actor: string;
        action: string;
        detail: string;
      }>
    ).map((r) => ({ atMs: r.at_ms, at: r.at, actor: r.actor, action: r.action, detail: JSON.parse(r.detail) as unknown }));
  }
}
