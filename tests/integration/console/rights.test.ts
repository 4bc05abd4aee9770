import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../daemon/ledger/users.js';
import { ROLE_USER, build, makeMp4, type Harness } from '../../helpers/console.js';
import { seedEvidence, type EvidenceFixture } from './evidence-fixtures.js';
import { seed, type Fixture } from './fixtures.js';

const ALL: Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal', 'auditor', 'admin'];
const READ: Role[] = ['equipment_manager', 'supervisor', 'legal', 'auditor', 'admin'];
const EM: Role[] = ['equipment_manager'];
const SEARCH: Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal', 'auditor'];
const PLAY: Role[] = ['officer', 'supervisor', 'legal'];
const AUDIT: Role[] = ['supervisor', 'legal', 'auditor', 'admin'];
const FILE: Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal', 'auditor'];
const REGISTER: Role[] = ['equipment_manager', 'supervisor', 'legal', 'auditor'];
const DECIDE: Role[] = ['equipment_manager', 'supervisor', 'legal'];
const EXPORT: Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal'];
const MARK: Role[] = ['supervisor', 'legal'];
const CATALOGUE: Role[] = ['officer', 'supervisor', 'legal'];
const SPOT: Role[] = ['supervisor'];
const REPORTS: Role[] = ['equipment_manager', 'supervisor', 'legal', 'auditor'];

interface Case {
  method: 'GET' | 'POST' | 'DELETE';
  url: (f: Fixture) => string;
  pattern: string;
  allowed: Role[];
  body?: unknown;
  payload?: string;
  headers?: Record<string, string>;
}

