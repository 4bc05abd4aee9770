import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZONE, addOfficers, addRecording, build, makeMp4, type Harness } from '../../helpers/console.js';
import { toIsoInZone } from '../../../daemon/policy/time-format.js';

let h: Harness;
beforeEach(async () => {
  h = await build();
  addOfficers(h);
});
afterEach(async () => h.close());

const raise = (kind: string, officerNo: string | null) => h.ledger.findings.raise({ kind, detail: `${kind} test`, serial: 'SN000001', officerNo }, h.clock.t).id;

describe('findings workflow', () => {
  it('officer justifies their own finding, a supervisor approves it; each step audited', async () => {
    const id = raise('gap', '100001');
    const j = await h.req('POST', `/api/findings/${id}/justify`, { as: '100001', body: { reason: 'battery', text: 'battery ran out at 14:02' } });
    expect(j.statusCode).toBe(200);
    expect(j.json()).toMatchObject({ state: 'justified', reason: 'battery', justifiedBy: '100001' });
    const a = await h.req('POST', `/api/findings/${id}/approve`, { as: 'sup1', body: { text: 'ok' } });
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ state: 'approved', decidedBy: 'sup1', decisionText: 'ok' });
    expect(h.ledger.audit.list({ limit: 10 }).map((e) => e.action)).toEqual(expect.arrayContaining(['finding.justified', 'finding.approved']));
    expect((await h.req('POST', `/api/findings/${id}/justify`, { as: '100001', body: { reason: 'battery', text: 'again' } })).statusCode).toBe(409);
  });

  it('a rejected finding can be justified again, then approved', async () => {
    const id = raise('gap', '100001');
    await h.req('POST', `/api/findings/${id}/justify`, { as: '100001', body: { reason: 'weather', text: 'rain' } });
    const r = await h.req('POST', `/api/findings/${id}/reject`, { as: 'sup1', body: { text: 'the forecast was dry' } });
    expect(r.json()).toMatchObject({ state: 'rejected', decisionText: 'the forecast was dry' });
    const again = await h.req('POST', `/api/findings/${id}/justify`, { as: '100001', body: { reason: 'device_fault', text: 'lens fogged' } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ state: 'justified', reason: 'device_fault', decidedBy: null });
    expect((await h.req('POST', `/api/findings/${id}/approve`, { as: 'sup2', body: {} })).json().state).toBe('approved');
  });

  it('nobody approves or rejects their own justification', async () => {
    const id = raise('gap', '100001');
    h.ledger.findings.justify(id, 'sup1', 'weather', 'typed in for the officer', h.clock.t);
    const res = await h.req('POST', `/api/findings/${id}/approve`, { as: 'sup1', body: {} });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatch(/own justification/);
    expect((await h.req('POST', `/api/findings/${id}/reject`, { as: 'sup1', body: { text: 'x' } })).statusCode).toBe(403);
    expect((await h.req('POST', `/api/findings/${id}/approve`, { as: 'sup2', body: {} })).statusCode).toBe(200);
  });

  it('only justified findings are decided', async () => {
    const id = raise('gap', '100001');
    expect((await h.req('POST', `/api/findings/${id}/approve`, { as: 'sup1', body: {} })).statusCode).toBe(409);
  });

  it('officers justify only their own findings; equipment managers only device findings', async () => {
    const other = raise('gap', '100002');
    expect((await h.req('POST', `/api/findings/${other}/justify`, { as: '100001', body: { reason: 'battery', text: 'x' } })).statusCode).toBe(403);
    const gap = raise('gap', '100001');
    expect((await h.req('POST', `/api/findings/${gap}/justify`, { as: 'em1', body: { reason: 'device_fault', text: 'x' } })).statusCode).toBe(403);
    for (const kind of ['drift', 'clock_reset', 'hash_mismatch', 'no_checkout']) {
      const id = raise(kind, null);
      expect((await h.req('POST', `/api/findings/${id}/justify`, { as: 'em1', body: { reason: 'device_fault', text: 'rtc battery' } })).statusCode, kind).toBe(200);
    }
  });

  it('remote_duty justifies late_offload only; unknown reasons are refused naming the field', async () => {
    const gap = raise('gap', '100001');
    const late = raise('late_offload', '100001');
    const r1 = await h.req('POST', `/api/findings/${gap}/justify`, { as: '100001', body: { reason: 'remote_duty', text: 'x' } });
    expect(r1.statusCode).toBe(400);
    expect(r1.json().error).toMatch(/reason/);
    const noReturn = await h.req('POST', `/api/findings/${late}/justify`, { as: '100001', body: { reason: 'remote_duty', text: 'island patrol' } });
    expect(noReturn.statusCode).toBe(400);
    expect(noReturn.json()).toMatchObject({ field: 'returnedAt', error: expect.stringMatching(/^body\.returnedAt: remote_duty states when the officer returned/) });
    const r2 = await h.req('POST', `/api/findings/${gap}/justify`, { as: '100001', body: { reason: 'bored', text: 'x' } });
    expect(r2.statusCode).toBe(400);
    expect(r2.json().error).toMatch(/body\.reason/);
  });

  it('lists with filters; officers see only their own; cursor pages through', async () => {
    for (let i = 0; i < 5; i++) raise('gap', '100001');
    raise('drift', '100002');
    const own = await h.req('GET', '/api/findings', { as: '100001' });
    expect(own.json().items).toHaveLength(5);
    const drift = await h.req('GET', '/api/findings?kind=drift', { as: 'aud1' });
    expect(drift.json().items.map((f: { kind: string }) => f.kind)).toEqual(['drift']);
    const p1 = (await h.req('GET', '/api/findings?limit=4', { as: 'sup1' })).json();
    expect(p1.items).toHaveLength(4);
    const p2 = (await h.req('GET', `/api/findings?limit=4&cursor=${p1.next}`, { as: 'sup1' })).json();
    expect(p2.items).toHaveLength(2);
    expect(p2.next).toBeNull();
    expect(new Set([...p1.items, ...p2.items].map((f: { id: number }) => f.id)).size).toBe(6);
    const state = await h.req('GET', '/api/findings?state=approved', { as: 'sup1' });
    expect(state.json().items).toHaveLength(0);
  });
});

