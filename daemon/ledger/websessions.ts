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
}

interface Row {
  token_sha256: string;
  username: string;
  role: Role;
  csrf_token: string;
  created_at_ms: number;
  expires_at_ms: number;
}

const toSession = (r: Row): WebSession => ({
  tokenSha256: r.token_sha256,
  username: r.username,
  role: r.role,
  csrfToken: r.csrf_token,
  createdAtMs: r.created_at_ms,
  expiresAtMs: r.expires_at_ms,
});

export class WebSessionRepo {
  constructor(private readonly db: Db) {}

  create(s: WebSession): void {
    this.db
      .prepare('INSERT INTO web_sessions (token_sha256, username, role, csrf_token, created_at_ms, expires_at_ms) VALUES (?,?,?,?,?,?)')
      .run(s.tokenSha256, s.username, s.role, s.csrfToken, s.createdAtMs, s.expiresAtMs);
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

  purgeExpired(nowMs: number): number {
    return this.db.prepare('DELETE FROM web_sessions WHERE expires_at_ms <= ?').run(nowMs).changes;
  }
}
