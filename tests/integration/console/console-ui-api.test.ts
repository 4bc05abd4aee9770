import { afterEach, describe, expect, it } from 'vitest';
import { addOfficers, build, type Harness } from '../../helpers/console.js';

/** What the console's pages read from the API to draw themselves (issue 18). */
let h: Harness;
afterEach(async () => h?.close());

describe('the console learns its rights and its errors from the dock', () => {
  it('/api/me answers the actions the role may perform, from the rights matrix (no second copy in the browser)', async () => {
    h = await build();
    const em = (await h.req('GET', '/api/me', { as: 'em1' })).json();
    expect(em.rights).toMatchObject({ status: 'all', 'registry.edit': 'all', 'retention.decide': 'all', 'findings.justify': 'device' });
    expect(em.rights['users.manage']).toBeUndefined();
    const officer = (await h.req('GET', '/api/me', { as: '100001' })).json();
    expect(officer.rights).toMatchObject({ 'recordings.search': 'own', 'footage.play': 'own' });
    expect(Object.keys(officer.rights)).not.toContain('registry.read');
    const admin = (await h.req('GET', '/api/me', { as: 'admin1' })).json();
    expect(admin.rights['users.manage']).toBe('all');
  });

  it('a schema refusal carries a code and the field, so the page can say it in words (not "body.x: must match pattern")', async () => {
    h = await build();
    const res = await h.req('POST', '/api/officers', { as: 'em1', body: { officerNo: 'abc', name: '张三', unitNo: '410900000001', unitName: '一中队' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid', field: 'officerNo' });
  });

  it('a stale CSRF token (a login in another tab) is told apart from other refusals', async () => {
    h = await build();
    const res = await h.req('POST', '/api/logout', { as: 'em1', headers: { 'x-csrf-token': 'from-an-old-tab' }, csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'csrf' });
  });

  it('each finding kind is offered, and accepted with, only the reasons that fit it: no "weather" for a clock drift', async () => {
    h = await build();
    addOfficers(h);
    const drift = h.ledger.findings.raise({ kind: 'drift', detail: 'clock 95 s fast', serial: 'SN000001', officerNo: null }, h.clock.t).id;
    const gap = h.ledger.findings.raise({ kind: 'gap', detail: 'gap', serial: 'SN000001', officerNo: '100001' }, h.clock.t).id;
    const list = (await h.req('GET', '/api/findings?limit=10', { as: 'em1' })).json().items as Array<{ id: number; reasons: string[] }>;
    expect(list.find((f) => f.id === drift)?.reasons).not.toContain('weather');
    expect(list.find((f) => f.id === drift)?.reasons).toContain('device_fault');
    expect(list.find((f) => f.id === gap)?.reasons).toContain('weather');
    const refused = await h.req('POST', `/api/findings/${drift}/justify`, { as: 'em1', body: { reason: 'weather', text: 'rain' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ field: 'reason' });
    expect((await h.req('POST', `/api/findings/${gap}/justify`, { as: '100001', body: { reason: 'weather', text: 'heavy rain' } })).statusCode).toBe(200);
  });
});
