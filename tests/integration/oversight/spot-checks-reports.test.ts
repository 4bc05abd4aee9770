import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../daemon/console/services/csv.js';
import { CHECKLIST } from '../../../daemon/policy/spot-check.js';
import { consoleFor, type ApiSession } from '../../helpers/api.js';
import { testDock, type TestDock } from '../../helpers/dock.js';

/**
 * Oversight end to end on a real dock: two simulated recorders of two officers (of two units) dock over real ptys
 * and their footage is offloaded into a real ledger; a supervisor draws a spot-check, the drawn reviewer plays and
 * scores each sampled recording, a failed item becomes a finding against its officer, and the yearly report
 * counts it all, as JSON and as CSV with a BOM.
 */
const OFFICERS = [
  { officerNo: '200001', name: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局监察大队一中队', serial: 'A000061' },
  { officerNo: '200002', name: '李四', unitNo: '410900000002', unitName: '濮阳市生态环境局监察大队二中队', serial: 'A000062' },
];
const HOUR = 3_600_000;

let t: TestDock;
let c: Awaited<ReturnType<typeof consoleFor>>;
const as: Record<string, ApiSession> = {};
let recordingYear = 0;

/** The raw bytes of a GET as `username` (the API helper decodes text, which drops a BOM). */
async function rawGet(username: string, path: string): Promise<{ status: number; type: string | null; disposition: string | null; bytes: Buffer }> {
  const login = await fetch(`${c.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'test-password-1' }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const res = await fetch(`${c.url}${path}`, { headers: { cookie } });
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  t = await testDock();
  const daemon = await t.start();
  c = await consoleFor(t, { sup2: 'supervisor' });
  for (const u of ['manager', 'supervisor', 'sup2', 'auditor']) as[u] = await c.as(u);
  const { ledger } = daemon.ctx;
  const now = Date.now();
  for (const o of OFFICERS) {
    const { serial, ...officer } = o;
    expect((await as.manager!.post('/api/officers', officer)).status).toBeLessThan(300);
    // Each recorder went out to its officer three hours ago and comes back now with two recordings.
    const r = await t.recorder(serial, { plugged: false, info: { userNo: o.officerNo, userName: o.name, unitNo: o.unitNo, unitName: o.unitName } });
    const out = now - 3 * HOUR;
    ledger.tx(() => {
      ledger.devices.docked({ serial, idCode: 'SIM01', firmware: 'bwc-sim 1.0.0', caps: r.state.identity.caps }, out - 60_000);
      ledger.devices.undocked(serial, out);
      const id = ledger.checkouts.checkOut(serial, o.officerNo, 'manager', out);
      ledger.checkouts.leftDock(id, out + 60_000);
      ledger.devices.setStatus(serial, 'checked_out');
    });
    await r.addRecording({ durationMs: 2000, startAt: now - 2 * HOUR });
    await r.addRecording({ durationMs: 3000, startAt: now - HOUR });
    await r.replug();
  }
  for (const o of OFFICERS) await t.slot(o.serial, (s) => s.state === 'ready' && s.progress.filesTotal === 2);
  const recs = (await as.supervisor!.get('/api/recordings')).body.items as Array<{ officerNo: string; correctedStart: string | null; recordedStart: string }>;
  expect(recs.map((r) => r.officerNo).sort()).toEqual(['200001', '200001', '200002', '200002']);
  recordingYear = Number((recs[0]!.correctedStart ?? recs[0]!.recordedStart).slice(0, 4));
}, 120_000);

afterAll(async () => {
  await c?.close();
  await t?.stop();
});

describe('a spot-check over docked footage of two officers', () => {
  let id = 0;
  let reviewer = '';
  let sample: number[] = [];

  it('is drawn with a seed and a reviewer from the supervisors, and re-runs to the same sample', async () => {
    const drawn = await as.supervisor!.post('/api/spot-checks', { size: 3 });
    expect(drawn.status, JSON.stringify(drawn.body)).toBe(201);
    ({ id, reviewer, recordings: sample } = drawn.body);
    expect(drawn.body.seed).toMatch(/^[0-9a-f]{64}$/);
    expect(['supervisor', 'sup2']).toContain(reviewer);
    expect(sample).toHaveLength(3);
    expect(drawn.body.candidates).toBe(4);
    expect(drawn.body.inputs.reviewers).toEqual(['sup2', 'supervisor']);
    const again = await as.auditor!.get(`/api/spot-checks/${id}/redraw`);
    expect(again.status).toBe(403); // the rights matrix: spot-checks are the supervisors'
    const redraw = await as.sup2!.get(`/api/spot-checks/${id}/redraw`);
    expect(redraw.body).toMatchObject({ id, seed: drawn.body.seed, recordings: sample, reviewer, same: true, candidates: 4, candidatesSha256: drawn.body.candidatesSha256 });
    const audit = t.daemon!.ctx.ledger.audit.list({ limit: 5, action: 'spot_check.drawn' });
    expect(audit[0]).toMatchObject({ actor: 'supervisor', subject: String(id) });
    expect(audit[0]!.detail).toMatchObject({ seed: drawn.body.seed, recordings: sample, reviewer });
  });

  it('is scored only by its reviewer, only after playing the recording on the ground spot-check/<id>', async () => {
    const other = reviewer === 'supervisor' ? 'sup2' : 'supervisor';
    const sheet = (fail: string[] = []) => CHECKLIST.map((i) => ({ item: i.item, pass: !fail.includes(i.item), ...(fail.includes(i.item) ? { note: '开机后未语音告知执法目的' } : {}) }));
    const first = sample[0]!;
    const early = await as[reviewer]!.post(`/api/spot-checks/${id}/score`, { recordingId: first, items: sheet(), comment: '' });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(/play recording/);
    expect((await as[other]!.post(`/api/spot-checks/${id}/score`, { recordingId: first, items: sheet(), comment: '' })).status).toBe(403);
    expect((await as[other]!.get(`/api/recordings/${first}/media?spotCheck=${id}`)).status).toBe(403);
    // A look on the ground of oversight just before is not the review's view, and the review's is not joined to it.
    expect((await as[reviewer]!.get(`/api/recordings/${first}/media`)).status).toBe(200);
    expect((await as[reviewer]!.post(`/api/spot-checks/${id}/score`, { recordingId: first, items: sheet(), comment: '' })).status).toBe(409);

    for (const [k, rid] of sample.entries()) {
      expect((await as[reviewer]!.get(`/api/recordings/${rid}/media?spotCheck=${id}`)).status).toBe(200);
      const fail = k === 1 ? ['announcement', 'party_told'] : [];
      const scored = await as[reviewer]!.post(`/api/spot-checks/${id}/score`, { recordingId: rid, items: sheet(fail), comment: k === 1 ? '告知不规范' : '符合要求' });
      expect(scored.status, JSON.stringify(scored.body)).toBe(200);
    }
    const again = await as[reviewer]!.post(`/api/spot-checks/${id}/score`, { recordingId: first, items: sheet(), comment: '' });
    expect(again.status).toBe(409);

    const done = (await as.supervisor!.get(`/api/spot-checks/${id}`)).body;
    expect(done.completedAt).not.toBeNull();
    expect(done.reviews.map((r: { passed: number; failed: number }) => [r.passed, r.failed])).toEqual([
      [7, 0],
      [5, 2],
      [7, 0],
    ]);
    const register = (await as.supervisor!.get(`/api/access-register?recording=${sample[1]}`)).body.items;
    expect(register.some((e: { username: string; ground: string; kind: string }) => e.username === reviewer && e.kind === 'view' && e.ground === `spot-check/${id}`)).toBe(true);
    const firstViews = (await as.supervisor!.get(`/api/access-register?recording=${first}`)).body.items.filter((e: { username: string }) => e.username === reviewer);
    expect(firstViews.map((e: { ground: string }) => e.ground).sort()).toEqual(['oversight', `spot-check/${id}`]);
  });

  it('raises a finding against the officer for each failed item, audited with the score', async () => {
    const failedOfficer = (await as.supervisor!.get(`/api/spot-checks/${id}`)).body.reviews[1].officerNo;
    const findings = (await as.supervisor!.get('/api/findings?kind=spot_check_failed')).body.items;
    expect(findings).toHaveLength(2);
    expect(findings.every((f: { officerNo: string; recordingId: number; state: string }) => f.officerNo === failedOfficer && f.recordingId === sample[1] && f.state === 'open')).toBe(true);
    const scoredAudit = t.daemon!.ctx.ledger.audit.list({ limit: 10, action: 'spot_check.scored' });
    expect(scoredAudit).toHaveLength(3);
    expect(scoredAudit.find((e) => (e.detail as { recordingId: number }).recordingId === sample[1])!.detail).toMatchObject({ findings: findings.map((f: { id: number }) => f.id).sort((a: number, b: number) => a - b) });
    expect((await as.supervisor!.get('/api/audit/verify')).body.ok).toBe(true);
  });

  it("shows each reviewed unit's last review this year", async () => {
    const units = (await as.supervisor!.get('/api/spot-checks/units')).body as Array<{ unitNo: string; lastReviewAt: string | null; reviewedThisYear: boolean }>;
    const reviewedUnits = new Set((await as.supervisor!.get(`/api/spot-checks/${id}`)).body.reviews.map((r: { unitNo: string }) => r.unitNo));
    for (const u of units) expect(u.reviewedThisYear).toBe(reviewedUnits.has(u.unitNo));
    expect(units.filter((u) => u.reviewedThisYear).every((u) => u.lastReviewAt !== null)).toBe(true);
  });
});

describe('the yearly report of that footage', () => {
  it('counts recordings, hours, checkouts and the spot-check per officer and unit, as JSON', async () => {
    const res = await as.auditor!.get(`/api/reports/yearly?year=${recordingYear}&format=json`);
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r.year).toBe(recordingYear);
    expect(r.totals).toMatchObject({ recordings: 4, checkouts: 2, checkoutsWithFootage: 2, footageSharePct: 100 });
    expect(r.totals.hours).toBeCloseTo((2 * 2000 + 2 * 3000) / HOUR, 2);
    expect(r.totals.spotChecks).toMatchObject({ recordings: 3, itemsPassed: 19, itemsFailed: 2 });
    expect(r.totals.spotCheckFindings).toBe(2);
    for (const o of OFFICERS) {
      const row = r.officers.find((x: { officerNo: string }) => x.officerNo === o.officerNo);
      expect(row).toMatchObject({ name: o.name, unitNo: o.unitNo, unitName: o.unitName, recordings: 2, checkouts: 1, checkoutsWithFootage: 1 });
      expect(r.units.find((u: { unitNo: string }) => u.unitNo === o.unitNo)).toMatchObject({ unitName: o.unitName, recordings: 2 });
    }
    const flagged = r.officers.filter((x: { attention: string[] }) => x.attention.includes('spot_check_failed'));
    expect(flagged).toHaveLength(1);
  });

  it('answers CSV that a spreadsheet opens with the Chinese names: UTF-8 with a BOM, an officerNo column', async () => {
    const res = await rawGet('auditor', `/api/reports/yearly?year=${recordingYear}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/csv; charset=utf-8');
    expect(res.disposition).toBe(`attachment; filename="yearly-${recordingYear}.csv"`);
    expect([...res.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(res.bytes.toString('utf8')).map((x) => x.cells);
    const header = rows[0]!;
    const col = (n: string) => header.indexOf(n);
    expect(col('officerNo')).toBeGreaterThan(0);
    for (const o of OFFICERS) {
      const row = rows.find((x) => x[col('officerNo')] === o.officerNo)!;
      expect(row[col('name')]).toBe(o.name);
      expect(row[col('unitName')]).toBe(o.unitName);
      expect(row[col('recordings')]).toBe('2');
    }
    expect(rows.at(-1)![col('level')]).toBe('total');
    expect(rows.at(-1)![col('spotCheckItemsFailed')]).toBe('2');
  });

  it("the reminder of last year's report ends when that report is exported, and the export is audited", async () => {
    const before = (await as.manager!.get('/api/reports/yearly/reminder')).body;
    expect(before).toMatchObject({ exportedAt: null, due: true });
    expect(before.deadline).toBe(`${before.year + 1}-01-20`);
    const csv = await rawGet('manager', `/api/reports/yearly?year=${before.year}&format=csv`);
    expect(csv.status).toBe(200);
    const after = (await as.manager!.get('/api/reports/yearly/reminder')).body;
    expect(after).toMatchObject({ year: before.year, due: false, overdue: false });
    expect(after.exportedAt).not.toBeNull();
    expect(t.daemon!.ctx.ledger.audit.list({ limit: 5, action: 'report.exported' })[0]).toMatchObject({ actor: 'manager', subject: `yearly/${before.year}` });
  });
});
