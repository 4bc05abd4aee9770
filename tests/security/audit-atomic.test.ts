import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, addOfficers, addRecording, dockRecorder, makeMp4 } from '../helpers/console.js';
import { buildRetention, type RetentionHarness } from '../integration/retention/harness.js';

/**
 * Attack 2 of issue 13: a change and its audit entry are one transaction. With the audit trail made to fail
 * (a trigger refuses every insert), each state-changing request must leave the whole ledger as it was (every
 * table, row for row) and no file behind; with the trail working again the same request succeeds, which shows
 * it was a real change that the failure held back. Before the fix, POST /api/users wrote the user row and only
 * then failed on its audit entry.
 */

const DAY = 86_400_000;
let h: RetentionHarness;
let rec: number;
let other: number;
/** Left alone by the changes above, for the purge. */
let spare: number;
let finding: number;
beforeAll(async () => {
  h = await buildRetention();
  addOfficers(h.base);
  dockRecorder(h.base, 'SN000001', 'ready');
  const mp4 = makeMp4();
  rec = addRecording(h.base, { seq: 1, officerNo: '100001', file: mp4 });
  other = addRecording(h.base, { seq: 2, officerNo: '100002', file: mp4 });
  spare = addRecording(h.base, { seq: 3, officerNo: '100002', file: mp4 });
  await h.sign([rec, other, spare]);
  finding = h.base.ledger.findings.raise({ kind: 'drift', detail: 'recorder clock off by 9 s', serial: 'SN000001', officerNo: '100001' }, h.base.clock.t).id;
});
afterAll(async () => h?.close());

/** Every row of every table, in a stable order: the ledger's whole state. */
function snapshot(): Record<string, string[]> {
  const db = h.base.ledger.rawForTests();
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT * FROM "${t}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort()]));
}

function auditDown(down: boolean): void {
  const db = h.base.ledger.rawForTests();
  if (down) db.exec("CREATE TRIGGER audit_down BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit trail unavailable'); END");
  else db.exec('DROP TRIGGER IF EXISTS audit_down');
}

interface Change {
  name: string;
  as: string;
  method: string;
  url: () => string;
  body?: () => unknown;
  /** Files that must not exist after the refused change. */
  files?: () => string[];
}

const CHANGES: Change[] = [
  { name: 'create a console user', as: 'admin1', method: 'POST', url: () => '/api/users', body: () => ({ username: 'mallory', role: 'auditor', password: 'a-long-passphrase-77' }) },
  { name: 'disable a user', as: 'admin1', method: 'POST', url: () => '/api/users/aud1/disabled', body: () => ({ disabled: true }) },
  { name: 'add an officer', as: 'em1', method: 'POST', url: () => '/api/officers', body: () => ({ officerNo: '100009', name: '王芳', unitNo: 'U01', unitName: '一中队' }) },
  { name: 'set a device status', as: 'em1', method: 'POST', url: () => '/api/devices/SN000001/status', body: () => ({ status: 'in_repair' }) },
  { name: 'justify a finding', as: 'em1', method: 'POST', url: () => `/api/findings/${finding}/justify`, body: () => ({ reason: 'device_fault', text: 'clock battery' }) },
  { name: 'approve a justification', as: 'sup1', method: 'POST', url: () => `/api/findings/${finding}/approve`, body: () => ({}) },
  { name: 'declare an activity', as: 'sup1', method: 'POST', url: () => '/api/activities', body: () => ({ officerNo: '100001', start: '2026-03-02T09:00', end: '2026-03-02T10:00', caseRef: 'C-1', title: 'market inspection' }) },
  { name: 'place a hold', as: 'legal1', method: 'POST', url: () => '/api/holds', body: () => ({ recordingIds: [rec], reason: 'dispute', caseRef: 'C-9' }) },
  { name: 'play footage (a view must be registered or not served)', as: 'sup1', method: 'GET', url: () => `/api/recordings/${other}/media` },
  { name: 'keep footage longer', as: 'sup1', method: 'POST', url: () => '/api/retention/keep', body: () => ({ ids: [other], reason: 'training', until: '2028-01-01' }) },
  { name: 'export the ledger', as: 'em1', method: 'GET', url: () => '/api/ledger/export.csv' },
];

describe('attack: a change whose audit entry fails leaves nothing behind', () => {
  for (const c of CHANGES) {
    it(c.name, async () => {
      await h.req('GET', '/api/me', { as: c.as }); // log in while the trail works
      const before = snapshot();
      auditDown(true);
      let refused;
      try {
        refused = await h.req(c.method, c.url(), { as: c.as, ...(c.body ? { body: c.body() } : {}) });
      } finally {
        auditDown(false);
      }
      expect(refused.statusCode, refused.body).toBe(500);
      expect(snapshot()).toEqual(before);
      for (const f of c.files?.() ?? []) expect(existsSync(f), f).toBe(false);
      const done = await h.req(c.method, c.url(), { as: c.as, ...(c.body ? { body: c.body() } : {}) });
      expect(done.statusCode, done.body).toBeLessThan(300);
      expect(snapshot()).not.toEqual(before);
    });
  }

  it('purge: the footage stays on disk and in the ledger when the purge cannot be audited', async () => {
    h.advance(400 * DAY);
    const path = join(h.base.dataDir, h.base.ledger.recordings.get(spare)!.storedPath);
    await h.req('GET', '/api/me', { as: 'em1' });
    const before = snapshot();
    auditDown(true);
    try {
      const res = await h.req('POST', '/api/retention/purge', { as: 'em1', body: { ids: [spare], reason: 'no value to keep' } });
      expect(res.statusCode, res.body).not.toBe(200);
    } finally {
      auditDown(false);
    }
    expect(existsSync(path)).toBe(true);
    expect(snapshot()).toEqual(before);
  });

  it('login: no session is created when the login cannot be audited', async () => {
    const before = snapshot();
    auditDown(true);
    try {
      const res = await h.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'aud1', password: PASSWORD } });
      expect(res.statusCode).toBe(500);
      expect(res.cookies.find((x) => x.name === 'bwc_session')).toBeUndefined();
    } finally {
      auditDown(false);
    }
    expect(snapshot()).toEqual(before);
  });
});
