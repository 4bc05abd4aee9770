import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../daemon/ledger/index.js';
import { MIGRATIONS } from '../../daemon/ledger/migrations.js';
import type { Role } from '../../daemon/ledger/users.js';
import { toIsoInZone } from '../../daemon/policy/time-format.js';
import { ROLE_USER, T0, ZONE, addOfficers, addRecording, build, makeMp4, type Harness } from '../helpers/console.js';

/**
 * The contract's rights matrix for the access register, cell by cell, written out here (not derived from
 * rights.ts): who approves which kind of request, who plays with a request and who without, who sees a
 * confidential recording. Each cell is an attack when it says no.
 */
const ROLES: Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal', 'auditor', 'admin'];
const APPROVE: Record<string, Role[]> = {
  view: ['supervisor'],
  party: ['supervisor'],
  copy: ['legal'],
  agency: ['equipment_manager', 'supervisor'],
};
const PAPERS = { requester: '王某', authority: '舞钢市人民法院', letterRef: '（2026）豫0481民初1号', idDocument: '工作证 0481001' };

let h: Harness;
let mp4: string;
let own: number;
let other: number;
let third: number;
beforeAll(async () => {
  h = await build({ idleMinutes: 24 * 60 });
  addOfficers(h);
  mp4 = makeMp4();
  own = addRecording(h, { seq: 1, officerNo: '100001', file: mp4 });
  other = addRecording(h, { seq: 2, officerNo: '100002', file: mp4 });
  third = addRecording(h, { seq: 4, officerNo: '100002', file: mp4 });
});
afterAll(async () => h.close());

/** A pending request of `kind` filed by `filer` (an auditor by default, who decides nothing). */
async function pending(kind: string, filer = 'aud1'): Promise<number> {
  const res = await h.req('POST', '/api/access-requests', { as: filer, body: { recordingIds: [other], kind, purpose: 'x', ...(kind === 'agency' || kind === 'party' ? PAPERS : {}) } });
  if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json().id;
}

describe('approving and denying, every kind × every role', () => {
  for (const kind of Object.keys(APPROVE)) {
    for (const role of ROLES) {
      const may = APPROVE[kind]!.includes(role);
      it(`${kind} request, ${role}: ${may ? 'approves and denies' : '403 both ways'}`, async () => {
        const as = ROLE_USER[role];
        for (const decision of ['approve', 'deny'] as const) {
          const id = await pending(kind);
          const res = await h.req('POST', `/api/access-requests/${id}/${decision}`, { as, body: decision === 'deny' ? { reason: 'no' } : { documentsChecked: true } });
          expect(res.statusCode, res.body).toBe(may ? 200 : 403);
          expect(h.ledger.accessRequests.get(id)!.state).toBe(may ? (decision === 'approve' ? 'approved' : 'denied') : 'pending');
        }
      });
    }
    it(`${kind} request: nobody approves their own, even in the approving role`, async () => {
      for (const role of APPROVE[kind]!) {
        const as = ROLE_USER[role];
        const id = await pending(kind, as);
        const res = await h.req('POST', `/api/access-requests/${id}/approve`, { as, body: { documentsChecked: true } });
        expect(res.statusCode, `${role}: ${res.body}`).toBe(403);
        expect((await h.req('POST', `/api/access-requests/${id}/deny`, { as, body: { reason: 'mine' } })).statusCode).toBe(403);
        expect(h.ledger.accessRequests.get(id)!.state).toBe('pending');
      }
    });
  }

  it('an administrator files no request and reads no register', async () => {
    expect((await h.req('POST', '/api/access-requests', { as: 'admin1', body: { recordingIds: [own], kind: 'view', purpose: 'x' } })).statusCode).toBe(403);
    expect((await h.req('GET', '/api/access-register', { as: 'admin1' })).statusCode).toBe(403);
  });
});

