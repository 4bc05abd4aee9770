import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../daemon/ledger/users.js';
import { ROLE_USER, addOfficers, addRecording, makeMp4 } from '../../helpers/console.js';
import { buildRetention, type RetentionHarness } from './harness.js';

const ALL: Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal', 'auditor', 'admin'];
const QUEUE_READ: Role[] = ['equipment_manager', 'supervisor', 'legal', 'auditor'];
const DECIDE: Role[] = ['equipment_manager', 'supervisor'];
const HOLD: Role[] = ['supervisor', 'legal'];
const HOLD_READ: Role[] = ['equipment_manager', 'supervisor', 'legal', 'auditor'];

interface Case {
  method: 'GET' | 'POST';
  pattern: string;
  url: () => string;
  allowed: Role[];
  body?: () => unknown;
}

let h: RetentionHarness;
let rec: number;
let holdId: number;
let archiveId: string;

/** The contract's rights for retention, holds and archive discs, written out per route. */
const CASES: Case[] = [
  { method: 'GET', pattern: '/api/retention/queue', url: () => '/api/retention/queue', allowed: QUEUE_READ },
  { method: 'GET', pattern: '/api/retention/tombstones', url: () => '/api/retention/tombstones', allowed: QUEUE_READ },
  // Refused item by item (held, not due): allowed roles get 200 and change nothing.
  { method: 'POST', pattern: '/api/retention/purge', url: () => '/api/retention/purge', allowed: DECIDE, body: () => ({ ids: [rec], reason: 'reviewed' }) },
  { method: 'POST', pattern: '/api/retention/keep', url: () => '/api/retention/keep', allowed: DECIDE, body: () => ({ ids: [rec], reason: 'r', until: '2020-01-01' }) },
  { method: 'POST', pattern: '/api/holds', url: () => '/api/holds', allowed: HOLD, body: () => ({ recordingIds: [rec], reason: 'sensitive', caseRef: 'C-R' }) },
  { method: 'POST', pattern: '/api/holds/:id/release', url: () => '/api/holds/999/release', allowed: HOLD, body: () => ({ reason: 'done' }) },
  { method: 'POST', pattern: '/api/holds/:id/release/confirm', url: () => '/api/holds/999/release/confirm', allowed: HOLD, body: () => ({}) },
  { method: 'POST', pattern: '/api/holds/:id/release/decline', url: () => '/api/holds/999/release/decline', allowed: HOLD, body: () => ({ reason: 'no' }) },
  { method: 'GET', pattern: '/api/holds', url: () => '/api/holds', allowed: HOLD_READ },
  { method: 'GET', pattern: '/api/holds/:id', url: () => `/api/holds/${holdId}`, allowed: HOLD_READ },
  { method: 'POST', pattern: '/api/holds/:id/archive', url: () => '/api/holds/999/archive', allowed: HOLD, body: () => ({}) },
  { method: 'POST', pattern: '/api/archives', url: () => '/api/archives', allowed: HOLD, body: () => ({ caseRef: 'no-such-case' }) },
  { method: 'GET', pattern: '/api/archives', url: () => '/api/archives', allowed: HOLD_READ },
  { method: 'GET', pattern: '/api/archives/:id', url: () => `/api/archives/${archiveId}`, allowed: HOLD_READ },
  { method: 'GET', pattern: '/api/archives/:id/:n', url: () => `/api/archives/${archiveId}/1`, allowed: HOLD },
];

beforeAll(async () => {
  h = await buildRetention();
  addOfficers(h.base);
  rec = addRecording(h.base, { seq: 1, officerNo: '100001', file: makeMp4() });
  await h.sign([rec]);
  const hold = await h.service.placeHold({ recordingIds: [rec], reason: 'dispute', caseRef: 'C-1' }, 'sup1');
  holdId = hold.id;
  const res = await h.req('POST', `/api/holds/${holdId}/archive`, { as: 'sup1', body: {} });
  expect(res.statusCode, res.body).toBe(201);
  archiveId = res.json().id;
});
afterAll(async () => h?.close());

describe('rights for retention, holds and archive discs', () => {
  it('the table covers every route the three plugins add', () => {
    const mine = h.app.consoleRoutes.filter((r) => /^\/api\/(retention|holds|archives)/.test(r.url)).map((r) => `${r.method} ${r.url}`).sort();
    expect(mine).toEqual(CASES.map((c) => `${c.method} ${c.pattern}`).sort());
  });

  for (const c of CASES) {
    it(`${c.method} ${c.pattern}: 401 without a login`, async () => {
      const res = await h.req(c.method, c.url(), c.body ? { body: c.body() } : {});
      expect(res.statusCode).toBe(401);
    });
    for (const role of ALL) {
      const allowed = c.allowed.includes(role);
      it(`${c.method} ${c.pattern} as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        const res = await h.req(c.method, c.url(), { as: ROLE_USER[role], ...(c.body ? { body: c.body() } : {}) });
        if (allowed) {
          expect([401, 403], res.body).not.toContain(res.statusCode);
          expect(res.statusCode, res.body).toBeLessThan(500);
        } else {
          expect(res.statusCode, res.body).toBe(403);
        }
      });
    }
    if (c.method === 'POST') {
      it(`${c.method} ${c.pattern}: 403 without x-csrf-token, nothing audited`, async () => {
        const before = h.base.ledger.audit.head();
        const res = await h.req(c.method, c.url(), { as: ROLE_USER[c.allowed[0]!], csrf: false, body: c.body!() });
        expect(res.statusCode).toBe(403);
        expect(res.json().error).toMatch(/csrf/i);
        expect(h.base.ledger.audit.head()).toBe(before);
      });
    }
  }
});