/** The contract's "Who may do what", written out per route (not derived from the code under test). */
const CASES: Case[] = [
  { method: 'GET', pattern: '/api/me', url: () => '/api/me', allowed: ALL },
  { method: 'GET', pattern: '/api/slots', url: () => '/api/slots', allowed: ALL },
  { method: 'GET', pattern: '/api/slots/ended', url: () => '/api/slots/ended', allowed: ALL },
  { method: 'POST', pattern: '/api/officers/import/preview', url: () => '/api/officers/import/preview', allowed: EM, payload: 'officerNo,name,unitNo,unitName\n100001,张伟,U01,一中队\n', headers: { 'content-type': 'text/csv' } },
  { method: 'POST', pattern: '/api/slots/ended/:sessionId/seen', url: () => '/api/slots/ended/none/seen', allowed: ALL },
  { method: 'GET', pattern: '/api/keys/dock.pub.pem', url: () => '/api/keys/dock.pub.pem', allowed: ALL },
  { method: 'GET', pattern: '/api/devices', url: () => '/api/devices', allowed: READ },
  { method: 'GET', pattern: '/api/devices/:serial', url: () => '/api/devices/SN000001', allowed: READ },
  { method: 'POST', pattern: '/api/devices/:serial/status', url: () => '/api/devices/SN000001/status', allowed: EM, body: { status: 'in_dock' } },
  { method: 'POST', pattern: '/api/devices/:serial/checkout', url: () => '/api/devices/SN000001/checkout', allowed: EM, body: { officerNo: '100001' } },
  { method: 'POST', pattern: '/api/devices/:serial/checkin', url: () => '/api/devices/SN000001/checkin', allowed: EM },
  { method: 'GET', pattern: '/api/officers', url: () => '/api/officers', allowed: READ },
  { method: 'GET', pattern: '/api/officers/:officerNo', url: () => '/api/officers/100001', allowed: READ },
  { method: 'POST', pattern: '/api/officers', url: () => '/api/officers', allowed: EM, body: { officerNo: '100003', name: '王芳', unitNo: 'U01', unitName: '一中队' } },
  {
    method: 'POST',
    pattern: '/api/officers/import',
    url: () => '/api/officers/import',
    allowed: EM,
    payload: 'officerNo,name,unitNo,unitName\n100004,刘洋,U02,二中队\n',
    headers: { 'content-type': 'text/csv' },
  },
  { method: 'GET', pattern: '/api/ledger/export.csv', url: () => '/api/ledger/export.csv', allowed: EM },
  { method: 'GET', pattern: '/api/sessions', url: () => '/api/sessions', allowed: READ },
  { method: 'GET', pattern: '/api/upstream', url: () => '/api/upstream', allowed: READ },
  { method: 'GET', pattern: '/api/recordings', url: () => '/api/recordings', allowed: SEARCH },
  { method: 'GET', pattern: '/api/recordings/:id', url: (f) => `/api/recordings/${f.ownRec}`, allowed: SEARCH },
  { method: 'GET', pattern: '/api/recordings/:id/media', url: (f) => `/api/recordings/${f.ownRec}/media`, allowed: PLAY, headers: { range: 'bytes=0-99' } },
  { method: 'GET', pattern: '/api/recordings/:id/thumbnail', url: (f) => `/api/recordings/${f.ownRec}/thumbnail`, allowed: PLAY },
  { method: 'GET', pattern: '/api/manifests/:sessionId', url: (f) => `/api/manifests/${f.sessionId}`, allowed: SEARCH },
  { method: 'GET', pattern: '/api/manifests/:sessionId/sig', url: (f) => `/api/manifests/${f.sessionId}/sig`, allowed: SEARCH },
  { method: 'GET', pattern: '/api/findings', url: () => '/api/findings', allowed: SEARCH },
  { method: 'GET', pattern: '/api/findings/:id', url: (f) => `/api/findings/${f.finding}`, allowed: SEARCH },
  { method: 'POST', pattern: '/api/findings/:id/justify', url: (f) => `/api/findings/${f.finding}/justify`, allowed: ['officer', 'equipment_manager'], body: { reason: 'device_fault', text: 'clock battery' } },
  { method: 'POST', pattern: '/api/findings/:id/approve', url: (f) => `/api/findings/${f.finding}/approve`, allowed: ['supervisor'], body: {} },
  { method: 'POST', pattern: '/api/findings/:id/reject', url: (f) => `/api/findings/${f.finding}/reject`, allowed: ['supervisor'], body: { text: 'no' } },
  {
    method: 'POST',
    pattern: '/api/activities',
    url: () => '/api/activities',
    allowed: ['officer', 'equipment_manager', 'supervisor'],
    body: { officerNo: '100001', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: 'C-1', title: 'market inspection' },
  },
  { method: 'GET', pattern: '/api/activities', url: () => '/api/activities', allowed: SEARCH },
  { method: 'GET', pattern: '/api/audit', url: () => '/api/audit', allowed: AUDIT },
  { method: 'GET', pattern: '/api/audit/verify', url: () => '/api/audit/verify', allowed: AUDIT },
  { method: 'GET', pattern: '/api/users', url: () => '/api/users', allowed: ['admin'] },
  { method: 'POST', pattern: '/api/users', url: () => '/api/users', allowed: ['admin'], body: { username: 'newuser', role: 'auditor', password: 'long-enough-1' } },
  { method: 'POST', pattern: '/api/users/:username/disabled', url: () => '/api/users/em1/disabled', allowed: ['admin'], body: { disabled: false } },
  // Refused by the route itself (400, 404, 409), so the table changes nothing.
  { method: 'POST', pattern: '/api/users/:username/role', url: () => '/api/users/aud1/role', allowed: ['admin'], body: { role: 'auditor' } },
  { method: 'POST', pattern: '/api/users/:username/reset', url: () => '/api/users/no-such-user/reset', allowed: ['admin'] },
  { method: 'GET', pattern: '/api/users/pending', url: () => '/api/users/pending', allowed: ['supervisor'] },
  { method: 'POST', pattern: '/api/users/:username/confirm', url: () => '/api/users/em1/confirm', allowed: ['supervisor'] },
  { method: 'POST', pattern: '/api/users/:username/reject', url: () => '/api/users/em1/reject', allowed: ['supervisor'] },
  { method: 'POST', pattern: '/api/me/password', url: () => '/api/me/password', allowed: ALL, body: { current: 'x', new: 'short' } },
  // Evidence access (issue 15). Deciding a request of each kind, and playing with a request, are walked per
  // cell in evidence-rights.test.ts; here request 999999 does not exist, so an allowed role gets 404.
  { method: 'POST', pattern: '/api/access-requests', url: () => '/api/access-requests', allowed: FILE, body: { recordingIds: [1], kind: 'view', purpose: 'review' } },
  { method: 'GET', pattern: '/api/access-requests', url: () => '/api/access-requests', allowed: FILE },
  { method: 'GET', pattern: '/api/access-requests/:id', url: () => `/api/access-requests/${e.requestId}`, allowed: FILE },
  { method: 'POST', pattern: '/api/access-requests/:id/approve', url: () => '/api/access-requests/999999/approve', allowed: DECIDE, body: {} },
  { method: 'POST', pattern: '/api/access-requests/:id/deny', url: () => '/api/access-requests/999999/deny', allowed: DECIDE, body: { reason: 'no ground' } },
  { method: 'GET', pattern: '/api/access-register', url: () => '/api/access-register', allowed: REGISTER },
  { method: 'GET', pattern: '/api/recordings/:id/export', url: () => `/api/recordings/${e.exportRec}/export`, allowed: EXPORT },
  { method: 'POST', pattern: '/api/recordings/:id/confidential', url: () => `/api/recordings/${e.spareRec}/confidential`, allowed: MARK, body: { class: 'privacy', reason: 'a minor is shown' } },
  { method: 'DELETE', pattern: '/api/recordings/:id/confidential', url: () => '/api/recordings/999999/confidential', allowed: MARK },
  { method: 'GET', pattern: '/api/matters', url: () => '/api/matters', allowed: SEARCH },
  { method: 'POST', pattern: '/api/cases', url: () => '/api/cases', allowed: CATALOGUE, body: { caseNo: 'RIGHTS-2', name: 'test', matterId: '2' } },
  { method: 'GET', pattern: '/api/cases', url: () => '/api/cases', allowed: SEARCH },
  { method: 'GET', pattern: '/api/cases/:id', url: () => `/api/cases/${e.caseId}`, allowed: SEARCH },
  { method: 'POST', pattern: '/api/cases/:id/recordings', url: () => `/api/cases/${e.caseId}/recordings`, allowed: CATALOGUE, body: { recordingIds: [1] } },
  {
    method: 'POST',
    pattern: '/api/cases/:id/documents',
    url: () => `/api/cases/${e.caseId}/documents?name=form.png`,
    allowed: CATALOGUE,
    payload: '\x89PNG\r\n',
    headers: { 'content-type': 'image/png' },
  },
  { method: 'GET', pattern: '/api/cases/:id/documents/:docId', url: () => `/api/cases/${e.caseId}/documents/${e.documentId}`, allowed: SEARCH },
  { method: 'GET', pattern: '/api/recordings/:id/catalogue', url: (f) => `/api/recordings/${f.ownRec}/catalogue`, allowed: SEARCH },
  { method: 'POST', pattern: '/api/recordings/:id/catalogue', url: (f) => `/api/recordings/${f.ownRec}/catalogue`, allowed: CATALOGUE, body: { contentNote: '现场检查', speakers: '张伟；当事人', gist: '告知检查事由' } },
  { method: 'GET', pattern: '/api/recordings/:id/custody', url: (f) => `/api/recordings/${f.ownRec}/custody`, allowed: REGISTER },
  { method: 'POST', pattern: '/api/spot-checks', url: () => '/api/spot-checks', allowed: SPOT, body: { size: 1 } },
  { method: 'GET', pattern: '/api/spot-checks', url: () => '/api/spot-checks', allowed: SPOT },
  { method: 'GET', pattern: '/api/spot-checks/checklist', url: () => '/api/spot-checks/checklist', allowed: SPOT },
  { method: 'GET', pattern: '/api/spot-checks/units', url: () => '/api/spot-checks/units', allowed: SPOT },
  { method: 'GET', pattern: '/api/spot-checks/:id', url: () => '/api/spot-checks/999', allowed: SPOT },
  { method: 'GET', pattern: '/api/spot-checks/:id/redraw', url: () => '/api/spot-checks/999/redraw', allowed: SPOT },
  { method: 'POST', pattern: '/api/spot-checks/:id/score', url: () => '/api/spot-checks/999/score', allowed: SPOT, body: { recordingId: 1, items: [{ item: 'whole_course', pass: true }], comment: '' } },
  { method: 'GET', pattern: '/api/reports/yearly', url: () => '/api/reports/yearly?year=2026&format=csv', allowed: REPORTS },
  { method: 'GET', pattern: '/api/reports/yearly/reminder', url: () => '/api/reports/yearly/reminder', allowed: REPORTS },
];
/** Routes the table leaves to their own tests: open ones, logout (ends the session), the SSE stream (never ends). */
const ELSEWHERE = ['POST /api/login', 'GET /api/health', 'GET /api/kiosk', 'POST /api/logout', 'GET /api/slots/stream'];

