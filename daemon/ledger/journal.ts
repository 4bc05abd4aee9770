import type { Db } from './db.js';

/** Intent rows written before touching files, so a restart knows what was under way (STYLE §8). */
export interface JournalEntry {
  id: number;
  sessionId: string;
  serial: string;
  seq: number;
  tempPath: string;
  storedPath: string;
  state: 'copying' | 'renaming';
  entryJson: string;
  sha256: string | null;
}

interface Row {
  id: number;
  session_id: string;
  serial: string;
  seq: number;
  temp_path: string;
  stored_path: string;
  state: 'copying' | 'renaming';
  entry_json: string;
  sha256: string | null;
}

export class JournalRepo {
  constructor(private readonly db: Db) {}

  begin(e: { sessionId: string; serial: string; seq: number; tempPath: string; storedPath: string; entryJson: string }, atMs: number): number {
    const info = this.db
      .prepare("INSERT INTO ingest_journal (session_id, serial, seq, temp_path, stored_path, state, entry_json, started_at_ms) VALUES (?,?,?,?,?,'copying',?,?)")
      .run(e.sessionId, e.serial, e.seq, e.tempPath, e.storedPath, e.entryJson, atMs);
    return Number(info.lastInsertRowid);
  }

  renaming(id: number, sha256: string): void {
    this.db.prepare("UPDATE ingest_journal SET state='renaming', sha256=? WHERE id=?").run(sha256, id);
  }

  /** The path the file is about to be linked at (journalled before the link, so recovery looks there). */
  target(id: number, storedPath: string): void {
    this.db.prepare('UPDATE ingest_journal SET stored_path = ? WHERE id = ?').run(storedPath, id);
  }

  done(id: number): void {
    this.db.prepare('DELETE FROM ingest_journal WHERE id = ?').run(id);
  }

  pending(): JournalEntry[] {
    return (this.db.prepare('SELECT * FROM ingest_journal ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id,
      sessionId: r.session_id,
      serial: r.serial,
      seq: r.seq,
      tempPath: r.temp_path,
      storedPath: r.stored_path,
      state: r.state,
      entryJson: r.entry_json,
      sha256: r.sha256,
    }));
  }
}
