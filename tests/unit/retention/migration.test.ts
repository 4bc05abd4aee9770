import { describe, expect, it } from 'vitest';
import { openLedger } from '../../../daemon/ledger/db.js';
import { MIGRATIONS } from '../../../daemon/ledger/migrations.js';

describe('ledger migration 3 (retention, holds, tombstones, archives)', () => {
  it('creates the tables and refuses an unknown hold reason', () => {
    const db = openLedger(':memory:');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['holds', 'hold_recordings', 'retention_queue', 'retention_decisions', 'tombstones', 'archives']) expect(tables).toContain(t);
    expect(() =>
      db.prepare("INSERT INTO holds (reason, case_ref, placed_by, placed_at, placed_at_ms) VALUES ('whim','C1','u','t',1)").run(),
    ).toThrow(/CHECK/);
    db.close();
  });
});
