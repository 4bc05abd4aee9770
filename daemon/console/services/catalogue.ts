import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config.js';
import type { CaseRecord, Target } from '../../ledger/catalogue.js';
import type { Ledger } from '../../ledger/index.js';
import type { RetentionServices } from '../../retention/index.js';
import type { AuthUser } from '../deps.js';
import type { Scope } from '../rights.js';
import { ServiceError } from './errors.js';

interface Deps {
  ledger: Ledger;
  config: Pick<Config, 'catalogue' | 'dataDir'>;
  retention?: Pick<RetentionServices, 'service'> | undefined;
  now(): number;
  iso(ms: number): string;
}
type Who = Pick<AuthUser, 'username' | 'role'>;

const cleanTarget = (t: Target | null | undefined): Target | null => {
  if (!t) return null;
  const name = t.name.trim();
  if (!name) throw new ServiceError('invalid', 'body.target.name: must not be empty', 'target');
  return { kind: t.kind, name, idNo: t.idNo?.trim() || null };
};

/** Open a case (or activity) under a matter of the catalogue (004 annex 3). Audited. */
export function openCase(deps: Deps, user: Who, c: { caseNo: string; name: string; matterId: string; target?: Target | null | undefined }): CaseRecord {
  const caseNo = c.caseNo.trim();
  const matter = deps.config.catalogue.matters.find((m) => m.id === c.matterId);
  if (!matter) throw new ServiceError('invalid', `body.matterId: no matter "${c.matterId}" in the catalogue`, 'matterId');
  if (deps.ledger.catalogue.caseByNo(caseNo)) throw new ServiceError('conflict', `body.caseNo: case ${caseNo} exists`, 'caseNo');
  const now = deps.now();
  const target = cleanTarget(c.target);
  return deps.ledger.tx(() => {
    const id = deps.ledger.catalogue.addCase({
      caseNo,
      name: c.name.trim(),
      matterId: matter.id,
      category: matter.category,
      matter: matter.matter,
      keepWithCase: matter.keepWithCase,
      target,
      createdBy: user.username,
      createdAt: deps.iso(now),
      createdAtMs: now,
    });
    deps.ledger.audit.append(now, user.username, 'case.opened', `case/${id}`, { caseNo, matterId: matter.id, target });
    return deps.ledger.catalogue.getCase(id)!;
  });
}

/**
 * Link recordings to a case. An officer links only their own. When the case's matter keeps its footage "as the
 * written records", the link itself places a `case` hold under the case number on the recordings it newly links
 * (through the retention service and its lock when the console has one), so the footage stays with the case file.
 */
export async function linkRecordings(deps: Deps, user: Who, scope: Scope, caseId: number, recordingIds: number[]): Promise<{ linked: number[]; holdId: number | null }> {
  const c = deps.ledger.catalogue.getCase(caseId);
  if (!c) throw new ServiceError('not_found', `no case ${caseId}`);
  const ids = [...new Set(recordingIds)];
  for (const id of ids) {
    const rec = deps.ledger.recordings.get(id);
    if (!rec) throw new ServiceError('not_found', `body.recordingIds: no recording ${id}`, 'recordingIds');
    if (rec.purgedAtMs !== null) throw new ServiceError('conflict', `body.recordingIds: recording ${id} was purged`, 'recordingIds');
    if (scope === 'own' && rec.officerNo !== user.username) throw new ServiceError('forbidden', `officers link only their own recordings (recording ${id})`);
  }
  const already = new Set(deps.ledger.catalogue.linksOfCase(caseId).map((l) => l.recordingId));
  const fresh = ids.filter((id) => !already.has(id));
  if (fresh.length === 0) return { linked: [], holdId: null };
  let holdId: number | null = null;
  if (c.keepWithCase) {
    const h = { recordingIds: fresh, reason: 'case', caseRef: c.caseNo, note: `${c.category} ${c.matter}: kept with the case file (004 annex 3)` };
    if (deps.retention) holdId = (await deps.retention.service.placeHold(h, user.username)).id;
    else {
      const now = deps.now();
      holdId = deps.ledger.tx(() => {
        const id = deps.ledger.holds.place({ reason: 'case', caseRef: c.caseNo, note: h.note, recordingIds: fresh, placedBy: user.username, placedAt: deps.iso(now), placedAtMs: now });
        deps.ledger.audit.append(now, user.username, 'hold.placed', `hold/${id}`, { reason: 'case', caseRef: c.caseNo, note: h.note, recordingIds: fresh });
        return id;
      });
    }
  }
  const now = deps.now();
  const linked = deps.ledger.tx(() => {
    const done = deps.ledger.catalogue.link(caseId, fresh, user.username, now, deps.iso(now), holdId);
    for (const id of done) deps.ledger.audit.append(now, user.username, 'catalogue.linked', String(id), { caseId, caseNo: c.caseNo, holdId });
    return done;
  });
  return { linked, holdId };
}

