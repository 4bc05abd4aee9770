import type { ConsoleDeps, AuthUser } from './deps.js';
import { tokenKey } from './guard.js';

/**
 * The logged-in user behind a session cookie's token, or null (no such session, expired, user gone or
 * disabled). The guard calls this for every request that is not public; nothing else decides who a request is.
 */
export function resolveLogin(deps: ConsoleDeps, token: string | undefined): AuthUser | null {
  if (!token) return null;
  const session = deps.ledger.webSessions.get(tokenKey(token), deps.clock.now());
  const user = session ? deps.ledger.users.get(session.username) : null;
  if (!session || !user || user.disabled) return null;
  return { username: session.username, role: user.role, csrfToken: session.csrfToken, sessionKey: session.tokenSha256, expiresAtMs: session.expiresAtMs };
}
