import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../daemon/log.js';
import { rotateDockKey } from '../../../daemon/run.js';
import { addOfficers, addRecording, makeMp4 } from '../../helpers/console.js';
import { buildRetention, type RetentionHarness } from '../retention/harness.js';

const DAY = 86_400_000;
let h: RetentionHarness;
let mp4: string;
let a: number;
let b: number;

beforeEach(async () => {
  h = await buildRetention();
  addOfficers(h.base);
  mp4 = makeMp4();
  a = addRecording(h.base, { seq: 1, officerNo: '100001', file: mp4 });
  b = addRecording(h.base, { seq: 2, officerNo: '100002', file: mp4 });
  await h.sign([a, b]);
});
afterEach(async () => h?.close());

const file = (as: string, body: Record<string, unknown>) => h.req('POST', '/api/access-requests', { as, body });
const register = (recordingId: number) => h.base.ledger.access.list({ recordingId, limit: 100 });
const refusals = (actor: string) => h.base.ledger.audit.list({ limit: 100, action: 'access.refused', actor });

describe('view requests (004 annex 1 §5)', () => {
  it('refused without a request, filed, not approved by the one who filed it nor by the wrong role, approved by a supervisor, then the view is registered on the request', async () => {
    const refused = await h.req('GET', `/api/recordings/${a}/media`, { as: 'em1' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatch(/approved access request/);
    expect(refusals('em1')).toHaveLength(1);
    expect(register(a)).toEqual([]);

    const rq = await file('em1', { recordingIds: [a], kind: 'view', purpose: '核对设备故障时段的画面' });
    expect(rq.statusCode, rq.body).toBe(201);
    const id = rq.json().id as number;
    expect(rq.json()).toMatchObject({ kind: 'view', state: 'pending', status: 'pending', filedBy: 'em1', recordingIds: [a], expiresAt: null });
    // Still pending: no view yet.
    expect((await h.req('GET', `/api/recordings/${a}/media`, { as: 'em1' })).statusCode).toBe(403);

    // Nobody approves their own request: a supervisor's own request, a supervisor approving it.
    const own = await file('sup1', { recordingIds: [b], kind: 'view', purpose: 'own' });
    const self = await h.req('POST', `/api/access-requests/${own.json().id}/approve`, { as: 'sup1', body: {} });
    expect(self.statusCode).toBe(403);
    expect(self.json().error).toMatch(/own access request/);
    expect(h.base.ledger.accessRequests.get(own.json().id)!.state).toBe('pending');
    // A view is the head's to approve, not legal's nor the records keeper's.
    for (const as of ['legal1', 'em1']) expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as, body: {} })).statusCode, as).toBe(403);
    // The requester learns nothing new by deciding: em1 cannot approve it either way (own and role).

    const ok = await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup1', body: {} });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ state: 'approved', decidedBy: 'sup1', decidedByRole: 'supervisor' });
    expect(Date.parse(ok.json().expiresAt) - h.base.clock.t).toBe(7 * DAY);
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup2', body: {} })).statusCode).toBe(409);

    const seen = await h.req('GET', `/api/recordings/${a}/media`, { as: 'em1' });
    expect(seen.statusCode).toBe(200);
    expect(seen.headers['cache-control']).toBe('no-store');
    expect(seen.rawPayload.equals(readFileSync(mp4))).toBe(true);
    expect((await h.req('GET', `/api/recordings/${a}/thumbnail`, { as: 'em1' })).statusCode).toBe(200);
    const entries = register(a);
    expect(entries.map((e) => [e.kind, e.username, e.ground, e.requestId])).toEqual([
      ['thumbnail', 'em1', `request/${id}`, id],
      ['view', 'em1', `request/${id}`, id],
    ]);
    const reg = await h.req('GET', `/api/access-register?recording=${a}&username=em1`, { as: 'aud1' });
    expect(reg.json().items.map((e: { kind: string; ground: string }) => `${e.kind}:${e.ground}`)).toEqual([`thumbnail:request/${id}`, `view:request/${id}`]);
    // Chained into the audit trail.
    expect(h.base.ledger.audit.list({ limit: 10, action: 'recording.viewed', actor: 'em1' })[0]!.detail).toMatchObject({ ground: `request/${id}`, requestId: id });
    expect((await h.req('GET', '/api/audit/verify', { as: 'aud1' })).json().ok).toBe(true);
  });

  it('a request admits only the recordings it names, only to the one who filed it, and only until it expires (access.requestValidDays, 7 days by default)', async () => {
    const id = (await file('aud1', { recordingIds: [a], kind: 'view', purpose: '年度检查' })).json().id;
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup1', body: {} })).statusCode).toBe(200);
    expect((await h.req('GET', `/api/recordings/${a}/media`, { as: 'aud1' })).statusCode).toBe(200);
    expect((await h.req('GET', `/api/recordings/${b}/media`, { as: 'aud1' })).statusCode).toBe(403);
    expect((await h.req('GET', `/api/recordings/${a}/media`, { as: 'em1' })).statusCode).toBe(403);
    // Not a copy: an approved view is no export.
    expect((await h.req('GET', `/api/recordings/${a}/export`, { as: 'aud1' })).statusCode).toBe(403);
    h.advance(7 * DAY - 60_000);
    expect((await h.req('GET', `/api/recordings/${a}/media`, { as: 'aud1' })).statusCode).toBe(200);
    h.advance(2 * 60_000);
    const late = await h.req('GET', `/api/recordings/${a}/media`, { as: 'aud1' });
    expect(late.statusCode).toBe(403);
    expect(late.json().error).toMatch(/expired/);
    expect((await h.req('GET', `/api/access-requests/${id}`, { as: 'aud1' })).json().status).toBe('expired');
  });

  it('a denial needs a reason and admits nothing; no fee is ever recorded (an unknown field)', async () => {
    const id = (await file('em1', { recordingIds: [a], kind: 'view', purpose: 'curious' })).json().id;
    expect((await h.req('POST', `/api/access-requests/${id}/deny`, { as: 'sup1', body: {} })).json().error).toMatch(/body.reason/);
    const denied = await h.req('POST', `/api/access-requests/${id}/deny`, { as: 'sup1', body: { reason: '无工作需要' } });
    expect(denied.json()).toMatchObject({ state: 'denied', decisionReason: '无工作需要', expiresAt: null });
    expect((await h.req('GET', `/api/recordings/${a}/media`, { as: 'em1' })).statusCode).toBe(403);
    const fee = await file('em1', { recordingIds: [a], kind: 'view', purpose: 'x', fee: 10 });
    expect(fee.statusCode).toBe(400);
    expect(fee.json().error).toMatch(/body.fee/);
    const noRec = await file('em1', { recordingIds: [999], kind: 'view', purpose: 'x' });
    expect(noRec.statusCode).toBe(404);
    expect(noRec.json().error).toMatch(/body.recordingIds/);
  });

  it('an officer reads only their own requests; the register readers read all', async () => {
    await file('100001', { recordingIds: [b], kind: 'view', purpose: '同案协查' });
    await file('em1', { recordingIds: [a], kind: 'view', purpose: 'x' });
    const mine = (await h.req('GET', '/api/access-requests', { as: '100001' })).json().items;
    expect(mine.map((r: { filedBy: string }) => r.filedBy)).toEqual(['100001']);
    const all = (await h.req('GET', '/api/access-requests', { as: 'aud1' })).json().items;
    expect(all).toHaveLength(2);
    const other = all.find((r: { filedBy: string }) => r.filedBy === 'em1');
    expect((await h.req('GET', `/api/access-requests/${other.id}`, { as: '100001' })).statusCode).toBe(404);
  });

  it('repeated refusals of one user become one access_refused finding for the supervisor (annex 1 §12)', async () => {
    for (let i = 0; i < 2; i++) expect((await h.req('GET', `/api/recordings/${b}/media`, { as: 'aud1' })).statusCode).toBe(403);
    const found = () => h.base.ledger.findings.query({ limit: 10, kind: 'access_refused' });
    expect(found()).toHaveLength(0);
    expect((await h.req('GET', `/api/recordings/${b}/media`, { as: 'admin1' })).statusCode).toBe(403); // the guard's refusals count too
    expect(refusals('admin1')).toHaveLength(1);
    expect((await h.req('GET', `/api/recordings/${b}/thumbnail`, { as: 'aud1' })).statusCode).toBe(403);
    expect((await h.req('GET', `/api/recordings/${b}/media`, { as: 'aud1' })).statusCode).toBe(403);
    // One finding per user and window: the third refusal raised it, the fourth joins it.
    expect(found().map((f) => [f.kind, f.state, f.detail.split(';')[0]])).toEqual([['access_refused', 'open', 'aud1 (auditor) was refused footage 3 times within 24 h']]);
  });
});

