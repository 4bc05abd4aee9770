import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../daemon/config.js';
import { ANNEX3_MATTERS } from '../../../daemon/policy/matters.js';
import { T0, addOfficers, addRecording, makeMp4 } from '../../helpers/console.js';
import { buildRetention, type RetentionHarness } from '../retention/harness.js';

const DAY = 86_400_000;
let h: RetentionHarness;
let mp4: string;
let a: number;
let b: number;
let c: number;

beforeEach(async () => {
  h = await buildRetention();
  addOfficers(h.base);
  mp4 = makeMp4();
  a = addRecording(h.base, { seq: 1, officerNo: '100001', file: mp4, fileFlags: 1 });
  b = addRecording(h.base, { seq: 2, officerNo: '100002', file: mp4 });
  c = addRecording(h.base, { seq: 3, officerNo: '100001', file: mp4, startMs: T0 - 400 * DAY });
  await h.sign([a, b, c]);
});
afterEach(async () => h?.close());

const ids = async (q: string, as = 'sup1') => {
  const res = await h.req('GET', `/api/recordings${q}`, { as });
  if (res.statusCode !== 200) throw new Error(`${q}: ${res.statusCode} ${res.body}`);
  return (res.json().items as { id: number }[]).map((r) => r.id).sort((x, y) => x - y);
};

describe('evidence numbers and the important mark', () => {
  it('numbers every recording <unit>-<year>-<serial>, unique, in order of storing, and shows the recorder\'s mark as the flag important', async () => {
    const recs = [a, b, c].map((id) => h.base.ledger.recordings.get(id)!);
    expect(recs.map((r) => r.evidenceNo)).toEqual(['U01-2026-000001', 'U01-2026-000002', 'U01-2025-000001']);
    const d = addRecording(h.base, { seq: 4, officerNo: null, file: mp4 });
    expect(h.base.ledger.recordings.get(d)!.evidenceNo).toBe('U0-2026-000001');
    const e = addRecording(h.base, { seq: 5, officerNo: '100002', file: mp4 });
    expect(h.base.ledger.recordings.get(e)!.evidenceNo).toBe('U01-2026-000003');
    expect(await ids('?evidence=U01-2026-000002')).toEqual([b]);
    const detail = (await h.req('GET', `/api/recordings/${a}`, { as: 'sup1' })).json();
    expect(detail).toMatchObject({ evidenceNo: 'U01-2026-000001', flags: ['important'] });
    expect(await ids('?flag=important')).toEqual([a]);
    expect(await ids('?flag=important', '100002')).toEqual([]);
  });
});