let h: Harness;
let f: Fixture;
let e: EvidenceFixture;
beforeAll(async () => {
  h = await build();
  const mp4 = makeMp4();
  f = seed(h, mp4);
  e = await seedEvidence(h, f, mp4);
});
afterAll(async () => h.close());

describe('rights matrix, every route', () => {
  it('the table covers every /api route the console serves', () => {
    const served = h.app.consoleRoutes.map((r) => `${r.method} ${r.url}`).sort();
    const tabled = [...CASES.map((c) => `${c.method} ${c.pattern}`), ...ELSEWHERE].sort();
    expect(served).toEqual(tabled);
  });

  for (const c of CASES) {
    it(`${c.method} ${c.pattern}: 401 without a login`, async () => {
      const res = await h.req(c.method, c.url(f), { ...(c.body !== undefined ? { body: c.body } : {}), ...(c.payload ? { payload: c.payload } : {}), headers: c.headers ?? {} });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'login required' });
    });

    for (const role of ALL) {
      const allowed = c.allowed.includes(role);
      it(`${c.method} ${c.pattern} as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        const res = await h.req(c.method, c.url(f), { as: ROLE_USER[role], ...(c.body !== undefined ? { body: c.body } : {}), ...(c.payload ? { payload: c.payload } : {}), headers: c.headers ?? {} });
        if (allowed) {
          expect([401, 403], `${res.statusCode} ${res.body}`).not.toContain(res.statusCode);
          expect(res.statusCode, res.body).toBeLessThan(500);
        }
        else {
          expect(res.statusCode, res.body).toBe(403);
          expect(res.json().error).toBeTypeOf('string');
        }
      });
    }

    if (c.method !== 'GET') {
      it(`${c.method} ${c.pattern}: 403 without or with a wrong x-csrf-token, even for an allowed role`, async () => {
        const before = h.ledger.audit.head();
        const as = ROLE_USER[c.allowed[0]!];
        for (const headers of [c.headers ?? {}, { ...(c.headers ?? {}), 'x-csrf-token': 'not-the-token' }]) {
          const res = await h.req(c.method, c.url(f), { as, csrf: false, ...(c.body !== undefined ? { body: c.body } : {}), ...(c.payload ? { payload: c.payload } : {}), headers });
          expect(res.statusCode).toBe(403);
          expect(res.json().error).toMatch(/csrf/i);
        }
        expect(h.ledger.audit.head()).toBe(before);
      });
    }
  }

  it('POST /api/logout needs the CSRF header too', async () => {
    const s = await h.login('aud1');
    expect((await h.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: s.cookie } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: s.cookie } })).statusCode).toBe(200);
  });

  it('the stream needs a login', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/slots/stream' })).statusCode).toBe(401);
  });

  it('officers get 403 on another officer\'s recording, media, thumbnail and search', async () => {
    for (const url of [`/api/recordings/${f.otherRec}`, `/api/recordings/${f.otherRec}/media`, `/api/recordings/${f.otherRec}/thumbnail`, '/api/recordings?officer=100002', '/api/findings?officer=100002']) {
      expect((await h.req('GET', url, { as: '100001' })).statusCode, url).toBe(403);
    }
    const list = await h.req('GET', '/api/recordings', { as: '100001' });
    expect(list.json().items.map((r: { officerNo: string }) => r.officerNo)).toEqual(['100001']);
  });
});