describe('copies (004 annex 1 §4) and the export a recipient verifies alone', () => {
  it('a copy request approved by legal (not by a supervisor) gives a ZIP that openssl verifies, with the untouched file, registered and audited', async () => {
    expect((await h.req('GET', `/api/recordings/${a}/export`, { as: '100001' })).statusCode).toBe(403);
    const id = (await file('100001', { recordingIds: [a], kind: 'copy', purpose: '移送法院' })).json().id;
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup1', body: {} })).statusCode).toBe(403);
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'legal1', body: {} })).statusCode).toBe(200);

    const res = await h.req('GET', `/api/recordings/${a}/export`, { as: '100001' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['cache-control']).toBe('no-store');
    const rec = h.base.ledger.recordings.get(a)!;
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${rec.evidenceNo}.zip"`);

    const dir = mkdtempSync(join(tmpdir(), 'bwc-export-'));
    try {
      writeFileSync(join(dir, 'copy.zip'), res.rawPayload);
      execFileSync('unzip', ['-q', 'copy.zip'], { cwd: dir });
      const s = rec.manifestSessionId!;
      const listing = execFileSync('unzip', ['-Z1', 'copy.zip'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
      expect(listing).toEqual(['EXPORT.json', 'VERIFY.txt', `${s}.json`, `${s}.json.sig`, 'dock.pub.pem', rec.name].sort());
      // The recipient's own check, with the commands VERIFY.txt gives.
      const verify = readFileSync(join(dir, 'VERIFY.txt'), 'utf8');
      const pkeyutl = verify.split('\n').find((l) => l.trim().startsWith('openssl pkeyutl'))!.trim().split(/\s+/);
      expect(execFileSync(pkeyutl[0]!, pkeyutl.slice(1), { cwd: dir, encoding: 'utf8' })).toMatch(/Signature Verified Successfully/);
      const dgst = execFileSync('openssl', ['dgst', '-sha256', rec.name], { cwd: dir, encoding: 'utf8' });
      const manifest = JSON.parse(readFileSync(join(dir, `${s}.json`), 'utf8')) as { files: { name: string; sha256: string }[] };
      expect(dgst.trim().split('= ')[1]).toBe(manifest.files.find((f) => f.name === rec.name)!.sha256);
      expect(readFileSync(join(dir, rec.name)).equals(readFileSync(mp4))).toBe(true);
      // A tampered file or manifest no longer verifies.
      writeFileSync(join(dir, `${s}.json`), readFileSync(join(dir, `${s}.json`), 'utf8').replace(rec.sha256, '0'.repeat(64)));
      expect(() => execFileSync(pkeyutl[0]!, pkeyutl.slice(1), { cwd: dir, stdio: 'pipe' })).toThrow();
      expect(JSON.parse(readFileSync(join(dir, 'EXPORT.json'), 'utf8'))).toMatchObject({ evidenceNo: rec.evidenceNo, exportedBy: '100001', ground: `request/${id}`, accessRequestId: id, sha256: rec.sha256 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(register(a).map((e) => [e.kind, e.username, e.ground])).toEqual([['export', '100001', `request/${id}`]]);
    expect(h.base.ledger.audit.list({ limit: 5, action: 'recording.exported' })[0]).toMatchObject({ actor: '100001', subject: String(a) });
  });

  it('after a key rotation, a copy of footage signed before it ships the older key that signed its manifest, and openssl verifies it', async () => {
    await rotateDockKey(h.base.config, { log: createLogger({ level: 'silent' }) });
    const id = (await file('100001', { recordingIds: [a], kind: 'copy', purpose: '移送法院' })).json().id;
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'legal1', body: {} })).statusCode).toBe(200);
    const res = await h.req('GET', `/api/recordings/${a}/export`, { as: '100001' }); // before: 409
    expect(res.statusCode, res.body).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'bwc-export-'));
    try {
      writeFileSync(join(dir, 'copy.zip'), res.rawPayload);
      execFileSync('unzip', ['-q', 'copy.zip'], { cwd: dir });
      const s = h.base.ledger.recordings.get(a)!.manifestSessionId!;
      expect(readFileSync(join(dir, 'dock.pub.pem'), 'utf8')).not.toBe(readFileSync(join(h.base.dataDir, 'keys', 'dock.pub.pem'), 'utf8'));
      const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'dock.pub.pem', '-rawin', '-in', `${s}.json`, '-sigfile', `${s}.json.sig`], { cwd: dir, encoding: 'utf8' });
      expect(out).toMatch(/Signature Verified Successfully/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unsigned recording is not exported (409): a copy is only made of what a signed manifest lists', async () => {
    const c = addRecording(h.base, { seq: 3, officerNo: '100001', file: mp4 });
    const id = (await file('sup1', { recordingIds: [c], kind: 'copy', purpose: 'x' })).json().id;
    await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'legal1', body: {} });
    const res = await h.req('GET', `/api/recordings/${c}/export`, { as: 'sup1' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatch(/signed manifest/);
    expect(register(c)).toEqual([]);
  });

  it('an auditor never exports, even with an approved copy request', async () => {
    const id = (await file('aud1', { recordingIds: [a], kind: 'copy', purpose: 'x' })).json().id;
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'legal1', body: {} })).statusCode).toBe(200);
    expect((await h.req('GET', `/api/recordings/${a}/export`, { as: 'aud1' })).statusCode).toBe(403);
  });
});