describe('cases, matters and targets (001 (二)2, 000 (二)8, 004 annex 3)', () => {
  it('ships annex 3 as the matters catalogue and refuses a catalogue that uses an id twice', async () => {
    const matters = (await h.req('GET', '/api/matters', { as: '100001' })).json();
    expect(matters).toEqual(ANNEX3_MATTERS);
    expect(matters.map((m: { category: string; matter: string; storage: string }) => `${m.category}/${m.matter}/${m.storage}`)).toEqual([
      '行政检查/调查取证/与文字材料存储时间一致',
      '行政处罚/听证/与文字材料存储时间一致',
    ]);
    expect(() => parseConfig({ catalogue: { matters: [ANNEX3_MATTERS[0], ANNEX3_MATTERS[0]] } }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ catalogue: { matters: [ANNEX3_MATTERS[0], ANNEX3_MATTERS[0]] } }, {})).toThrow(/catalogue.matters\[1\].id/);
  });

  it('a case linked to a matter kept "as the written records" holds its footage with the case file, and search, holds and the case page agree', async () => {
    const opened = await h.req('POST', '/api/cases', {
      as: 'sup1',
      body: { caseNo: '舞环罚〔2026〕7号', name: '某化工厂超标排放案', matterId: '2', target: { kind: 'company', name: '舞钢市某化工有限公司', idNo: '91410481MA0000000X' } },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    expect(opened.json()).toMatchObject({ category: '行政处罚', matter: '听证', keepWithCase: true });
    const caseId = opened.json().id;
    expect((await h.req('POST', '/api/cases', { as: 'sup1', body: { caseNo: '舞环罚〔2026〕7号', name: 'x', matterId: '2' } })).statusCode).toBe(409);
    expect((await h.req('POST', '/api/cases', { as: 'sup1', body: { caseNo: 'X', name: 'x', matterId: '99' } })).json().error).toMatch(/body.matterId/);

    // An officer links only their own recordings.
    const foreign = await h.req('POST', `/api/cases/${caseId}/recordings`, { as: '100001', body: { recordingIds: [a, b] } });
    expect(foreign.statusCode).toBe(403);
    const link = await h.req('POST', `/api/cases/${caseId}/recordings`, { as: '100001', body: { recordingIds: [a] } });
    expect(link.statusCode, link.body).toBe(200);
    const holdId = link.json().holdId;
    expect(link.json()).toEqual({ linked: [a], holdId: expect.any(Number) });
    const hold = (await h.req('GET', `/api/holds/${holdId}`, { as: 'legal1' })).json();
    expect(hold).toMatchObject({ reason: 'case', caseRef: '舞环罚〔2026〕7号', recordingIds: [a], placedBy: '100001', active: true });
    expect((await h.req('GET', `/api/recordings/${a}`, { as: 'sup1' })).json().hold).toBe(true);
    // Linked again: nothing new, no second hold.
    expect((await h.req('POST', `/api/cases/${caseId}/recordings`, { as: 'sup1', body: { recordingIds: [a] } })).json()).toEqual({ linked: [], holdId: null });

    // The footage stays past its retention date: the purge refuses it.
    h.advance(301 * DAY);
    expect((await h.req('POST', '/api/retention/purge', { as: 'em1', body: { ids: [a], reason: 'expired' } })).json()).toEqual({ purged: [], refused: [{ id: a, reason: 'hold' }] });

    // The same answer everywhere: search by case, matter, category, target (name part or ID number), hold reason.
    expect(await ids(`?case=${encodeURIComponent('舞环罚〔2026〕7号')}`)).toEqual([a]);
    expect(await ids('?matter=2')).toEqual([a]);
    expect(await ids(`?category=${encodeURIComponent('行政处罚')}`)).toEqual([a]);
    expect(await ids(`?target=${encodeURIComponent('化工')}`)).toEqual([a]);
    expect(await ids('?target=91410481MA0000000X')).toEqual([a]);
    expect(await ids('?holdReason=case')).toEqual([a]);
    expect(await ids('?holdReason=case&officer=100002')).toEqual([]);
    expect((await h.req('GET', `/api/holds?case=${encodeURIComponent('舞环罚〔2026〕7号')}`, { as: 'em1' })).json().items.map((x: { id: number }) => x.id)).toEqual([holdId]);
    const page = (await h.req('GET', `/api/cases/${caseId}`, { as: 'em1' })).json();
    expect(page.recordings.map((r: { recording: { id: number } }) => r.recording.id)).toEqual([a]);
    expect(page.holds.map((x: { id: number }) => x.id)).toEqual([holdId]);
  });

  it('a recording held under a case reference is found by ?case= (it was not)', async () => {
    expect((await h.req('POST', '/api/holds', { as: 'legal1', body: { recordingIds: [b], reason: 'dispute', caseRef: 'C-1' } })).statusCode).toBe(201);
    expect(await ids('?case=C-1')).toEqual([b]);
    expect(await ids('?case=C-1', 'em1')).toEqual([b]);
    expect(await ids('?case=C-1', '100001')).toEqual([]);
    expect(await ids('?holdReason=dispute')).toEqual([b]);
  });

  it('notes what a recording shows, for audio the speakers and gist, and its target; documents of the case are on the same page', async () => {
    const caseId = (await h.req('POST', '/api/cases', { as: '100001', body: { caseNo: 'JC-2026-001', name: '油烟检查', matterId: '1', target: { kind: 'person', name: '赵某', idNo: '410481199001011234' } } })).json().id;
    expect((await h.req('POST', `/api/recordings/${b}/catalogue`, { as: '100001', body: { contentNote: 'x' } })).statusCode).toBe(403);
    const noted = await h.req('POST', `/api/recordings/${a}/catalogue`, {
      as: '100001',
      body: { contentNote: '进入现场，出示执法证件，告知检查事由', speakers: '执法人员张伟；当事人赵某', gist: '当事人拒绝在调查笔录上签字', target: { kind: 'person', name: '赵某', idNo: '410481199001011234' } },
    });
    expect(noted.statusCode, noted.body).toBe(200);
    const bad = await h.req('POST', `/api/recordings/${a}/catalogue`, { as: '100001', body: { target: { kind: 'robot', name: 'x' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/body.target/);
    await h.req('POST', `/api/cases/${caseId}/recordings`, { as: '100001', body: { recordingIds: [a, c] } });
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n');
    const doc = await h.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/documents?name=${encodeURIComponent('调查笔录.pdf')}`,
      headers: { ...(await cookieOf('100001')), 'content-type': 'application/pdf' },
      payload: pdf,
    });
    expect(doc.statusCode, doc.body).toBe(201);
    const wrongType = await h.app.inject({ method: 'POST', url: `/api/cases/${caseId}/documents?name=x.txt`, headers: { ...(await cookieOf('100001')), 'content-type': 'text/plain' }, payload: 'hello' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error).toMatch(/^content-type: /);

    const page = (await h.req('GET', `/api/cases/${caseId}`, { as: '100001' })).json();
    expect(page.case).toMatchObject({ caseNo: 'JC-2026-001', target: { kind: 'person', name: '赵某', idNo: '410481199001011234' } });
    expect(page.recordings.map((r: { recording: { id: number } }) => r.recording.id).sort()).toEqual([a, c].sort());
    expect(page.recordings.find((r: { recording: { id: number } }) => r.recording.id === a).note).toMatchObject({ speakers: '执法人员张伟；当事人赵某', gist: '当事人拒绝在调查笔录上签字' });
    expect(page.documents).toEqual([expect.objectContaining({ name: '调查笔录.pdf', mediaType: 'application/pdf', size: pdf.length })]);
    const got = await h.req('GET', page.documents[0].url, { as: 'em1' });
    expect(got.rawPayload.equals(pdf)).toBe(true);
    // The other officer does not see this case at all.
    expect((await h.req('GET', `/api/cases/${caseId}`, { as: '100002' })).statusCode).toBe(404);
    expect((await h.req('GET', '/api/cases', { as: '100002' })).json().items).toEqual([]);
    expect((await h.req('GET', `/api/cases?q=${encodeURIComponent('赵某')}`, { as: 'sup1' })).json().items.map((x: { id: number }) => x.id)).toEqual([caseId]);
    expect(await ids('?target=410481199001011234')).toEqual([a, c].sort((x, y) => x - y));
    expect((await h.req('GET', `/api/recordings/${a}/catalogue`, { as: 'aud1' })).json()).toMatchObject({ evidenceNo: 'U01-2026-000001', cases: [{ caseNo: 'JC-2026-001' }], confidential: null });
  });

  it('a confidential recording on a case page is counted, not shown, for a role that may not see it', async () => {
    const caseId = (await h.req('POST', '/api/cases', { as: 'sup1', body: { caseNo: 'K-1', name: 'k', matterId: '1' } })).json().id;
    await h.req('POST', `/api/cases/${caseId}/recordings`, { as: 'sup1', body: { recordingIds: [a, b] } });
    await h.req('POST', `/api/recordings/${b}/confidential`, { as: 'sup1', body: { class: 'state_secret', reason: '涉密' } });
    const page = (await h.req('GET', `/api/cases/${caseId}`, { as: 'aud1' })).json();
    expect(page.recordings.map((r: { recording: { id: number } }) => r.recording.id)).toEqual([a]);
    expect(page.hidden).toBe(1);
    expect(await ids('?case=K-1', 'aud1')).toEqual([a]);
  });
});

describe('the custody report', () => {
  it('lists capture, storage with its hash, the signed manifest, holds, requests, views and exports, as JSON and as a Chinese PDF', async () => {
    const caseId = (await h.req('POST', '/api/cases', { as: 'sup1', body: { caseNo: 'CU-1', name: 'c', matterId: '1' } })).json().id;
    await h.req('POST', `/api/cases/${caseId}/recordings`, { as: 'sup1', body: { recordingIds: [a] } });
    h.advance(60_000);
    await h.req('GET', `/api/recordings/${a}/media`, { as: 'legal1' });
    h.advance(60_000);
    const id = (await h.req('POST', '/api/access-requests', { as: 'em1', body: { recordingIds: [a], kind: 'copy', purpose: '移送检察院' } })).json().id;
    await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'legal1', body: {} });
    expect((await h.req('GET', `/api/recordings/${a}/export`, { as: 'em1' })).statusCode).toBe(200);
    const report = (await h.req('GET', `/api/recordings/${a}/custody`, { as: 'aud1' })).json();
    const rec = h.base.ledger.recordings.get(a)!;
    expect(report.recording).toMatchObject({ id: a, evidenceNo: rec.evidenceNo, sha256: rec.sha256, manifestSessionId: rec.manifestSessionId });
    expect(report.events.map((e: { event: string }) => e.event)).toEqual(['recorded', 'stored', 'flagged', 'signed', 'held', 'linked', 'view', 'requested', 'approved', 'export']);
    const times = report.events.map((e: { at: string }) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((x: number, y: number) => x - y));
    expect(report.events.find((e: { event: string }) => e.event === 'stored').text).toContain(rec.sha256);
    expect(report.events.find((e: { event: string }) => e.event === 'export')).toMatchObject({ actor: 'em1', detail: { requestId: id } });

    const pdf = await h.req('GET', `/api/recordings/${a}/custody?format=pdf`, { as: 'aud1' });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const dir = mkdtempSync(join(tmpdir(), 'bwc-custody-'));
    try {
      writeFileSync(join(dir, 'c.pdf'), pdf.rawPayload);
      const text = execFileSync('pdftotext', ['-layout', 'c.pdf', '-'], { cwd: dir, encoding: 'utf8' });
      for (const s of ['执法音像记录保管链报告', '证据编号', rec.evidenceNo!, '入库存储', '签名清单', '导出副本', '保全', rec.sha256]) expect(text, s).toContain(s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(h.base.ledger.audit.list({ limit: 5, action: 'custody.reported' }).map((x) => x.actor)).toEqual(['aud1', 'aud1']);
  });
});

async function cookieOf(username: string): Promise<Record<string, string>> {
  const res = await h.app.inject({ method: 'POST', url: '/api/login', payload: { username, password: 'correct-horse-1' } });
  const c = res.cookies.find((x) => x.name === 'bwc_session')!;
  return { cookie: `bwc_session=${c.value}`, 'x-csrf-token': (res.json() as { csrfToken: string }).csrfToken };
}
