import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addOfficers, addRecording, makeMp4 } from '../../helpers/console.js';
import { buildRetention, type RetentionHarness } from './harness.js';

const DAY = 86_400_000;
let h: RetentionHarness;
let a: number;
let b: number;

beforeEach(async () => {
  h = await buildRetention();
  addOfficers(h.base);
  const mp4 = makeMp4();
  a = addRecording(h.base, { seq: 1, officerNo: '100001', file: mp4 });
  b = addRecording(h.base, { seq: 2, officerNo: '100002', file: mp4 });
  await h.sign([a, b]);
});
afterEach(async () => h?.close());

describe('retention and holds over the API', () => {
  it('hold shows in /api/recordings, blocks purge from the queue, release needs a reason, then the purge leaves a tombstone', async () => {
    const placed = await h.req('POST', '/api/holds', { as: 'legal1', body: { recordingIds: [a], reason: 'case', caseRef: '舞环罚〔2026〕3号', note: '与文字材料存储时间一致' } });
    expect(placed.statusCode, placed.body).toBe(201);
    const hold = placed.json();
    expect(hold).toMatchObject({ reason: 'case', caseRef: '舞环罚〔2026〕3号', recordingIds: [a], placedBy: 'legal1', active: true, releasedAt: null });
    const list = (await h.req('GET', '/api/recordings', { as: 'sup1' })).json().items as { id: number; hold: boolean }[];
    expect(Object.fromEntries(list.map((r) => [r.id, r.hold]))).toEqual({ [a]: true, [b]: false });
    expect((await h.req('GET', `/api/recordings/${a}`, { as: 'sup1' })).json().hold).toBe(true);

    expect((await h.req('GET', '/api/retention/queue', { as: 'em1' })).json()).toEqual({ items: [], next: null });
    h.advance(301 * DAY);
    const queue = (await h.req('GET', '/api/retention/queue', { as: 'aud1' })).json();
    expect(queue.items.map((i: { id: number; hold: boolean }) => [i.id, i.hold])).toEqual([[a, true], [b, false]]);
    expect(queue.items[0]).toMatchObject({ serial: 'SN000001', seq: 1, enteredAt: null, autoPurgeAt: null });

    const refused = await h.req('POST', '/api/retention/purge', { as: 'em1', body: { ids: [a, b], reason: 'no value to keep' } });
    expect(refused.json()).toEqual({ purged: [b], refused: [{ id: a, reason: 'hold' }] });
    expect((await h.req('POST', `/api/holds/${hold.id}/release`, { as: 'sup1', body: {} })).statusCode).toBe(400);
    // legal1 placed the hold and the footage is past its retention date: sup1's release waits for a second person (004 §16).
    const asked = await h.req('POST', `/api/holds/${hold.id}/release`, { as: 'sup1', body: { reason: 'case file destroyed per schedule' } });
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toMatchObject({ active: true, releaseRequest: { requestedBy: 'sup1', reason: 'case file destroyed per schedule' } });
    const rel = await h.req('POST', `/api/holds/${hold.id}/release/confirm`, { as: 'sup2', body: {} });
    expect(rel.json()).toMatchObject({ active: false, releasedBy: 'sup1', releaseConfirmedBy: 'sup2', releaseReason: 'case file destroyed per schedule', releaseRequest: null });
    expect((await h.req('POST', `/api/holds/${hold.id}/release`, { as: 'sup1', body: { reason: 'again' } })).statusCode).toBe(409);
    h.base.clock.t += 60_000; // newest tombstone first
    expect((await h.req('POST', '/api/retention/purge', { as: 'sup1', body: { ids: [a], reason: 'reviewed' } })).json()).toEqual({ purged: [a], refused: [] });

    expect((await h.req('GET', '/api/recordings', { as: 'sup1' })).json().items).toEqual([]);
    expect((await h.req('GET', `/api/recordings/${a}`, { as: 'sup1' })).statusCode).toBe(404);
    const tombs = (await h.req('GET', '/api/retention/tombstones?limit=1', { as: 'aud1' })).json();
    expect(tombs.items).toHaveLength(1);
    expect(tombs.items[0]).toMatchObject({ recordingId: a, approvedBy: 'sup1', reason: 'reviewed', pending: false });
    const page2 = (await h.req('GET', `/api/retention/tombstones?limit=1&cursor=${tombs.next}`, { as: 'aud1' })).json();
    expect(page2.items.map((t: { recordingId: number }) => t.recordingId)).toEqual([b]);
    expect(page2.next).toBeNull();
    const holds = (await h.req('GET', '/api/holds?active=false', { as: 'em1' })).json();
    expect(holds.items.map((x: { id: number }) => x.id)).toEqual([hold.id]);
    const actions = h.base.ledger.audit.list({ limit: 50 }).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['hold.placed', 'hold.released', 'recording.purged', 'manifest.signed']));
  });

  it('keep moves retainUntil (shown in /api/recordings) and refuses a date not later', async () => {
    h.advance(301 * DAY);
    const res = await h.req('POST', '/api/retention/keep', { as: 'em1', body: { ids: [a, b], reason: 'complaint filed', until: '2030-01-31' } });
    expect(res.json()).toEqual({ kept: [a, b], refused: [] });
    const rec = (await h.req('GET', `/api/recordings/${a}`, { as: 'sup1' })).json();
    expect(rec.retainUntil).toBe('2030-01-31T00:00:00.000+08:00');
    expect((await h.req('POST', '/api/retention/keep', { as: 'em1', body: { ids: [a], reason: 'x', until: '2029-01-01T00:00:00+08:00' } })).json()).toEqual({ kept: [], refused: [{ id: a, reason: 'not_later' }] });
    expect((await h.req('GET', '/api/retention/queue', { as: 'em1' })).json().items).toEqual([]);
  });

  it('bad bodies get 400 naming the field; unknown things 404', async () => {
    const bad: [string, string, unknown, RegExp][] = [
      ['/api/retention/purge', 'em1', { ids: [], reason: 'x' }, /body\.ids/],
      ['/api/retention/purge', 'em1', { ids: [a] }, /body\.reason: is required/],
      ['/api/retention/purge', 'em1', { ids: [a], reason: '   ' }, /body\.reason/],
      ['/api/retention/purge', 'em1', { ids: ['x'], reason: 'r' }, /body\.ids/],
      ['/api/retention/keep', 'em1', { ids: [a], reason: 'r', until: 'tomorrow' }, /body\.until/],
      ['/api/retention/keep', 'em1', { ids: [a], reason: 'r', until: '2026-13-45' }, /body\.until/],
      ['/api/retention/keep', 'em1', { ids: [a], reason: 'r', until: '2020-01-01' }, /body\.until: must be a time in the future/],
      ['/api/holds', 'sup1', { recordingIds: [a], reason: 'whim', caseRef: 'C' }, /body\.reason/],
      ['/api/holds', 'sup1', { recordingIds: [a], reason: 'dispute' }, /body\.caseRef: is required/],
      ['/api/holds', 'sup1', { recordingIds: [a], reason: 'dispute', caseRef: 'C', extra: 1 }, /body\.extra: is not a known field/],
      ['/api/archives', 'sup1', {}, /holdId or a caseRef/],
    ];
    for (const [url, as, body, msg] of bad) {
      const res = await h.req('POST', url, { as, body });
      expect(res.statusCode, `${url} ${JSON.stringify(body)}: ${res.body}`).toBe(400);
      expect(res.json().error).toMatch(msg);
    }
    expect((await h.req('POST', '/api/holds', { as: 'sup1', body: { recordingIds: [a, 9999], reason: 'dispute', caseRef: 'C' } })).statusCode).toBe(404);
    expect((await h.req('POST', '/api/holds/9999/release', { as: 'sup1', body: { reason: 'r' } })).statusCode).toBe(404);
    expect((await h.req('GET', '/api/holds/9999', { as: 'sup1' })).statusCode).toBe(404);
    expect((await h.req('POST', '/api/holds/9999/archive', { as: 'sup1', body: {} })).statusCode).toBe(404);
    expect((await h.req('GET', '/api/archives/20260101T000000Z-deadbeef', { as: 'sup1' })).statusCode).toBe(404);
    expect((await h.req('GET', '/api/archives/not-an-id', { as: 'sup1' })).statusCode).toBe(400);
    expect((await h.req('GET', '/api/retention/queue?cursor=bogus', { as: 'em1' })).statusCode).toBe(400);
  });

  it('makes the archive discs of a hold and hands out each image, audited', async () => {
    const hold = (await h.req('POST', '/api/holds', { as: 'sup1', body: { recordingIds: [a, b], reason: 'obstruction', caseRef: 'C-7' } })).json();
    const res = await h.req('POST', `/api/holds/${hold.id}/archive`, { as: 'legal1', body: { title: '阻碍执法案', unit: '舞钢市环境保护局' } });
    expect(res.statusCode, res.body).toBe(201);
    const arc = res.json();
    expect(arc).toMatchObject({ holdId: hold.id, caseRef: 'C-7', title: '阻碍执法案', createdBy: 'legal1', files: 2 });
    expect(arc.images.map((i: { n: number; url: string }) => [i.n, i.url])).toEqual([[1, `/api/archives/${arc.id}/1`], [2, `/api/archives/${arc.id}/2`]]);
    expect(arc.images[0].sha256).toBe(arc.images[1].sha256);
    expect(existsSync(join(h.base.dataDir, 'archives', arc.id, `${arc.id}-1.iso`))).toBe(true);
    for (const n of [1, 2]) {
      const dl = await h.req('GET', `/api/archives/${arc.id}/${n}`, { as: 'sup1' });
      expect(dl.statusCode).toBe(200);
      expect(dl.headers['content-type']).toBe('application/x-iso9660-image');
      expect(createHash('sha256').update(dl.rawPayload).digest('hex')).toBe(arc.images[n - 1].sha256);
    }
    expect((await h.req('GET', `/api/archives/${arc.id}/3`, { as: 'sup1' })).statusCode).toBe(400);
    expect(h.base.ledger.audit.list({ limit: 5, action: 'archive.downloaded' })).toHaveLength(2);
    expect((await h.req('GET', `/api/archives?hold=${hold.id}`, { as: 'aud1' })).json().items.map((x: { id: string }) => x.id)).toEqual([arc.id]);
    const byCase = await h.req('POST', '/api/archives', { as: 'sup1', body: { caseRef: 'C-7' } });
    expect(byCase.statusCode, byCase.body).toBe(201);
    expect(byCase.json()).toMatchObject({ holdId: null, caseRef: 'C-7', files: 2 });
  });
});