/** Note what a recording shows (001 (二)2): content, for audio the speakers and the gist, and its target. Audited. */
export function noteRecording(
  deps: Deps,
  user: Who,
  scope: Scope,
  recordingId: number,
  n: { contentNote?: string | null | undefined; speakers?: string | null | undefined; gist?: string | null | undefined; target?: Target | null | undefined },
): void {
  const rec = deps.ledger.recordings.get(recordingId);
  if (!rec || rec.purgedAtMs !== null) throw new ServiceError('not_found', `no recording ${recordingId}`);
  if (scope === 'own' && rec.officerNo !== user.username) throw new ServiceError('forbidden', 'officers note only their own recordings');
  const now = deps.now();
  const note = {
    recordingId,
    contentNote: n.contentNote?.trim() || null,
    speakers: n.speakers?.trim() || null,
    gist: n.gist?.trim() || null,
    target: cleanTarget(n.target),
    updatedBy: user.username,
    updatedAtMs: now,
  };
  deps.ledger.tx(() => {
    deps.ledger.catalogue.setNote(note);
    deps.ledger.audit.append(now, user.username, 'catalogue.noted', String(recordingId), { contentNote: note.contentNote, speakers: note.speakers, gist: note.gist, target: note.target });
  });
}

export const DOCUMENT_TYPES: Record<string, string> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpg', 'image/png': 'png' };

/**
 * Attach a document of the case (a PDF, a photo of a form) so that the text and audio-video records about one
 * case or target are found together (000 (二)8). Stored under `<dataDir>/documents/` (never under footage/),
 * written to a temporary name and renamed, with its SHA-256 in the ledger. Audited.
 */
export async function attachDocument(deps: Deps, user: Who, caseId: number, d: { name: string; mediaType: string; bytes: Buffer }) {
  const c = deps.ledger.catalogue.getCase(caseId);
  if (!c) throw new ServiceError('not_found', `no case ${caseId}`);
  const ext = DOCUMENT_TYPES[d.mediaType];
  if (!ext) throw new ServiceError('invalid', `content-type: one of ${Object.keys(DOCUMENT_TYPES).join(', ')}`, 'content-type');
  if (d.bytes.length === 0) throw new ServiceError('invalid', 'body: the document is empty', 'body');
  const sha256 = createHash('sha256').update(d.bytes).digest('hex');
  const dir = join(deps.config.dataDir, 'documents', String(caseId));
  await mkdir(dir, { recursive: true });
  const file = `${sha256.slice(0, 16)}.${ext}`;
  const tmp = join(dir, `.${file}.tmp`);
  await writeFile(tmp, d.bytes, { mode: 0o440 });
  await rename(tmp, join(dir, file));
  const now = deps.now();
  return deps.ledger.tx(() => {
    const id = deps.ledger.catalogue.addDocument({
      caseId,
      name: d.name,
      mediaType: d.mediaType,
      size: d.bytes.length,
      sha256,
      storedPath: `documents/${caseId}/${file}`,
      addedBy: user.username,
      addedAt: deps.iso(now),
      addedAtMs: now,
    });
    deps.ledger.audit.append(now, user.username, 'case.document_added', `case/${caseId}`, { documentId: id, name: d.name, sha256, size: d.bytes.length });
    return deps.ledger.catalogue.documents(caseId).find((x) => x.id === id)!;
  });
}