describe('outside requests (004 annex 1 §6, §7, §8)', () => {
  const agency = { kind: 'agency', purpose: '刑事案件调查取证', requester: '王警官', authority: '舞钢市公安局', letterRef: '舞公（刑）函〔2026〕12号', idDocument: '警官证 410402001' };

  it('an agency request carries the letter and ID, the records keeper verifies and approves it, and the copy is taken on it', async () => {
    const missing = await file('em1', { ...agency, recordingIds: [a], letterRef: undefined });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: 'letterRef' });
    const id = (await file('sup1', { ...agency, recordingIds: [a] })).json().id;
    const unchecked = await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'em1', body: {} });
    expect(unchecked.statusCode).toBe(400);
    expect(unchecked.json().error).toMatch(/documentsChecked/);
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'legal1', body: { documentsChecked: true } })).statusCode).toBe(403);
    const ok = await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'em1', body: { documentsChecked: true } });
    expect(ok.json()).toMatchObject({ state: 'approved', documentsChecked: true, authority: '舞钢市公安局', letterRef: '舞公（刑）函〔2026〕12号', decidedBy: 'em1' });
    const res = await h.req('GET', `/api/recordings/${a}/export`, { as: 'sup1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(register(a)[0]).toMatchObject({ kind: 'export', username: 'sup1', ground: `request/${id}` });
  });

  it("an agency from another region is the head's to approve (§8)", async () => {
    const id = (await file('em1', { ...agency, recordingIds: [a], otherRegion: true })).json().id;
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'em1', body: { documentsChecked: true } })).statusCode).toBe(403);
    const ok = await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup1', body: { documentsChecked: true } });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("a lawyer's party request needs the power of attorney and licence and the head's approval, and gives a view, not a copy", async () => {
    const party = { kind: 'party', recordingIds: [b], purpose: '行政复议', requester: '刘律师', authority: '舞钢市某餐饮有限公司', letterRef: '豫某律所函〔2026〕5号', idDocument: '身份证 410481199001011234', lawyer: true, powerOfAttorney: '授权委托书 2026-03-01' };
    const noLicence = await file('legal1', party);
    expect(noLicence.statusCode).toBe(400);
    expect(noLicence.json().error).toMatch(/body.lawyerLicence/);
    const id = (await file('legal1', { ...party, lawyerLicence: '律师执业证 14101201910000000' })).json().id;
    expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'em1', body: { documentsChecked: true } })).statusCode).toBe(403);
    const ok = await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup2', body: { documentsChecked: true } });
    expect(ok.json()).toMatchObject({ state: 'approved', lawyer: true, lawyerLicence: '律师执业证 14101201910000000' });
    // legal plays anything anyway; the party request is about what the lawyer is shown, and a copy is refused.
    expect((await h.req('GET', `/api/recordings/${b}/export`, { as: 'legal1' })).statusCode).toBe(403);
  });
});

