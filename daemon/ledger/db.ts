import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** Open (creating if needed) the ledger: WAL, foreign keys, full sync, migrations applied. */
export function openLedger(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // 4 MiB of page cache, not better-sqlite3's 16 (issue 19): the kernel's page cache holds the file as well, and on a
  // ledger of 1M recordings the daemon's start and a run of console searches filled all 16 MiB (12 MiB of RSS more
  // than with 4, at no difference in search times measurable on the bench machine).
  db.pragma('cache_size = -4000');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new Error(`ledger schema version ${current} is newer than this software (${MIGRATIONS.length})`);
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
