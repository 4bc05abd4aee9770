import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, makeMp4, type Harness } from '../../helpers/console.js';
import { seed, type Fixture } from './fixtures.js';

interface Bad {
  method: 'GET' | 'POST';
  url: (f: Fixture) => string;
  as: string;
  body?: unknown;
  /** What the error must name. */
  names: RegExp;
  status?: number;
}

/** Bad input on every route that takes any: 4xx with `{ error }` naming the field. */
const BAD: Bad[] = [
  { method: 'POST', url: () => '/api/login', as: '', body: { username: 'sup1' }, names: /body\.password/ },
  { method: 'POST', url: () => '/api/login', as: '', body: { username: 'sup1', password: 'x', extra: 1 }, names: /body\.extra/ },
  { method: 'GET', url: () => '/api/devices?limit=0', as: 'em1', names: /querystring\.limit/ },
  { method: 'GET', url: () => '/api/devices?limit=1001', as: 'em1', names: /querystring\.limit/ },
  { method: 'GET', url: () => '/api/devices?cursor=garbage', as: 'em1', names: /cursor/ },
  { method: 'GET', url: () => '/api/devices/bad!serial', as: 'em1', names: /params\.serial/ },
  { method: 'POST', url: () => '/api/devices/SN000001/status', as: 'em1', body: {}, names: /body\.status/ },
  { method: 'POST', url: () => '/api/devices/SN000001/checkout', as: 'em1', body: { officerNo: '12' }, names: /body\.officerNo/ },
  { method: 'POST', url: () => '/api/devices/SN000001/checkout', as: 'em1', body: { officer: '100001' }, names: /body\.(officerNo|officer)/ },
  { method: 'POST', url: () => '/api/devices/SN000001/checkin', as: 'em1', body: { now: true }, names: /body\.now/ },
  { method: 'GET', url: () => '/api/officers?unit=', as: 'em1', names: /querystring\.unit/ },
  { method: 'GET', url: () => '/api/officers/abc', as: 'em1', names: /params\.officerNo/ },
  { method: 'POST', url: () => '/api/officers', as: 'em1', body: { officerNo: '100005', name: '', unitNo: 'U1', unitName: 'x' }, names: /body\.name/ },
  { method: 'POST', url: () => '/api/officers', as: 'em1', body: { officerNo: '100005', name: 'a', unitNo: 'U 1', unitName: 'x' }, names: /unitNo/ },
  { method: 'GET', url: () => '/api/ledger/export.csv?from=yesterday', as: 'em1', names: /querystring\.from/ },
  { method: 'GET', url: () => '/api/ledger/export.csv?from=2026-13-45', as: 'em1', names: /querystring\.from/ },
  { method: 'GET', url: () => '/api/sessions?serial=../x', as: 'em1', names: /querystring\.serial/ },
  { method: 'GET', url: () => '/api/recordings?officer=1', as: 'sup1', names: /querystring\.officer/ },
  { method: 'GET', url: () => '/api/recordings?to=2026-02-30T10:00', as: 'sup1', names: /querystring\.to/ },
  { method: 'GET', url: () => '/api/recordings?flag=DROP%20TABLE', as: 'sup1', names: /querystring\.flag/ },
  { method: 'GET', url: () => '/api/recordings?color=red', as: 'sup1', names: /querystring\.color/ },
  { method: 'GET', url: () => '/api/recordings/0', as: 'sup1', names: /params\.id/ },
  { method: 'GET', url: () => '/api/recordings/x/media', as: 'sup1', names: /params\.id/ },
  { method: 'GET', url: () => '/api/recordings/1.5/thumbnail', as: 'sup1', names: /params\.id/ },
  { method: 'GET', url: () => '/api/manifests/..%2Fkeys', as: 'em1', names: /params\.sessionId/ },
  { method: 'GET', url: () => '/api/manifests/.hidden/sig', as: 'em1', names: /params\.sessionId/ },
  { method: 'GET', url: () => '/api/findings?state=done', as: 'sup1', names: /querystring\.state/ },
  { method: 'GET', url: () => '/api/findings/abc', as: 'sup1', names: /params\.id/ },
  { method: 'POST', url: (f) => `/api/findings/${f.finding}/justify`, as: 'em1', body: { reason: 'battery' }, names: /body\.text/ },
  { method: 'POST', url: (f) => `/api/findings/${f.finding}/justify`, as: 'em1', body: { reason: 'battery', text: '' }, names: /body\.text/ },
  { method: 'POST', url: (f) => `/api/findings/${f.finding}/approve`, as: 'sup1', body: { text: 'x'.repeat(2001) }, names: /body\.text/ },
  { method: 'POST', url: (f) => `/api/findings/${f.finding}/reject`, as: 'sup1', body: {}, names: /body\.text/ },
  { method: 'POST', url: () => '/api/activities', as: 'em1', body: { officerNo: '100001', start: '2026-03-02T09:00', end: 'soon', caseRef: null, title: 't' }, names: /body\.end/ },
  { method: 'POST', url: () => '/api/activities', as: 'em1', body: { officerNo: '100001', start: '2026-03-02T10:00', end: '2026-03-02T09:00', caseRef: null, title: 't' }, names: /body\.end/ },
  { method: 'POST', url: () => '/api/activities', as: 'em1', body: { officerNo: '999999', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: null, title: 't' }, names: /body\.officerNo/ },
  { method: 'GET', url: () => '/api/activities?officer=x', as: 'sup1', names: /querystring\.officer/ },
  { method: 'GET', url: () => '/api/audit?action=DROP', as: 'aud1', names: /querystring\.action/ },
  { method: 'GET', url: () => '/api/audit?cursor=WzFd', as: 'aud1', names: /cursor/ },
  { method: 'POST', url: () => '/api/users', as: 'admin1', body: { username: 'x1', role: 'king', password: 'long-enough-1' }, names: /body\.role/ },
  { method: 'POST', url: () => '/api/users', as: 'admin1', body: { username: 'x1', role: 'auditor', password: 'short' }, names: /body\.password/ },
  { method: 'POST', url: () => '/api/users', as: 'admin1', body: { username: 'abc', role: 'officer', password: 'long-enough-1' }, names: /body\.username/ },
  { method: 'POST', url: () => '/api/users', as: 'admin1', body: { username: 'sup1', role: 'auditor', password: 'long-enough-1' }, names: /body\.username/, status: 409 },
  { method: 'POST', url: () => '/api/users/x/disabled', as: 'admin1', body: { disabled: 'yes' }, names: /params\.username|body\.disabled/ },
];

