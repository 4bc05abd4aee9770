import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T0, addOfficers, addRecording, build, dockRecorder, makeMp4, type Harness } from '../../helpers/console.js';

let h: Harness;
beforeEach(async () => {
  h = await build();
  addOfficers(h);
});
afterEach(async () => h.close());

const HOUR = 3_600_000;
const gaps = () => h.ledger.findings.query({ kind: 'gap', limit: 100 });

describe('declared activities', () => {
  it('raises gap findings for the uncovered time of a past activity, once', async () => {
    const mp4 = makeMp4();
    h.clock.t = T0 + 10 * HOUR;
    // recording 09:00-09:30 inside an activity 09:00-10:00 (times in +08:00)
    addRecording(h, { seq: 1, officerNo: '100001', file: mp4, startMs: T0 + HOUR, durationMs: 30 * 60_000 });
    const body = { officerNo: '100001', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: 'C-2026-17', title: 'market stall inspection' };
    const res = await h.req('POST', '/api/activities', { as: '100001', body });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ gapsRaised: 1, activity: { officerNo: '100001', start: '2026-03-02T09:00:00.000+08:00', caseRef: 'C-2026-17', createdBy: '100001' } });
    expect(gaps()).toHaveLength(1);
    expect(gaps()[0]).toMatchObject({ officerNo: '100001', fromMs: T0 + HOUR + 30 * 60_000, toMs: T0 + 2 * HOUR, seqFrom: 1, seqTo: null });
    dockRecorder(h, 'SN000001', 'ready');
    expect(gaps()).toHaveLength(1);
    expect(h.ledger.audit.list({ limit: 10 }).map((e) => e.action)).toEqual(expect.arrayContaining(['activity.declared', 'finding.raised']));
  });

  it('waits while the officer still has the recorder out, and checks when it comes back', async () => {
    dockRecorder(h, 'SN000001', 'ready');
    const checkoutId = h.ledger.checkouts.checkOut('SN000001', '100001', 'em1', T0);
    h.clock.t = T0 + 5 * HOUR;
    const res = await h.req('POST', '/api/activities', { as: 'sup1', body: { officerNo: '100001', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: null, title: 'patrol' } });
    expect(res.json().gapsRaised).toBe(0);
    const mp4 = makeMp4();
    addRecording(h, { seq: 1, officerNo: '100001', file: mp4, startMs: T0 + HOUR, durationMs: HOUR, checkoutId });
    const checkin = await h.req('POST', '/api/devices/SN000001/checkin', { as: 'em1' });
    expect(checkin.statusCode).toBe(200);
    expect(gaps()).toHaveLength(0);
  });

  it('raises the whole activity as a gap when the officer recorded nothing, after the recorder returned', async () => {
    const rec = dockRecorder(h, 'SN000001', 'ready');
    h.ledger.checkouts.checkOut('SN000001', '100001', 'em1', T0);
    h.clock.t = T0 + 5 * HOUR;
    await h.req('POST', '/api/activities', { as: 'em1', body: { officerNo: '100001', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: null, title: 'patrol' } });
    expect(gaps()).toHaveLength(0);
    h.ledger.checkouts.checkIn(h.ledger.checkouts.open('SN000001')!.id, 'dock', h.clock.t, 'S-x');
    h.slots.update(rec.port, { state: 'offloading' });
    expect(gaps()).toHaveLength(0);
    h.slots.update(rec.port, { state: 'ready' });
    expect(gaps()).toHaveLength(1);
    expect(gaps()[0]).toMatchObject({ fromMs: T0 + HOUR, toMs: T0 + 2 * HOUR, seqFrom: null, seqTo: null });
  });

  it('officers declare only their own; lists filter by officer and case; recordings filter by case', async () => {
    h.clock.t = T0 + 10 * HOUR;
    const other = await h.req('POST', '/api/activities', { as: '100001', body: { officerNo: '100002', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: null, title: 't' } });
    expect(other.statusCode).toBe(403);
    await h.req('POST', '/api/activities', { as: 'em1', body: { officerNo: '100002', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: 'C-9', title: 't' } });
    await h.req('POST', '/api/activities', { as: '100001', body: { officerNo: '100001', start: '2026-03-02T11:00', end: '2026-03-02T12:00', caseRef: 'C-8', title: 't' } });
    expect((await h.req('GET', '/api/activities', { as: '100001' })).json().items.map((a: { caseRef: string }) => a.caseRef)).toEqual(['C-8']);
    expect((await h.req('GET', '/api/activities?case=C-9', { as: 'sup1' })).json().items).toHaveLength(1);
    const mp4 = makeMp4();
    const inCase = addRecording(h, { seq: 5, officerNo: '100002', file: mp4, startMs: T0 + HOUR + 60_000 });
    addRecording(h, { seq: 6, officerNo: '100002', file: mp4, startMs: T0 + 3 * HOUR });
    const recs = await h.req('GET', '/api/recordings?case=C-9', { as: 'sup1' });
    expect(recs.json().items.map((r: { id: number }) => r.id)).toEqual([inCase]);
  });
});
