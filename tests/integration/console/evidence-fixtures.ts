import { PASSWORD, T0, addRecording, type Harness } from '../../helpers/console.js';
import type { Fixture } from './fixtures.js';

/** What the evidence-access rows of the rights table need beside the console fixture. */
export interface EvidenceFixture {
  /** Another officer's recording every role that may export holds an approved copy request for (signed or not: rights only). */
  exportRec: number;
  /** A recording the confidential rows mark (so the other rows' recordings stay as they were). */
  spareRec: number;
  /** A request of `aud1`, readable by the register's readers. */
  requestId: number;
  caseId: number;
  documentId: number;
}

/**
 * Approved copy requests for officer, equipment manager, supervisor and legal on `exportRec` (legal's own
 * approved by a second legal reviewer, `legal2`, since nobody approves their own), a case with the officer's
 * recording and a document.
 */
export async function seedEvidence(h: Harness, f: Fixture, mp4: string): Promise<EvidenceFixture> {
  await h.ledger.users.add('legal2', 'legal', PASSWORD, T0);
  const exportRec = addRecording(h, { seq: 50, officerNo: '100002', file: mp4 });
  const spareRec = addRecording(h, { seq: 51, officerNo: '100002', file: mp4 });
  for (const as of ['100001', 'em1', 'sup1', 'legal1']) {
    const rq = await h.req('POST', '/api/access-requests', { as, body: { recordingIds: [exportRec], kind: 'copy', purpose: 'court bundle' } });
    if (rq.statusCode !== 201) throw new Error(`file as ${as}: ${rq.statusCode} ${rq.body}`);
    const ok = await h.req('POST', `/api/access-requests/${rq.json().id}/approve`, { as: as === 'legal1' ? 'legal2' : 'legal1', body: {} });
    if (ok.statusCode !== 200) throw new Error(`approve for ${as}: ${ok.statusCode} ${ok.body}`);
  }
  const rq = await h.req('POST', '/api/access-requests', { as: 'aud1', body: { recordingIds: [f.otherRec], kind: 'view', purpose: 'annual review' } });
  const c = await h.req('POST', '/api/cases', { as: 'sup1', body: { caseNo: 'RIGHTS-1', name: '某餐馆油烟扰民', matterId: '1' } });
  const caseId = c.json().id as number;
  await h.req('POST', `/api/cases/${caseId}/recordings`, { as: 'sup1', body: { recordingIds: [f.ownRec] } });
  const d = await h.req('POST', `/api/cases/${caseId}/documents?name=notice.pdf`, { as: 'sup1', payload: '%PDF-1.4\n%%EOF\n', headers: { 'content-type': 'application/pdf' } });
  if (d.statusCode !== 201) throw new Error(`document: ${d.statusCode} ${d.body}`);
  return { exportRec, spareRec, requestId: rq.json().id as number, caseId, documentId: d.json().id as number };
}