describe('the register (查阅登记簿): filtered, paged, CSV', () => {
  it('filters by recording, user, kind and time, pages with a cursor, and exports the same as CSV', async () => {
    await h.req('GET', `/api/recordings/${a}/media`, { as: 'sup1' });
    h.advance(3_600_000);
    await h.req('GET', `/api/recordings/${b}/media`, { as: 'legal1' });
    await h.req('GET', `/api/recordings/${a}/thumbnail`, { as: 'legal1' });
    const p1 = (await h.req('GET', '/api/access-register?limit=2', { as: 'em1' })).json();
    expect(p1.items).toHaveLength(2);
    const p2 = (await h.req('GET', `/api/access-register?limit=2&cursor=${p1.next}`, { as: 'em1' })).json();
    expect(p2.items.map((e: { username: string }) => e.username)).toEqual(['sup1']);
    expect(p2.next).toBeNull();
    const from = new Date(h.base.clock.t - 60_000).toISOString();
    expect((await h.req('GET', `/api/access-register?from=${encodeURIComponent(from)}`, { as: 'em1' })).json().items).toHaveLength(2);
    expect((await h.req('GET', '/api/access-register?kind=thumbnail', { as: 'em1' })).json().items.map((e: { recordingId: number }) => e.recordingId)).toEqual([a]);
    expect((await h.req('GET', '/api/access-register?from=yesterday', { as: 'em1' })).json().error).toMatch(/querystring.from/);
    const csv = await h.req('GET', '/api/access-register?format=csv&username=legal1', { as: 'aud1' });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,at,lastAt,username,role,recordingId,evidenceNo,kind,ground,requestId,requests');
    expect(lines.slice(1).map((l) => l.split(',')[7])).toEqual(['thumbnail', 'view']);
    expect(lines[1]).toContain(h.base.ledger.recordings.get(a)!.evidenceNo!);
  });
});