let h: Harness;
let f: Fixture;
beforeAll(async () => {
  h = await build();
  f = seed(h, makeMp4());
});
afterAll(async () => h.close());

describe('bad input names the field', () => {
  for (const b of BAD) {
    it(`${b.method} ${b.url({ ownRec: 1, otherRec: 2, finding: 1, sessionId: 'S' })} ${b.body ? JSON.stringify(b.body) : ''}`, async () => {
      if (b.as) await h.req('GET', '/api/me', { as: b.as });
      const before = h.ledger.audit.head();
      const res = b.as
        ? await h.req(b.method, b.url(f), { as: b.as, ...(b.body !== undefined ? { body: b.body } : {}) })
        : await h.app.inject({ method: b.method, url: b.url(f), payload: b.body as object });
      expect(res.statusCode, res.body).toBe(b.status ?? 400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.json().error).toMatch(b.names);
      if (b.method === 'POST' && b.as) expect(h.ledger.audit.head()).toBe(before);
    });
  }

  it('malformed JSON is a 400 with an error, not a 500', async () => {
    const res = await h.req('POST', '/api/officers', { as: 'em1', payload: '{"officerNo":', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBeTypeOf('string');
  });

  it('unknown routes answer 404 with { error }', async () => {
    const res = await h.req('GET', '/api/nothing-here', { as: 'sup1' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatch(/no route/);
  });
});