describe('remote duty (004 §13): stored within 24 h of the return', () => {
  const H = 3_600_000;
  /** A late offload of a recording that ended three days before it was stored (now); its finding's id. */
  const lateOffload = () => {
    const recordingId = addRecording(h, { seq: 1, officerNo: '100001', file: makeMp4(), startMs: h.clock.t - 72 * H, durationMs: 2000, flags: ['late_offload'] });
    return { recordingId, stored: h.clock.t, id: h.ledger.findings.raise({ kind: 'late_offload', detail: 'late', serial: 'SN000001', officerNo: '100001', recordingId }, h.clock.t).id };
  };
  const iso = (ms: number) => toIsoInZone(ms, ZONE);
  const justify = (id: number, returnedAt: unknown, reason = 'remote_duty') => h.req('POST', `/api/findings/${id}/justify`, { as: '100001', body: { reason, text: 'border patrol, back late', ...(returnedAt === undefined ? {} : { returnedAt }) } });

  it('a return 10 h before the footage was stored is approved; the finding shows the return', async () => {
    const f = lateOffload();
    const j = await justify(f.id, iso(f.stored - 10 * H));
    expect(j.statusCode, j.body).toBe(200);
    expect(j.json()).toMatchObject({ state: 'justified', reason: 'remote_duty', returnedAt: iso(f.stored - 10 * H) });
    const audit = h.ledger.audit.list({ limit: 5, action: 'finding.justified' })[0]!;
    expect(audit.detail).toMatchObject({ reason: 'remote_duty', returnedAt: iso(f.stored - 10 * H) });
    const a = await h.req('POST', `/api/findings/${f.id}/approve`, { as: 'sup1', body: {} });
    expect(a.statusCode, a.body).toBe(200);
    expect(a.json()).toMatchObject({ state: 'approved', returnedAt: iso(f.stored - 10 * H) });
  });

  it('a return 30 h before the footage was stored is refused at approval, saying why; a rejection still works', async () => {
    const f = lateOffload();
    expect((await justify(f.id, iso(f.stored - 30 * H))).statusCode).toBe(200);
    const a = await h.req('POST', `/api/findings/${f.id}/approve`, { as: 'sup1', body: {} });
    expect(a.statusCode).toBe(409);
    expect(a.json().error).toMatch(/the footage was stored .*, 30 h after the officer's return .*; 004 §13 allows 24 h, so remote duty does not excuse it: reject the justification/);
    expect(h.ledger.findings.get(f.id)?.state).toBe('justified');
    const r = await h.req('POST', `/api/findings/${f.id}/reject`, { as: 'sup1', body: { text: 'stored 30 h after the return' } });
    expect(r.json()).toMatchObject({ state: 'rejected' });
    // Justified again with another reason, the return goes.
    const again = await justify(f.id, undefined, 'force_majeure');
    expect(again.json()).toMatchObject({ state: 'justified', reason: 'force_majeure', returnedAt: null });
  });

  it('a return time is ISO 8601, in the past, not after the footage was stored, and only with remote_duty', async () => {
    const f = lateOffload();
    h.clock.t += 2 * H;
    for (const [returnedAt, pattern] of [
      ['yesterday', /body\.returnedAt/],
      ['2026-11-24', /body\.returnedAt/],
      [iso(h.clock.t + H), /in the future/],
      [iso(f.stored + H), /after the footage was stored at the dock .*: the officer was back by then/],
    ] as const) {
      const res = await justify(f.id, returnedAt);
      expect(res.statusCode, returnedAt).toBe(400);
      expect(res.json().error, returnedAt).toMatch(pattern);
    }
    const other = await justify(f.id, iso(f.stored - H), 'weather');
    expect(other.statusCode).toBe(400);
    expect(other.json()).toMatchObject({ field: 'returnedAt', error: expect.stringMatching(/with remote_duty only/) });
    // Local time without an offset is the dock's zone.
    const local = iso(f.stored - 5 * H).slice(0, 19);
    const ok = await justify(f.id, local);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(h.ledger.findings.get(f.id)?.returnedAtMs).toBe(Math.floor((f.stored - 5 * H) / 1000) * 1000);
  });

  it('a remote_duty justification made before the return was asked for cannot be approved: it is rejected and justified again', async () => {
    const f = lateOffload();
    h.ledger.findings.justify(f.id, '100001', 'remote_duty', 'from an older version', h.clock.t);
    const a = await h.req('POST', `/api/findings/${f.id}/approve`, { as: 'sup1', body: {} });
    expect(a.statusCode).toBe(409);
    expect(a.json().error).toMatch(/does not say when the officer returned/);
  });
});
