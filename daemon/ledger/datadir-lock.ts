import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Another bwc-dock process (the daemon, a key rotation) holds the data dir. */
export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError';
}

/**
 * Hold `<dataDir>/daemon.lock` for as long as this process runs (or until `release`): an SQLite file kept in
 * exclusive locking mode, so the lock is the kernel's (fcntl) and goes with the process, whatever way it ends: no
 * stale pid file after a crash. The daemon (`start`) and `key rotate` take it; `verify` and `user add` do not need it.
 */
export function lockDataDir(dataDir: string, what: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const file = join(dataDir, 'daemon.lock');
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, what TEXT, since TEXT)');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder VALUES (?, ?, ?)').run(process.pid, what, new Date().toISOString());
    db.exec('COMMIT');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY') || (e as { code?: string }).code?.startsWith('SQLITE_LOCKED')) {
      throw new DataDirBusyError(`${dataDir} is in use by another bwc-dock process (the daemon?): stop it first (systemctl stop bwc-dock)`);
    }
    throw e;
  }
  return { release: () => db.close() };
}

