import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../../daemon/ledger/migrations.js';
import { migrate } from '../../../daemon/ledger/db.js';
import { Ledger } from '../../../daemon/ledger/index.js';

/** The replication outbox (issue 16): queued by triggers in the transaction of each change, once replication is on. */

const upstreamMigration = () => MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE upstream_outbox'));

function populatedBefore(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const v = upstreamMigration();
  expect(v).toBeGreaterThan(0);
  for (let i = 0; i < v; i++) db.exec(MIGRATIONS[i]!);
  db.pragma(`user_version = ${v}`);
  db.exec(`
    INSERT INTO officers VALUES ('100001','Li','U1','Unit 1',1);
    INSERT INTO devices (serial, id_code, firmware, caps, created_at_ms) VALUES ('A000001','ID','1',0,1);
    INSERT INTO sessions (id, serial, port_path, started_at_ms) VALUES ('s1','A000001','/dev/x',1);
    INSERT INTO recordings (serial, seq, name, device_path, stored_path, size, sha256, duration_ms, offloaded_at, offloaded_at_ms, session_id, retain_until, retain_until_ms)
      VALUES ('A000001',1,'a.mp4','/a.mp4','footage/A000001/a.mp4',10,'00',1000,'2026-01-01T00:00:00+08:00',1,'s1','2026-11-01T00:00:00+08:00',2);
    INSERT INTO manifests VALUES ('s1','docking',1,1,'ab',NULL);
  `);
  return db;
}

describe('ledger migration: upstream outbox', () => {
  it('migrates a populated ledger of the version before it; nothing is queued until replication is switched on', () => {
    const db = populatedBefore();
    migrate(db);
    const ledger = new Ledger(db, (ms) => new Date(ms).toISOString());
    expect(ledger.upstream.enabled()).toBe(false);
    db.prepare("UPDATE devices SET last_battery = 50 WHERE serial = 'A000001'").run();
    expect(ledger.upstream.backlog()).toEqual({ objects: 0, rows: 0, oldestQueuedAtMs: null });
    expect(ledger.upstream.awaitsReplication(1)).toBe(false);
  });

  it('the backfill queues what the ledger holds; triggers queue each later change once, and a change during a transfer makes it run again', () => {
    const db = populatedBefore();
    migrate(db);
    const ledger = new Ledger(db, (ms) => new Date(ms).toISOString());
    const n = ledger.upstream.enable(1000);
    expect(n).toBe(6); // officer, device, session and recording rows; footage and manifest objects
    expect(ledger.upstream.enable(2000)).toBe(0);
    expect(ledger.upstream.backlog()).toMatchObject({ objects: 2, rows: 4, oldestQueuedAtMs: 1000 });
    expect(ledger.upstream.awaitsReplication(1)).toBe(true);
    // A change to a queued thing does not queue it twice.
    db.prepare("UPDATE devices SET last_battery = 51 WHERE serial = 'A000001'").run();
    expect(ledger.upstream.backlog().rows).toBe(4);
    const [dev] = ledger.upstream.due(5000, 100, []).filter((i) => i.entity === 'device');
    db.prepare("UPDATE devices SET last_battery = 52 WHERE serial = 'A000001'").run();
    expect(ledger.upstream.complete(dev!)).toBe(false);
    const [again] = ledger.upstream.due(5000, 100, []).filter((i) => i.entity === 'device');
    expect(again!.gen).toBe(dev!.gen + 1);
    expect(ledger.upstream.complete(again!)).toBe(true);
    expect(ledger.upstream.row('device', 'A000001')).toMatchObject({ serial: 'A000001', last_battery: 52 });
    // A hold on a recording queues the hold row, the recording row and its footage object (legal hold).
    for (const i of ledger.upstream.due(5000, 100, [])) ledger.upstream.complete(i);
    expect(ledger.upstream.backlog().objects + ledger.upstream.backlog().rows).toBe(0);
    ledger.tx(() => {
      const id = ledger.holds.place({ reason: 'case', caseRef: 'C1', note: null, recordingIds: [1], placedBy: 'sup', placedAt: 'x', placedAtMs: 1 });
      expect(id).toBeGreaterThan(0);
    });
    const items = ledger.upstream.due(5000, 100, []).map((i) => `${i.kind}:${i.entity}:${i.ref}`).sort();
    expect(items).toEqual(['object:footage:1', 'row:hold:1', 'row:recording:1']);
    expect(ledger.upstream.row('recording', '1')).toMatchObject({ id: 1, held: true, flags: [] });
    // A failed transfer waits for its backoff.
    const f = ledger.upstream.due(5000, 1, [])[0]!;
    ledger.upstream.fail(f, 'down', 9000);
    expect(ledger.upstream.due(5000, 100, []).map((i) => i.id)).not.toContain(f.id);
    expect(ledger.upstream.due(9000, 100, []).map((i) => i.id)).toContain(f.id);
    expect(ledger.upstream.nextDueAtMs()).toBe(0);
  });
});