describe('confidential recordings (004 §14)', () => {
  it('a marked recording is hidden from the roles without it, in search, detail, register, custody and playback, until a request admits them', async () => {
    await h.req('GET', `/api/recordings/${b}/media`, { as: 'sup1' });
    const bad = await h.req('POST', `/api/recordings/${b}/confidential`, { as: 'sup1', body: { class: 'secret', reason: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/body.class/);
    expect((await h.req('POST', `/api/recordings/${b}/confidential`, { as: 'em1', body: { class: 'privacy', reason: 'x' } })).statusCode).toBe(403);
    const mark = await h.req('POST', `/api/recordings/${b}/confidential`, { as: 'legal1', body: { class: 'commercial_secret', reason: '涉及企业生产工艺' } });
    expect(mark.statusCode, mark.body).toBe(200);

    const ids = async (as: string, q = '') => (await h.req('GET', `/api/recordings${q}`, { as })).json().items.map((r: { id: number }) => r.id);
    expect(await ids('em1')).toEqual([a]);
    expect(await ids('aud1', '?officer=100002')).toEqual([]);
    expect(await ids('sup1')).toEqual(expect.arrayContaining([a, b]));
    expect(await ids('legal1')).toEqual(expect.arrayContaining([a, b]));
    expect(await ids('100002')).toEqual([b]);
    expect((await h.req('GET', `/api/recordings/${b}`, { as: 'aud1' })).statusCode).toBe(403);
    expect((await h.req('GET', `/api/recordings/${b}/catalogue`, { as: 'em1' })).statusCode).toBe(403);
    expect((await h.req('GET', `/api/recordings/${b}/custody`, { as: 'aud1' })).statusCode).toBe(403);
    expect((await h.req('GET', `/api/recordings/${b}/custody?format=pdf`, { as: 'em1' })).statusCode).toBe(403);
    expect((await h.req('GET', `/api/access-register?recording=${b}`, { as: 'aud1' })).json().items).toEqual([]);
    expect((await h.req('GET', `/api/access-register?recording=${b}`, { as: 'legal1' })).json().items).toHaveLength(1);
    expect((await h.req('GET', `/api/recordings/${b}`, { as: 'sup2' })).json().confidential).toBe('commercial_secret');

    // A request admits its holder (and only them) to the confidential recording.
    const id = (await file('aud1', { recordingIds: [b], kind: 'view', purpose: '执法监督' })).json().id;
    await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup1', body: {} });
    expect(await ids('aud1')).toEqual(expect.arrayContaining([a, b]));
    expect((await h.req('GET', `/api/recordings/${b}/thumbnail`, { as: 'aud1' })).statusCode).toBe(200);
    expect((await h.req('GET', `/api/recordings/${b}/custody`, { as: 'aud1' })).statusCode).toBe(200);
    expect(await ids('em1')).toEqual([a]);

    expect((await h.req('DELETE', `/api/recordings/${b}/confidential`, { as: 'sup1' })).statusCode).toBe(200);
    expect(await ids('em1')).toEqual(expect.arrayContaining([a, b]));
    expect(h.base.ledger.audit.list({ limit: 10, action: 'recording.confidential_unmarked' })[0]).toMatchObject({ actor: 'sup1', subject: String(b) });
  });

  it('an officer sees their own confidential recording, and a confidential copy leaves only on a copy request', async () => {
    await h.req('POST', `/api/recordings/${a}/confidential`, { as: 'sup1', body: { class: 'privacy', reason: '未成年人' } });
    expect((await h.req('GET', `/api/recordings/${a}/media`, { as: '100001' })).statusCode).toBe(200);
    expect((await h.req('GET', `/api/recordings/${a}/export`, { as: '100001' })).statusCode).toBe(403);
    const id = (await file('100001', { recordingIds: [a], kind: 'copy', purpose: '移送' })).json().id;
    await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'legal1', body: {} });
    const sha = createHash('sha256').update(readFileSync(mp4)).digest('hex');
    const zip = await h.req('GET', `/api/recordings/${a}/export`, { as: '100001' });
    expect(zip.statusCode).toBe(200);
    expect(zip.rawPayload.includes(Buffer.from(sha))).toBe(true);
  });
});