describe('playing footage: own, oversight, or a request', () => {
  /** Who plays `third` (officer 100002's) without any request: the contract's "play footage" row. */
  const WITHOUT: Record<Role, boolean> = { officer: false, equipment_manager: false, supervisor: true, legal: true, auditor: false, admin: false };
  for (const role of ROLES) {
    it(`${role} plays another officer's recording ${WITHOUT[role] ? 'without' : 'only with'} an approved request${role === 'admin' ? ' (never: files none)' : ''}`, async () => {
      const as = ROLE_USER[role];
      const before = await h.req('GET', `/api/recordings/${third}/media`, { as, headers: { range: 'bytes=0-9' } });
      expect(before.statusCode).toBe(WITHOUT[role] ? 206 : 403);
      if (WITHOUT[role] || role === 'admin') return;
      const id = (await h.req('POST', '/api/access-requests', { as, body: { recordingIds: [third], kind: 'view', purpose: 'x' } })).json().id;
      expect((await h.req('POST', `/api/access-requests/${id}/approve`, { as: 'sup2', body: {} })).statusCode).toBe(200);
      const after = await h.req('GET', `/api/recordings/${third}/media`, { as, headers: { range: 'bytes=0-9' } });
      expect(after.statusCode).toBe(206);
      expect(h.ledger.access.list({ recordingId: third, username: as, limit: 5 })[0]).toMatchObject({ ground: `request/${id}`, requestId: id });
      // Their own request admits them, never the next person of the same role.
    });
  }

  it('confidential: hidden from equipment manager, auditor and the other officer; seen by its officer, supervisors and legal', async () => {
    const conf = addRecording(h, { seq: 3, officerNo: '100001', file: mp4 });
    expect((await h.req('POST', `/api/recordings/${conf}/confidential`, { as: 'legal1', body: { class: 'state_secret', reason: '涉及国家秘密' } })).statusCode).toBe(200);
    const sees: Record<string, boolean> = { '100001': true, '100002': false, em1: false, sup1: true, legal1: true, aud1: false };
    for (const [as, yes] of Object.entries(sees)) {
      const list = (await h.req('GET', '/api/recordings', { as })).json().items.map((r: { id: number }) => r.id);
      expect(list.includes(conf), `${as} search`).toBe(yes);
      expect((await h.req('GET', `/api/recordings/${conf}`, { as })).statusCode, `${as} detail`).toBe(yes ? 200 : 403);
      expect((await h.req('GET', `/api/recordings/${conf}/media`, { as, headers: { range: 'bytes=0-9' } })).statusCode, `${as} media`).toBe(yes ? 206 : 403);
    }
    expect((await h.req('GET', `/api/recordings/${conf}/thumbnail`, { as: 'em1' })).statusCode).toBe(403);
    expect((await h.req('GET', `/api/recordings/${conf}/export`, { as: 'sup1' })).statusCode).toBe(403);
    // The refused looks are on record.
    expect(h.ledger.audit.list({ limit: 100, action: 'access.refused' }).some((e) => e.subject === String(conf) && e.actor === 'aud1')).toBe(true);
  });
});

describe('ledger migration 8 on a populated ledger of the version before it', () => {
  it('numbers the recordings already stored, flags their important marks, and numbers new ones after them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwc-mig8-'));
    const file = join(dir, 'ledger.sqlite');
    const iso = (ms: number) => toIsoInZone(ms, ZONE);
    const eight = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE evidence_numbers'));
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    MIGRATIONS.slice(0, eight).forEach((m, v) => {
      db.exec(m);
      db.pragma(`user_version = ${v + 1}`);
    });
    const old = new Ledger(db, iso);
    const fake = { ledger: old, clock: { t: T0 }, dataDir: dir } as unknown as Harness;
    addOfficers(fake);
    // Rows as the version before stored them: no evidence number, no confidential column to read.
    const insert = (seq: number, flags: number) =>
      db
        .prepare(
          `INSERT INTO recordings (serial, seq, name, device_path, stored_path, size, sha256, file_flags, recorded_start, recorded_start_ms, corrected_start, corrected_start_ms,
            duration_ms, offloaded_at, offloaded_at_ms, session_id, officer_no, unit_no, retain_until, retain_until_ms)
           VALUES ('SN1', ?, ?, ?, ?, 1, 'aa', ?, ?, ?, ?, ?, 1000, ?, ?, 'S1', '100001', 'U01', ?, ?)`,
        )
        .run(seq, `f${seq}.mp4`, `DCIM/f${seq}.mp4`, `footage/SN1/f${seq}.mp4`, flags, iso(T0), T0, iso(T0), T0, iso(T0), T0, iso(T0 + 1e10), T0 + 1e10);
    db.prepare("INSERT INTO sessions (id, port_path, started_at_ms, result) VALUES ('S1', '/dev/x', ?, 'ok')").run(T0);
    insert(1, 1);
    insert(2, 0);
    db.close();

    const now = Ledger.open(file, iso);
    try {
      expect(now.rawForTests().pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const all = now.recordings.all();
      expect(all.map((r) => [r.seq, r.evidenceNo, r.flags])).toEqual([
        [1, 'U01-2026-000001', ['important']],
        [2, 'U01-2026-000002', []],
      ]);
      const next = addRecording({ ...fake, ledger: now } as unknown as Harness, { seq: 3, officerNo: '100001', file: mp4, fileFlags: 1 });
      expect(now.recordings.get(next)).toMatchObject({ evidenceNo: 'U01-2026-000003', flags: ['important'] });
      expect(now.rawForTests().pragma('foreign_key_check')).toEqual([]);
    } finally {
      now.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
