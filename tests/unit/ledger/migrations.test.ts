import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../daemon/ledger/db.js';
import { Ledger } from '../../../daemon/ledger/index.js';
import { MIGRATIONS } from '../../../daemon/ledger/migrations.js';

/**
 * Every ledger migration applied to a populated ledger of the version before it (issue 14), not only to an
 * empty one: a dock upgrades with years of evidence in its ledger. Each migration is found by what it does, not
 * by its index. The ledger of the version before holds a docking's worth of rows written with that version's
 * SQL (a recorder, an officer, its checkout, a session, two recordings with flags, a recorder event, a finding
 * justified and decided, a manifest, an account); after `migrate` to the newest version every row reads back
 * through today's repositories, the foreign keys and the file hold, and what the migration brings works on
 * the old rows. Migrations 6 and 7 have their own tests of this kind (tests/security/accounts.test.ts,
 * derived-copies.test.ts); migration 4's backfill is tested in recordings-search.test.ts; this covers them too.
 */

const T0 = Date.parse('2026-11-24T01:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The index of the migration whose SQL holds `marker`: it and everything after it are still to apply. */
function indexOf(marker: string): number {
  const i = MIGRATIONS.findIndex((m) => m.includes(marker));
  if (i < 0) throw new Error(`no migration holds ${marker}`);
  return i;
}

/** A ledger file at the version just before the migration holding `marker`. */
function ledgerBefore(marker: string): Database.Database {
  dir = mkdtempSync(join(tmpdir(), 'bwc-migrations-'));
  const db = new Database(join(dir, 'ledger.sqlite'));
  db.pragma('foreign_keys = ON');
  const upTo = indexOf(marker);
  for (let v = 0; v < upTo; v++) {
    db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
  }
  return db;
}

/** A docking's worth of rows, in the columns of migration 1 (every later version still has them). */
function populate(db: Database.Database): { recordings: number[]; finding: number } {
  db.prepare("INSERT INTO devices (serial, id_code, firmware, caps, status, docked, last_event_index, created_at_ms) VALUES ('SN000001', 'ID1', 'fw 1.0', 7, 'in_dock', 1, 2, ?)").run(T0);
  db.prepare("INSERT INTO officers (officer_no, name, unit_no, unit_name, created_at_ms) VALUES ('100001', '张三', 'U01', '一大队', ?)").run(T0);
  db.prepare("INSERT INTO checkouts (serial, officer_no, out_at_ms, out_by, in_at_ms, in_by) VALUES ('SN000001', '100001', ?, 'em1', ?, 'em1')").run(T0, T0 + 8 * 3_600_000);
  db.prepare("INSERT INTO sessions (id, serial, port_path, started_at_ms, ended_at_ms, result, drift_ms, files_total, files_stored) VALUES ('S1', 'SN000001', '/dev/ttyACM0', ?, ?, 'ok', 3000, 2, 2)").run(
    T0 + 9 * 3_600_000,
    T0 + 9 * 3_600_000 + 60_000,
  );
  const ins = db.prepare(
    `INSERT INTO recordings (serial, seq, name, device_path, stored_path, size, sha256, recorded_start, recorded_start_ms, corrected_start, corrected_start_ms, drift_ms,
       duration_ms, offloaded_at, offloaded_at_ms, session_id, manifest_session_id, officer_no, unit_no, checkout_id, retain_until, retain_until_ms, erased_at_ms)
     VALUES ('SN000001', ?, ?, ?, ?, 1000, ?, ?, ?, ?, ?, 3000, 600000, ?, ?, 'S1', 'S1', '100001', 'U01', 1, ?, ?, ?)`,
  );
  const recordings = [1, 2].map((seq) => {
    const start = T0 + seq * 3_600_000;
    const name = `SN000001_00000${seq}.MP4`;
    return Number(
      ins.run(seq, name, `DCIM/${name}`, `footage/SN000001/2026-11/${name}`, String(seq).repeat(64), iso(start + 3000), start + 3000, iso(start), start, iso(T0 + 9 * 3_600_000), T0 + 9 * 3_600_000, iso(T0 + 300 * 86_400_000), T0 + 300 * 86_400_000, T0 + 9 * 3_600_000 + 30_000)
        .lastInsertRowid,
    );
  });
  db.prepare("INSERT INTO recording_flags (recording_id, flag) VALUES (?, 'late_offload')").run(recordings[1]);
  db.prepare("INSERT INTO recording_flags (recording_id, flag) VALUES (?, 'drift')").run(recordings[1]);
  db.prepare("INSERT INTO device_events (serial, idx, time_raw, code, arg, session_id) VALUES ('SN000001', 1, '20261124090000', 3, 0, 'S1')").run();
  const finding = Number(
    db
      .prepare(
        `INSERT INTO findings (kind, serial, recording_id, session_id, seq_from, seq_to, officer_no, detail, dedupe_key, state, reason, text, justified_by, justified_at_ms, decided_by, decided_at_ms, decision_text, created_at_ms)
         VALUES ('late_offload', 'SN000001', ?, 'S1', 2, 2, '100001', 'offloaded late', 'late:SN000001:2', 'approved', 'remote_duty', 'island patrol', '100001', ?, 'sup1', ?, 'roster confirms', ?)`,
      )
      .run(recordings[1], T0 + 10 * 3_600_000, T0 + 11 * 3_600_000, T0 + 9 * 3_600_000).lastInsertRowid,
  );
  db.prepare("INSERT INTO manifests (session_id, kind, seqno, created_at_ms, sha256, prev_sha256) VALUES ('S1', 'docking', 1, ?, ?, NULL)").run(T0 + 9 * 3_600_000, 'ab'.repeat(32));
  db.prepare("INSERT INTO users (username, role, password_hash, disabled, created_at_ms) VALUES ('sup1', 'supervisor', 'scrypt$x', 0, ?)").run(T0);
  return { recordings, finding };
}

/** Migrate to the newest version and check that the docking's rows read back as they were written. */
function migrateAndOpen(db: Database.Database, rows: { recordings: number[]; finding: number }): Ledger {
  migrate(db);
  expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  expect(db.pragma('foreign_key_check')).toEqual([]);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  const ledger = new Ledger(db, iso);
  expect(ledger.devices.get('SN000001')).toMatchObject({ serial: 'SN000001', status: 'in_dock' });
  expect(ledger.officers.get('100001')).toMatchObject({ name: '张三', unitNo: 'U01' });
  expect(ledger.checkouts.get(1)).toMatchObject({ serial: 'SN000001', officerNo: '100001', inBy: 'em1' });
  expect(ledger.sessions.get('S1')).toMatchObject({ serial: 'SN000001', result: 'ok' });
  const [r1, r2] = rows.recordings.map((id) => ledger.recordings.get(id)!);
  expect(r1).toMatchObject({ seq: 1, officerNo: '100001', checkoutId: 1, manifestSessionId: 'S1', durationMs: 600_000, flags: [] });
  expect(r2!.flags.sort()).toEqual(['drift', 'late_offload']);
  expect(ledger.recordings.query({ flag: 'late_offload', limit: 10 }).map((r) => r.id)).toEqual([rows.recordings[1]]);
  expect(ledger.deviceEvents.list('SN000001')).toHaveLength(1);
  expect(ledger.findings.get(rows.finding)).toMatchObject({ kind: 'late_offload', state: 'approved', reason: 'remote_duty', decidedBy: 'sup1', recordingId: rows.recordings[1] });
  expect(ledger.manifests.head()).toMatchObject({ sessionId: 'S1' });
  expect(ledger.users.list().map((u) => u.username)).toEqual(['sup1']);
  return ledger;
}

describe('each migration on a populated ledger of the version before it', () => {
  it('2 (console: login sessions, access register, activities): old recordings can be looked at and registered', () => {
    const db = ledgerBefore('CREATE TABLE web_sessions');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    const v = ledger.access.recordView({ recordingId: rows.recordings[0]!, username: 'sup1', role: 'supervisor', ground: 'oversight', playbackKey: 'k', atMs: T0, at: iso(T0), windowMs: 1000 });
    expect(v.created).toBe(true);
    expect(ledger.access.list({ limit: 10 }).map((e) => e.recordingId)).toEqual([rows.recordings[0]]);
    ledger.close();
  });

  it('3 (retention, holds, tombstones, archives): an old recording can be held and queued', () => {
    const db = ledgerBefore('CREATE TABLE holds');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    expect(ledger.holds.heldIds(rows.recordings).size).toBe(0);
    db.prepare("INSERT INTO holds (reason, case_ref, placed_by, placed_at, placed_at_ms) VALUES ('case', 'C-1', 'legal1', 'x', ?)").run(T0);
    db.prepare('INSERT INTO hold_recordings (hold_id, recording_id) VALUES (1, ?)').run(rows.recordings[0]);
    expect([...ledger.holds.heldIds(rows.recordings)]).toEqual([rows.recordings[0]]);
    ledger.close();
  });

  it('4 (flag search index): the flags stored before carry their recording sort key', () => {
    const db = ledgerBefore('CREATE INDEX recordings_checkout');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    expect(db.prepare('SELECT COUNT(*) AS n FROM recording_flags WHERE sort_ms IS NULL').get()).toEqual({ n: 0 });
    ledger.close();
  });

  it("5 (an event's zone offset): events stored before keep no offset and still read back", () => {
    const db = ledgerBefore('ALTER TABLE device_events ADD COLUMN tz');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    expect(db.prepare('SELECT tz FROM device_events').all()).toEqual([{ tz: null }]);
    expect(ledger.deviceEvents.list('SN000001')[0]).toMatchObject({ index: 1, timeRaw: '20261124090000' });
    ledger.close();
  });

  it('6 (accounts: forced changes, pending grants, idle sessions): an old account takes effect as it was', () => {
    const db = ledgerBefore('pending_kind');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    expect(ledger.users.get('sup1')).toEqual({ username: 'sup1', role: 'supervisor', disabled: false, mustChangePassword: false, pending: null });
    ledger.close();
  });

  it('7 (derived copies in the access register): old register entries survive the rebuild', () => {
    const db = ledgerBefore('access_register_v7');
    const rows = populate(db);
    db.prepare("INSERT INTO access_register (kind, recording_id, username, role, ground, at_ms, at, last_at_ms) VALUES ('view', ?, 'sup1', 'supervisor', 'oversight', ?, 'x', ?)").run(rows.recordings[0], T0, T0);
    const ledger = migrateAndOpen(db, rows);
    expect(ledger.access.list({ limit: 10 }).map((e) => [e.kind, e.recordingId])).toEqual([['view', rows.recordings[0]]]);
    ledger.close();
  });

  it('8 (evidence access): old recordings get evidence numbers, new ones the next', () => {
    const db = ledgerBefore('evidence_counters');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    const numbers = rows.recordings.map((id) => ledger.recordings.get(id)!.evidenceNo);
    expect(numbers.every((n) => typeof n === 'string' && n.length > 0)).toBe(true);
    expect(new Set(numbers).size).toBe(2);
    ledger.close();
  });

  it("9 (remote duty's return, media probes): old justifications state no return, old recordings wait for their probe", () => {
    const db = ledgerBefore('CREATE TABLE media_probes');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    expect(ledger.findings.get(rows.finding)?.returnedAtMs).toBeNull();
    expect(ledger.mediaProbes.pending(0, 10).map((t) => t.id)).toEqual(rows.recordings);
    ledger.mediaProbes.record({ recordingId: rows.recordings[0]!, probedAtMs: T0, outcome: 'parsed', format: 'mov,mp4', durationMs: 600_000, creationTime: iso(T0), creationTimeMs: T0, error: null });
    expect(ledger.mediaProbes.pending(0, 10).map((t) => t.id)).toEqual([rows.recordings[1]]);
    ledger.findings.justify(rows.finding, '100001', 'remote_duty', 'again', T0, T0 - 3_600_000);
    expect(ledger.findings.get(rows.finding)).toMatchObject({ state: 'justified', returnedAtMs: T0 - 3_600_000 });
    ledger.close();
  });

  it('10 (replication outbox): nothing is queued until replication is switched on, then the backfill queues every old row once', () => {
    const db = ledgerBefore('CREATE TABLE upstream_outbox');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    ledger.findings.justify(rows.finding, '100001', 'remote_duty', 'again', T0, null);
    expect(ledger.upstream.backlog()).toEqual({ objects: 0, rows: 0, oldestQueuedAtMs: null });
    expect(ledger.upstream.enable(T0)).toBe(10); // officer, device, checkout, session, finding, 2 recordings and their footage, the manifest
    expect(ledger.upstream.backlog()).toEqual({ objects: 3, rows: 7, oldestQueuedAtMs: T0 });
    expect(ledger.upstream.awaitsReplication(rows.recordings[0]!)).toBe(true);
    expect(ledger.upstream.row('recording', String(rows.recordings[1]))).toMatchObject({ seq: 2, held: false });
    ledger.close();
  });

  it('11 (oversight: spot-checks, report exports): old recordings can be drawn, scored and counted in a yearly report', () => {
    const db = ledgerBefore('CREATE TABLE spot_checks');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    const candidates = ledger.spotChecks.candidates({ maxRecordingId: ledger.spotChecks.maxRecordingId(), atMs: T0, unitNo: 'U01', officerNo: null, fromMs: null, toMs: null });
    expect(candidates.map((c) => c.id)).toEqual(rows.recordings);
    const id = ledger.spotChecks.insert({
      drawnBy: 'sup1',
      drawnAt: iso(T0),
      drawnAtMs: T0,
      algorithm: 'bwc-spot-check/v1',
      auditHead: ledger.audit.head(),
      seed: 'a'.repeat(64),
      inputs: { size: 1, unitNo: 'U01', officerNo: null, fromMs: null, toMs: null, maxRecordingId: rows.recordings[1]!, reviewers: ['sup1'] },
      candidates: 2,
      candidatesSha256: 'b'.repeat(64),
      reviewer: 'sup1',
      recordings: [{ recordingId: rows.recordings[0]!, officerNo: '100001', unitNo: 'U01' }],
    });
    expect(ledger.spotChecks.score(id, rows.recordings[0]!, { by: 'sup1', atMs: T0 + 1000, at: iso(T0 + 1000), items: [{ item: 'whole_course', pass: true, note: null }], comment: '' })).toBe(true);
    expect(ledger.spotChecks.get(id)?.completedAtMs).toBe(T0 + 1000);
    const year = ledger.yearlyReport.figures('officer', T0 - 86_400_000, T0 + 86_400_000).get('100001');
    expect(year).toMatchObject({ recordings: 2, lateOffloads: 1, spotChecked: 1, checkouts: 1, checkoutsWithFootage: 1 });
    expect(ledger.yearlyReport.firstExport(2026)).toBeNull();
    ledger.yearlyReport.recordExport(2026, 'csv', 'sup1', T0, iso(T0));
    expect(ledger.yearlyReport.firstExport(2026)).toBe(iso(T0));
    ledger.close();
  });

  it("12 (a docking's findings in the flag search): old recordings are found by their docking's drift", () => {
    const db = ledgerBefore('CREATE INDEX recordings_session');
    const rows = populate(db);
    const ledger = migrateAndOpen(db, rows);
    ledger.findings.raise({ kind: 'drift', detail: 'clock 95 s fast', serial: 'SN000001', sessionId: 'S1' }, T0);
    expect(ledger.recordings.query({ flag: 'drift', limit: 10 }).map((r) => r.id).sort((a, b) => a - b)).toEqual([...rows.recordings].sort((a, b) => a - b));
    ledger.close();
  });

  it("13 (a docking's findings kept with their recordings, live recordings by recorder and officer): findings raised before are found, and those raised after", () => {
    const db = ledgerBefore('CREATE TABLE docking_finding_recordings');
    const rows = populate(db);
    db.prepare("INSERT INTO findings (kind, serial, session_id, detail, created_at_ms) VALUES ('interrupted', 'SN000001', 'S1', 'unplugged', ?)").run(T0 + 9 * 3_600_000);
    const ledger = migrateAndOpen(db, rows);
    const newestFirst = [...rows.recordings].sort((a, b) => b - a);
    expect(ledger.recordings.query({ flag: 'interrupted', limit: 10 }).map((r) => r.id)).toEqual(newestFirst);
    expect(ledger.recordings.query({ flag: 'drift', limit: 10 })).toEqual([]);
    ledger.findings.raise({ kind: 'drift', detail: 'clock 95 s fast', serial: 'SN000001', sessionId: 'S1' }, T0 + 10 * 3_600_000);
    expect(ledger.recordings.query({ flag: 'drift', limit: 10 }).map((r) => r.id)).toEqual(newestFirst);
    // The old live recordings are in the recorder's and the officer's live indexes.
    for (const q of [{ serial: 'SN000001' }, { officerNo: '100001' }]) {
      expect(ledger.recordings.query({ ...q, flag: 'late_offload', limit: 10 }).map((r) => r.id)).toEqual([rows.recordings[1]]);
      expect(ledger.recordings.planOf({ ...q, flag: 'late_offload', limit: 10 }).join('\n')).toMatch(/recordings_live_(serial|officer)/);
    }
    ledger.close();
  });

  it('14 (open checkouts indexed alone): a checkout left open before is still whom the recorder is out to', () => {
    const db = ledgerBefore('CREATE INDEX checkouts_open');
    const rows = populate(db);
    db.prepare("INSERT INTO checkouts (serial, officer_no, out_at_ms, out_by) VALUES ('SN000001', '100001', ?, 'em1')").run(T0 + 20 * 3_600_000);
    const ledger = migrateAndOpen(db, rows);
    expect(ledger.checkouts.open('SN000001')).toMatchObject({ id: 2, officerNo: '100001', inAtMs: null });
    ledger.checkouts.checkIn(2, 'em1', T0 + 30 * 3_600_000, null);
    expect(ledger.checkouts.open('SN000001')).toBeNull();
    ledger.close();
  });

  it('covers every migration after the first', () => {
    const markers = ['CREATE TABLE web_sessions', 'CREATE TABLE holds', 'CREATE INDEX recordings_checkout', 'ALTER TABLE device_events ADD COLUMN tz', 'pending_kind', 'access_register_v7', 'evidence_counters', 'CREATE TABLE media_probes', 'CREATE TABLE upstream_outbox', 'CREATE TABLE spot_checks', 'CREATE INDEX recordings_session', 'CREATE TABLE docking_finding_recordings', 'CREATE INDEX checkouts_open'];
    expect(markers.map(indexOf)).toEqual(MIGRATIONS.slice(1).map((_, i) => i + 1));
  });
});
