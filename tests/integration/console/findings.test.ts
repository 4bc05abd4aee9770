import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addOfficers, build, type Harness } from '../../helpers/console.js';

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
    expect((await h.req('POST', `/api/findings/${late}/justify`, { as: '100001', body: { reason: 'remote_duty', text: 'island patrol' } })).statusCode).toBe(200);
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
