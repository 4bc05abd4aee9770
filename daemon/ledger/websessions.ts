import type { Db } from './db.js';
import type { Role } from './users.js';

/** A console login session. The cookie carries a random token; the ledger keeps only its SHA-256. */
export interface WebSession {
  tokenSha256: string;
  username: string;
  role: Role;
  csrfToken: string;
  createdAtMs: number;
  expiresAtMs: number;
  /** The last request of the session (for the idle time-out); the creation time at first. */
  lastSeenMs: number;
}

interface Row {
  token_sha256: string;
  username: string;
  role: Role;
  csrf_token: string;
  created_at_ms: number;
  expires_at_ms: number;
  last_seen_ms: number | null;
}

const toSession = (r: Row): WebSession => ({
  tokenSha256: r.token_sha256,
  username: r.username,
  role: r.role,
  csrfToken: r.csrf_token,
  createdAtMs: r.created_at_ms,
  expiresAtMs: r.expires_at_ms,
  lastSeenMs: r.last_seen_ms ?? r.created_at_ms,
});

export class WebSessionRepo {
  constructor(private readonly db: Db) {}

  create(s: Omit<WebSession, 'lastSeenMs'>): void {
    this.db
      .prepare('INSERT INTO web_sessions (token_sha256, username, role, csrf_token, created_at_ms, expires_at_ms, last_seen_ms) VALUES (?,?,?,?,?,?,?)')
      .run(s.tokenSha256, s.username, s.role, s.csrfToken, s.createdAtMs, s.expiresAtMs, s.createdAtMs);
  }

  /** Note a request of the session at `nowMs` (the idle time-out counts from the last one). */
  touch(tokenSha256: string, nowMs: number): void {
    this.db.prepare('UPDATE web_sessions SET last_seen_ms = ? WHERE token_sha256 = ? AND (last_seen_ms IS NULL OR last_seen_ms < ?)').run(nowMs, tokenSha256, nowMs);
  }

  /** The session, unless it has expired at `nowMs`. */
  get(tokenSha256: string, nowMs: number): WebSession | null {
    const r = this.db.prepare('SELECT * FROM web_sessions WHERE token_sha256 = ? AND expires_at_ms > ?').get(tokenSha256, nowMs) as Row | undefined;
    return r ? toSession(r) : null;
  }

  delete(tokenSha256: string): boolean {
    return this.db.prepare('DELETE FROM web_sessions WHERE token_sha256 = ?').run(tokenSha256).changes > 0;
  }

  deleteForUser(username: string): number {
    return this.db.prepare('DELETE FROM web_sessions WHERE username = ?').run(username).changes;
  }

  /** Drop sessions past their lifetime, and those idle since before `idleSinceMs` when given. */
  purgeExpired(nowMs: number, idleSinceMs?: number): number {
    if (idleSinceMs === undefined) return this.db.prepare('DELETE FROM web_sessions WHERE expires_at_ms <= ?').run(nowMs).changes;
    return this.db.prepare('DELETE FROM web_sessions WHERE expires_at_ms <= ? OR COALESCE(last_seen_ms, created_at_ms) < ?').run(nowMs, idleSinceMs).changes;
  }
}
