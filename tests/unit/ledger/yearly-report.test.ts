import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearlyCsv, yearlyReport, type YearlyReport } from '../../../daemon/console/services/yearly-report.js';
import { Ledger } from '../../../daemon/ledger/index.js';
import { CHECKLIST } from '../../../daemon/policy/spot-check.js';
import { toIsoInZone } from '../../../daemon/policy/time-format.js';
import { parseCsv } from '../../../daemon/console/services/csv.js';

/**
 * The yearly statistics on a crafted ledger, against figures counted by hand (in the comments), with the year's
 * edges in the dock's zone: Asia/Shanghai's 2026 runs from 2025-12-31T16:00Z to 2026-12-31T16:00Z.
 */
const ZONE = 'Asia/Shanghai';
const iso = (ms: number) => toIsoInZone(ms, ZONE);
const at = (local: string) => Date.parse(`${local}+08:00`);
const H = 3_600_000;

let dir: string;
let ledger: Ledger;
let report: YearlyReport;

function rec(o: { seq: number; officerNo: string; unitNo: string; start: string; durationMs: number; delayMs: number; flags?: string[]; checkoutId?: number | null }): number {
  const start = at(o.start);
  const sessionId = `S-${o.seq}`;
  ledger.sessions.create(sessionId, '/dev/ttyFAKE', start + o.durationMs + o.delayMs);
  return ledger.recordings.insert({
    serial: 'SN000001',
    seq: o.seq,
    name: `SN000001_${o.seq}.mp4`,
    devicePath: `DCIM/${o.seq}.mp4`,
    storedPath: `footage/SN000001/${o.seq}.mp4`,
    size: 1000,
    sha256: String(o.seq % 10).repeat(64),
    deviceSha256: null,
    fileFlags: 0,
    recordedStart: iso(start),
    recordedStartMs: start,
    correctedStart: iso(start),
    correctedStartMs: start,
    driftMs: 0,
    driftUncertaintyMs: 10,
    durationMs: o.durationMs,
    offloadedAt: iso(start + o.durationMs + o.delayMs),
    offloadedAtMs: start + o.durationMs + o.delayMs,
    delayMs: o.delayMs,
    sessionId,
    officerNo: o.officerNo,
    unitNo: o.unitNo,
    checkoutId: o.checkoutId ?? null,
    retainUntil: iso(start + 300 * 86_400_000),
    retainUntilMs: start + 300 * 86_400_000,
    flags: o.flags ?? [],
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-yearly-'));
  ledger = Ledger.open(join(dir, 'ledger.sqlite'), iso);
  const db = ledger.rawForTests();
  const t0 = at('2025-12-01T08:00:00');
  ledger.officers.upsert({ officerNo: '100001', name: '张三', unitNo: 'U01', unitName: '监察大队一中队' }, t0);
  ledger.officers.upsert({ officerNo: '100002', name: '李四', unitNo: 'U01', unitName: '监察大队一中队' }, t0);
  ledger.officers.upsert({ officerNo: '200001', name: '王五', unitNo: 'U02', unitName: '监察大队二中队' }, t0);
  ledger.officers.upsert({ officerNo: '300001', name: '赵六', unitNo: 'U03', unitName: '法制科' }, t0);
  ledger.devices.docked({ serial: 'SN000001', idCode: 'ID1', firmware: 'fw', caps: 3 }, t0);
  // Checkouts: 100001 twice in 2026 (one brings footage back), 200001 once in 2026 (with footage), 100002 on 2025's last evening.
  const c1 = ledger.checkouts.checkOut('SN000001', '100001', 'em1', at('2026-03-01T08:00:00'));
  ledger.checkouts.checkIn(c1, 'em1', at('2026-03-01T18:00:00'), null);
  const c2 = ledger.checkouts.checkOut('SN000001', '100001', 'em1', at('2026-05-01T08:00:00'));
  ledger.checkouts.checkIn(c2, 'em1', at('2026-05-01T18:00:00'), null);
  const c3 = ledger.checkouts.checkOut('SN000001', '200001', 'em1', at('2025-12-31T23:50:00'));
  ledger.checkouts.checkIn(c3, 'em1', at('2026-01-01T03:00:00'), null);
  const c4 = ledger.checkouts.checkOut('SN000001', '100002', 'em1', at('2025-12-31T20:00:00'));
  ledger.checkouts.checkIn(c4, 'em1', at('2025-12-31T22:00:00'), null);

  const A = rec({ seq: 1, officerNo: '100001', unitNo: 'U01', start: '2026-03-01T10:00:00', durationMs: 1 * H, delayMs: 2 * H, checkoutId: c1 });
  // B: half an hour before midnight on New Year's Eve, local time: 2026's (it is 15:30 UTC).
  const B = rec({ seq: 2, officerNo: '100001', unitNo: 'U01', start: '2026-12-31T23:30:00', durationMs: 0.5 * H, delayMs: 10 * H, flags: ['late_offload'] });
  // C: ten minutes into 2027 local time, still 2026 in UTC: not 2026's.
  const C = rec({ seq: 3, officerNo: '100002', unitNo: 'U01', start: '2027-01-01T00:10:00', durationMs: 1 * H, delayMs: 1 * H, flags: ['late_offload'] });
  // D: the last minute of 2025 local time: not 2026's.
  const D = rec({ seq: 4, officerNo: '200001', unitNo: 'U02', start: '2025-12-31T23:59:00', durationMs: 1 * H, delayMs: 1 * H });
  // E: the first instant of 2026 local time.
  const E = rec({ seq: 5, officerNo: '200001', unitNo: 'U02', start: '2026-01-01T00:00:00', durationMs: 2 * H, delayMs: 4 * H, checkoutId: c3 });
  const F = rec({ seq: 6, officerNo: '100002', unitNo: 'U01', start: '2026-06-01T09:00:00', durationMs: 0.25 * H, delayMs: 1 * H, flags: ['late_offload'] });

  // Findings: 2026's are those of A, B, E, F and the seq hole raised in May; C's gap is 2027's.
  const gapA = ledger.findings.raise({ kind: 'gap', detail: 'gap', recordingId: A, officerNo: '100001' }, at('2026-03-02T00:00:00')).id;
  ledger.findings.justify(gapA, '100001', 'battery', 'ran out', at('2026-03-02T01:00:00'));
  ledger.findings.decide(gapA, 'approved', 'sup1', null, at('2026-03-02T02:00:00'));
  ledger.findings.raise({ kind: 'gap', detail: 'gap', recordingId: B, officerNo: '100001' }, at('2027-01-01T10:00:00'));
  ledger.findings.raise({ kind: 'gap', detail: 'gap', recordingId: C, officerNo: '100002' }, at('2027-01-01T10:00:00'));
  const hole = ledger.findings.raise({ kind: 'seq_missing', detail: 'hole', officerNo: '100002', serial: 'SN000001' }, at('2026-05-01T00:00:00')).id;
  ledger.findings.justify(hole, '100002', 'device_fault', 'fault', at('2026-05-02T00:00:00'));
  ledger.findings.decide(hole, 'rejected', 'sup1', 'no record of a fault', at('2026-05-03T00:00:00'));
  ledger.findings.raise({ kind: 'drift', detail: 'drift 9 s', recordingId: A, officerNo: '100001', state: 'info' }, at('2026-03-02T00:00:00'));
  ledger.findings.raise({ kind: 'clock_reset', detail: 'reset', recordingId: E, officerNo: '200001' }, at('2026-01-01T06:00:00'));

  // A spot-check of A, scored in April: 5 items pass, 2 fail (each a finding against 100001).
  const sc = ledger.spotChecks.insert({
    drawnBy: 'sup1',
    drawnAt: iso(at('2026-04-01T09:00:00')),
    drawnAtMs: at('2026-04-01T09:00:00'),
    algorithm: 'bwc-spot-check/v1',
    auditHead: '0'.repeat(64),
    seed: 'f'.repeat(64),
    inputs: { size: 1, unitNo: null, officerNo: null, fromMs: null, toMs: null, maxRecordingId: F, reviewers: ['sup2'] },
    candidates: 6,
    candidatesSha256: 'e'.repeat(64),
    reviewer: 'sup2',
    recordings: [{ recordingId: A, officerNo: '100001', unitNo: 'U01' }],
  });
  const items = CHECKLIST.map((c, i) => ({ item: c.item, pass: i >= 2, note: i < 2 ? 'missing' : null }));
  ledger.spotChecks.score(sc, A, { by: 'sup2', atMs: at('2026-04-02T10:00:00'), at: iso(at('2026-04-02T10:00:00')), items, comment: '' });
  for (const i of items.filter((x) => !x.pass)) ledger.findings.raise({ kind: 'spot_check_failed', detail: i.item, recordingId: A, officerNo: '100001' }, at('2026-04-02T10:00:00'));

  // Access requests: a view naming A and F (two officers of U01: one request for the unit), approved; a party
  // request naming E, pending, filed on 2026's last evening; a copy naming A filed in 2027.
  const req = db.prepare(
    "INSERT INTO access_requests (kind, purpose, filed_by, filed_by_role, filed_at, filed_at_ms, state) VALUES (?, 'purpose', 'legal1', 'legal', ?, ?, ?)",
  );
  const link = db.prepare('INSERT INTO access_request_recordings (request_id, recording_id) VALUES (?, ?)');
  const r1 = Number(req.run('view', iso(at('2026-02-01T10:00:00')), at('2026-02-01T10:00:00'), 'approved').lastInsertRowid);
  link.run(r1, A);
  link.run(r1, F);
  const r2 = Number(req.run('party', iso(at('2026-12-31T23:00:00')), at('2026-12-31T23:00:00'), 'pending').lastInsertRowid);
  link.run(r2, E);
  const r3 = Number(req.run('copy', iso(at('2027-01-02T10:00:00')), at('2027-01-02T10:00:00'), 'denied').lastInsertRowid);
  link.run(r3, A);

  // A hold on A and B in July; D (2025's recording) purged in August 2026.
  const hold = Number(
    db
      .prepare("INSERT INTO holds (reason, case_ref, placed_by, placed_at, placed_at_ms) VALUES ('case', 'C-1', 'sup1', ?, ?)")
      .run(iso(at('2026-07-01T10:00:00')), at('2026-07-01T10:00:00')).lastInsertRowid,
  );
  db.prepare('INSERT INTO hold_recordings (hold_id, recording_id) VALUES (?, ?)').run(hold, A);
  db.prepare('INSERT INTO hold_recordings (hold_id, recording_id) VALUES (?, ?)').run(hold, B);
  db.prepare(
    "INSERT INTO tombstones (recording_id, manifest_session_id, serial, seq, name, stored_path, size, sha256, approved_by, at, at_ms, reason) VALUES (?, 'S-4', 'SN000001', 4, 'n', 'p', 1000, ?, 'sup1', ?, ?, 'expired')",
  ).run(D, '4'.repeat(64), iso(at('2026-08-01T10:00:00')), at('2026-08-01T10:00:00'));

  report = yearlyReport(ledger, 2026, ZONE, at('2027-01-05T09:00:00'), iso);
});
afterAll(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const officer = (no: string) => report.officers.find((o) => o.officerNo === no)!;
const unit = (no: string) => report.units.find((u) => u.unitNo === no)!;

describe('yearly statistics on a crafted ledger (hand-counted)', () => {
  it("spans the local year: 2026-01-01T00:00+08:00 up to 2027-01-01T00:00+08:00", () => {
    expect(report.from).toBe('2026-01-01T00:00:00.000+08:00');
    expect(report.to).toBe('2027-01-01T00:00:00.000+08:00');
  });

  it('counts recordings and hours by local start: 23:30 on 31 December is 2026, 00:10 on 1 January is not', () => {
    // 100001: A (1 h) and B (0.5 h); 100002: F (0.25 h), not C; 200001: E (2 h), not D.
    expect(officer('100001')).toMatchObject({ recordings: 2, hours: 1.5, name: '张三', unitNo: 'U01', unitName: '监察大队一中队' });
    expect(officer('100002')).toMatchObject({ recordings: 1, hours: 0.25 });
    expect(officer('200001')).toMatchObject({ recordings: 1, hours: 2 });
    expect(officer('300001')).toMatchObject({ recordings: 0, hours: 0, medianDelayHours: null, footageSharePct: null });
    expect(unit('U01')).toMatchObject({ recordings: 3, hours: 1.75 });
    expect(unit('U02')).toMatchObject({ recordings: 1, hours: 2 });
    expect(report.totals).toMatchObject({ recordings: 4, hours: 3.75 });
  });

  it('counts late offloads and the median delay', () => {
    // Delays: 100001 [2, 10] → 6; 100002 [1]; 200001 [4]; U01 [2, 10, 1] → 2; all [2, 10, 1, 4] → 3.
    expect(officer('100001')).toMatchObject({ lateOffloads: 1, medianDelayHours: 6 });
    expect(officer('100002')).toMatchObject({ lateOffloads: 1, medianDelayHours: 1 });
    expect(officer('200001')).toMatchObject({ lateOffloads: 0, medianDelayHours: 4 });
    expect(unit('U01')).toMatchObject({ lateOffloads: 2, medianDelayHours: 2 });
    expect(report.totals).toMatchObject({ lateOffloads: 2, medianDelayHours: 3 });
  });

  it('counts gaps and sequence holes with their justification outcomes, drift and clock resets', () => {
    expect(officer('100001').gaps).toEqual({ total: 2, open: 1, justified: 0, approved: 1, rejected: 0 });
    expect(officer('100002').gaps.total).toBe(0); // C's gap is 2027's
    expect(officer('100002').seqHoles).toEqual({ total: 1, open: 0, justified: 0, approved: 0, rejected: 1 });
    expect(officer('100001')).toMatchObject({ drift: 1, clockResets: 0 });
    expect(officer('200001')).toMatchObject({ drift: 0, clockResets: 1 });
    expect(unit('U01').gaps.total).toBe(2);
    expect(report.totals).toMatchObject({ drift: 1, clockResets: 1 });
  });

  it('counts spot-checks and their scores, and the findings they raised', () => {
    expect(officer('100001').spotChecks).toEqual({ recordings: 1, itemsPassed: 5, itemsFailed: 2, scorePct: 71.4 });
    expect(officer('100001').spotCheckFindings).toBe(2);
    expect(officer('100002').spotChecks).toEqual({ recordings: 0, itemsPassed: 0, itemsFailed: 0, scorePct: null });
    expect(unit('U01').spotChecks.recordings).toBe(1);
  });

  it('counts access requests by kind and outcome, a request naming two officers once for their unit', () => {
    expect(officer('100001').accessRequests.view).toEqual({ pending: 0, approved: 1, denied: 0 });
    expect(officer('100001').accessRequests.copy).toEqual({ pending: 0, approved: 0, denied: 0 }); // filed in 2027
    expect(officer('100002').accessRequests.view.approved).toBe(1);
    expect(unit('U01').accessRequests.view.approved).toBe(1);
    expect(officer('200001').accessRequests.party.pending).toBe(1);
    expect(report.totals.accessRequests.view.approved).toBe(1);
    expect(report.totals.accessRequests.party.pending).toBe(1);
  });

  it('counts holds placed and purges made in the year (a purge of 2025 footage is 2026 work)', () => {
    expect(officer('100001').holds).toBe(1);
    expect(unit('U01').holds).toBe(1);
    expect(officer('200001').purges).toBe(1);
    expect(unit('U02').purges).toBe(1);
    expect(report.totals).toMatchObject({ holds: 1, purges: 1 });
  });

  it('gives officer-level compliance: share of checkouts with footage, rates per 100 h, pending justifications, attention', () => {
    // 100001: 2 checkouts, 1 with footage (50 %); 2 gaps and 1 late in 1.5 h; pending: B's gap + 2 spot-check findings.
    expect(officer('100001')).toMatchObject({ checkouts: 2, checkoutsWithFootage: 1, footageSharePct: 50, gapsPer100h: 133.3, lateOffloadsPer100h: 66.7, pendingJustifications: 3 });
    expect(officer('100001').attention).toEqual(['checkouts_without_footage', 'gaps', 'late_offloads', 'pending_justifications', 'spot_check_failed']);
    // 200001's checkout went out at 23:50 on 2025-12-31 local time: 2025's; its clock reset waits for a justification.
    expect(officer('200001')).toMatchObject({ checkouts: 0, footageSharePct: null, pendingJustifications: 1 });
    expect(officer('200001').attention).toEqual(['pending_justifications']);
    // 100002's checkout was on 2025's last evening; its seq hole was rejected and waits to be justified again.
    expect(officer('100002')).toMatchObject({ checkouts: 0, pendingJustifications: 1 });
    expect(officer('300001').attention).toEqual([]);
  });

  it('writes the same figures as CSV: UTF-8 BOM, an officerNo column, the Chinese names intact', () => {
    const csv = yearlyCsv(report);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const rows = parseCsv(csv).map((r) => r.cells);
    const header = rows[0]!;
    expect(header).toContain('officerNo');
    const col = (name: string) => header.indexOf(name);
    const zhang = rows.find((r) => r[col('officerNo')] === '100001')!;
    expect(zhang[col('name')]).toBe('张三');
    expect(zhang[col('unitName')]).toBe('监察大队一中队');
    expect(zhang[col('recordings')]).toBe('2');
    expect(zhang[col('medianDelayHours')]).toBe('6');
    expect(zhang[col('gapsApproved')]).toBe('1');
    expect(zhang[col('requests_view_approved')]).toBe('1');
    expect(rows.filter((r) => r[col('level')] === 'unit').map((r) => r[col('unitNo')])).toEqual(['U01', 'U02', 'U03']);
    expect(rows.at(-1)![col('level')]).toBe('total');
    expect(rows.at(-1)![col('recordings')]).toBe('4');
  });

  it("the next year's report holds C: the recording of 00:10 on 1 January 2027", () => {
    const next = yearlyReport(ledger, 2027, ZONE, at('2027-01-05T09:00:00'), iso);
    expect(next.officers.find((o) => o.officerNo === '100002')).toMatchObject({ recordings: 1, hours: 1 });
    expect(next.totals.recordings).toBe(1);
  });

  it("a unit's last review: U01 reviewed in 2026, U02 and U03 never", () => {
    const { fromMs, toMs } = { fromMs: at('2026-01-01T00:00:00'), toMs: at('2027-01-01T00:00:00') };
    const units = ledger.spotChecks.unitReviews(fromMs, toMs, iso);
    expect(units.map((u) => [u.unitNo, u.unitName, u.lastReviewAt, u.reviewedInRange])).toEqual([
      ['U01', '监察大队一中队', '2026-04-02T10:00:00.000+08:00', 1],
      ['U02', '监察大队二中队', null, 0],
      ['U03', '法制科', null, 0],
    ]);
  });
});
