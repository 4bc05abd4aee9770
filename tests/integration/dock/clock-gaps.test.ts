import { afterEach, describe, expect, it } from 'vitest';
import { EventCode } from '../../../firmware-protocol/codec/constants.js';
import { logEventAt } from '../../../firmware-protocol/simulator/events.js';
import { consoleFor } from '../../helpers/api.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

let t: TestDock;
let closeConsole: (() => Promise<void>) | null = null;
afterEach(async () => {
  await closeConsole?.();
  closeConsole = null;
  await t?.stop();
});

const findingKinds = (items: Array<{ kind: string }>) => items.map((f) => f.kind).sort();

describe('clock drift, gaps, sequence holes and the 24-hour rule over the API', () => {
  it('corrects a recorder running 90 s fast, flags the drift, and sets its clock', async () => {
    t = await testDock();
    await t.start();
    const c = await consoleFor(t);
    closeConsole = c.close;
    const r = await t.recorder('A000040', { plugged: false, info: { userNo: '100040', userName: '赵六', unitNo: 'U1', unitName: '一中队' } });
    r.state.clock.offsetMs = 90_000;
    const trueStart = Date.now() - 2 * 3600_000;
    await r.addRecording({ durationMs: 3000, startAt: trueStart + 90_000 });
    await r.replug();
    const slot = await t.slot('A000040');
    expect(slot.state).toBe('ready');
    expect(slot.driftMs).toBeGreaterThan(89_000);
    expect(slot.driftMs).toBeLessThan(91_000);
    const sup = await c.as('supervisor');
    const recs = (await sup.get('/api/recordings?serial=A000040')).body.items;
    expect(recs).toHaveLength(1);
    const rec = recs[0];
    expect(Math.abs(Date.parse(rec.correctedStart) - trueStart)).toBeLessThan(1500);
    expect(Date.parse(rec.recordedStart) - Date.parse(rec.correctedStart)).toBeGreaterThan(88_000);
    expect(rec.correctedStart).toMatch(/\+08:00$/);
    const f = (await sup.get('/api/findings?serial=A000040')).body.items;
    expect(findingKinds(f)).toContain('drift');
    // The dock set the recorder's clock: it now runs within a second of the dock's.
    expect(Math.abs(r.state.clock.offsetMs)).toBeLessThan(1000);
    const sessions = (await sup.get('/api/sessions')).body.items;
    expect(sessions[0]).toMatchObject({ serial: 'A000040', dockSynced: true });
  });

  it('finds a deleted segment inside a continuous recording and names the FILE_DELETED event', async () => {
    t = await testDock();
    await t.start();
    const c = await consoleFor(t);
    closeConsole = c.close;
    const r = await t.recorder('A000041', { plugged: false, info: { userNo: '100041', userName: '陈七', unitNo: 'U1', unitName: '一中队' } });
    const segs = await r.addRecording({ durationMs: 6000, segmentMs: 2000, startAt: Date.now() - 3600_000 });
    expect(segs).toHaveLength(3);
    r.deleteOnRecorder(segs[1]!.seq);
    await r.replug();
    await t.slot('A000041');
    const sup = await c.as('supervisor');
    const f = (await sup.get('/api/findings?serial=A000041')).body.items as Array<{ kind: string; detail: string; seqFrom: number }>;
    expect(findingKinds(f)).toEqual(expect.arrayContaining(['gap', 'seq_missing']));
    const missing = f.find((x) => x.kind === 'seq_missing')!;
    expect(missing.seqFrom).toBe(segs[1]!.seq);
    expect(missing.detail).toMatch(/deleted on the recorder/);
    // Events are kept with the zone offset they were read with, so a later zone change cannot shift them.
    const tzs = t.daemon!.ctx.ledger.rawForTests().prepare("SELECT DISTINCT tz FROM device_events WHERE serial = 'A000041'").all() as Array<{ tz: number }>;
    expect(tzs).toEqual([{ tz: 480 }]);
    // Docking again raises nothing new.
    const before = f.length;
    await r.unplug();
    await waitFor('slot gone', () => !t.daemon!.ctx.slots.list().length);
    await r.replug();
    await t.slot('A000041', (s) => s.state === 'ready' && !s.findings.includes('seq_missing'));
    expect((await sup.get('/api/findings?serial=A000041')).body.items).toHaveLength(before);
  });

  it('a reset clock: clock_reset finding, times not corrected, retention from the offload', async () => {
    t = await testDock();
    await t.start();
    const c = await consoleFor(t);
    closeConsole = c.close;
    const r = await t.recorder('A000042', { plugged: false });
    r.resetClock();
    await r.addRecording({ durationMs: 2000 });
    await r.replug();
    await t.slot('A000042');
    const sup = await c.as('supervisor');
    const rec = (await sup.get('/api/recordings?serial=A000042')).body.items[0];
    expect(rec.recordedStart).toMatch(/^(1999-12-31|2000-01-01)/);
    expect(rec.correctedStart).toBeNull();
    expect(rec.flags).toContain('clock_reset');
    const offloaded = Date.parse(rec.offloadedAt);
    const until = Date.parse(rec.retainUntil);
    expect(until - offloaded).toBeGreaterThan(290 * 86400_000);
    expect(until - offloaded).toBeLessThan(320 * 86400_000);
    expect(findingKinds((await sup.get('/api/findings?serial=A000042')).body.items)).toContain('clock_reset');
  });

  it('an unsynchronised dock records drift but corrects nothing and sets no clock', async () => {
    t = await testDock({ clock: { assumeSynced: false } });
    await t.start({ clock: { now: () => Date.now(), synced: () => false } });
    const c = await consoleFor(t);
    closeConsole = c.close;
    const r = await t.recorder('A000043', { plugged: false });
    r.state.clock.offsetMs = 30_000;
    await r.addRecording({ durationMs: 2000 });
    await r.replug();
    const slot = await t.slot('A000043');
    expect(slot.driftMs).toBeGreaterThan(29_000);
    const sup = await c.as('supervisor');
    const rec = (await sup.get('/api/recordings?serial=A000043')).body.items[0];
    expect(rec.correctedStart).toBeNull();
    expect(rec.flags).toContain('dock_unsynced');
    expect(r.state.clock.offsetMs).toBe(30_000);
    expect(findingKinds((await sup.get('/api/findings')).body.items)).toContain('dock_unsynced');
    const health = await (await fetch(`${c.url}/api/health`)).json();
    expect(health).toMatchObject({ status: 'ok', clockSynced: false });
    expect((await sup.get('/api/sessions')).body.items[0]).toMatchObject({ dockSynced: false });
  });

  it('late offload: flagged, justified by the officer with remote duty, approved by the supervisor', async () => {
    t = await testDock();
    await t.start();
    const c = await consoleFor(t, { '100044': 'officer' });
    closeConsole = c.close;
    const r = await t.recorder('A000044', { plugged: false, info: { userNo: '100044', userName: '刘八', unitNo: 'U1', unitName: '一中队' } });
    await r.addRecording({ durationMs: 2000, startAt: Date.now() - 2 * 86400_000 });
    await r.replug();
    await t.slot('A000044');
    const officer = await c.as('100044');
    const mine = (await officer.get('/api/findings?kind=late_offload')).body.items;
    expect(mine).toHaveLength(1);
    const rec = (await officer.get('/api/recordings')).body.items[0];
    expect(rec.flags).toContain('late_offload');
    const id = mine[0].id;
    // Remote duty states when the officer came back (004 §13): without it the justification is refused.
    expect((await officer.post(`/api/findings/${id}/justify`, { reason: 'remote_duty', text: '异地执法，返回后24小时内储存' })).status).toBe(400);
    const returnedAt = new Date(Date.now() - 3 * 3600_000).toISOString();
    expect((await officer.post(`/api/findings/${id}/justify`, { reason: 'remote_duty', text: '异地执法，返回后24小时内储存', returnedAt })).status).toBe(200);
    const sup = await c.as('supervisor');
    expect((await sup.post(`/api/findings/${id}/approve`, {})).status).toBe(200);
    expect((await sup.get(`/api/findings/${id}`)).body).toMatchObject({ state: 'approved', reason: 'remote_duty' });
  });

  it('a stop during a declared activity becomes a gap; a BATTERY_LOW just before a gap pre-fills the reason', async () => {
    t = await testDock();
    await t.start();
    const c = await consoleFor(t, { '100045': 'officer' });
    closeConsole = c.close;
    const mgr = await c.as('manager');
    await mgr.post('/api/officers', { officerNo: '100045', name: '杨九', unitNo: 'U1', unitName: '一中队' });
    const r = await t.recorder('A000045', { plugged: false, info: { userNo: '100045', userName: '杨九', unitNo: 'U1', unitName: '一中队' } });
    const start = Date.now() - 3 * 3600_000;
    // On site from start to start+3 min; recorded 0–1 min, nothing 1–2 min, recorded again 2–3 min in
    // segments whose last one is missing, the battery having run low just then.
    await r.addRecording({ durationMs: 60_000, startAt: start });
    const segs = await r.addRecording({ durationMs: 6000, segmentMs: 2000, startAt: start + 120_000 });
    logEventAt(r.state, start + 124_500, EventCode.BATTERY_LOW, 7);
    r.deleteOnRecorder(segs[2]!.seq);
    await r.replug();
    await t.slot('A000045');
    const iso = (ms: number) => new Date(ms).toISOString();
    const officer = await c.as('100045');
    const created = await officer.post('/api/activities', { officerNo: '100045', start: iso(start), end: iso(start + 180_000), caseRef: 'CASE-7', title: '现场检查' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.gapsRaised).toBeGreaterThanOrEqual(1);
    const sup = await c.as('supervisor');
    const gaps = (await sup.get('/api/findings?kind=gap')).body.items as Array<{ fromMs?: number; detail: string; prefillReason: string | null }>;
    expect(gaps.some((g) => /activit/i.test(g.detail))).toBe(true);
    // The broken segment chain: the event log shows the battery ran low around it.
    const chainGap = gaps.find((g) => !/activit/i.test(g.detail));
    expect(chainGap?.prefillReason).toBe('battery');
  });
});
