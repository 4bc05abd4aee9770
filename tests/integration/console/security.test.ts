import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOfficers, addRecording, build, makeMp4, type Harness } from '../../helpers/console.js';

let h: Harness;
let mp4: string;
beforeAll(async () => {
  h = await build();
  mp4 = makeMp4();
  addOfficers(h);
});
afterAll(async () => h.close());

describe('security headers, health, hidden internals', () => {
  it('every answer carries CSP, frame, sniffing and referrer headers; API answers are not cached', async () => {
    for (const res of [await h.req('GET', '/api/health'), await h.req('GET', '/api/me'), await h.req('GET', '/api/devices', { as: 'em1' })]) {
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('health is open and says whether the dock clock is synchronised', async () => {
    expect((await h.req('GET', '/api/health')).json()).toEqual({ status: 'ok', clockSynced: true, version: '0.0.0-test' });
    h.clock.synced = false;
    expect((await h.req('GET', '/api/health')).json().clockSynced).toBe(false);
    h.clock.synced = true;
  });

  it('a 5xx says "internal error" and nothing more', async () => {
    const id = addRecording(h, { seq: 1, officerNo: '100001', file: mp4 });
    h.ledger.rawForTests().prepare("UPDATE recordings SET stored_path = '../ledger.sqlite' WHERE id = ?").run(id);
    const res = await h.req('GET', `/api/recordings/${id}/media`, { as: 'sup1' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal error' });
  });

  it('a stored file gone missing is a 404 naming the recording, purged footage 410', async () => {
    const id = addRecording(h, { seq: 2, officerNo: '100001', file: mp4 });
    h.ledger.rawForTests().prepare("UPDATE recordings SET stored_path = 'footage/none.mp4' WHERE id = ?").run(id);
    expect((await h.req('GET', `/api/recordings/${id}/media`, { as: 'sup1' })).statusCode).toBe(404);
    const purged = addRecording(h, { seq: 3, officerNo: '100001', file: mp4 });
    h.ledger.rawForTests().prepare('UPDATE recordings SET purged_at_ms = 1 WHERE id = ?').run(purged);
    expect((await h.req('GET', `/api/recordings/${purged}/media`, { as: 'sup1' })).statusCode).toBe(410);
  });
});
