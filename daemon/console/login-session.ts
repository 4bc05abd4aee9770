import { canLogIn } from '../ledger/users.js';
import type { ConsoleDeps, AuthUser } from './deps.js';
import { tokenKey } from './guard.js';

/** How stale a session's last-seen time may get before a request writes it again (bounds ledger writes). */
const touchEveryMs = (idleMs: number) => Math.min(30_000, Math.floor(idleMs / 60));

/**
 * The logged-in user behind a session cookie's token, or null: no such session, past its absolute lifetime
 * (`console.sessionHours`) or idle for `console.idleMinutes`, the user gone, disabled, waiting for a
 * supervisor's confirmation (a new account or a reset password), or holding another role than the session was
 * made for. A session that resolves notes the request (the idle time-out counts from it). The guard calls this
 * for every request that is not public; nothing else decides who a request is. `mustChangePassword` limits the
 * session to the routes marked `passwordChange` (me, password change, logout).
 */
export function resolveLogin(deps: ConsoleDeps, token: string | undefined): AuthUser | null {
  if (!token) return null;
  const key = tokenKey(token);
  const now = deps.clock.now();
  const session = deps.ledger.webSessions.get(key, now);
  if (!session) return null;
  const idleMs = deps.config.console.idleMinutes * 60_000;
  const user = deps.ledger.users.get(session.username);
  if (now - session.lastSeenMs >= idleMs || !user || !canLogIn(user) || user.role !== session.role) {
    deps.ledger.webSessions.delete(key);
    return null;
  }
  if (now - session.lastSeenMs >= touchEveryMs(idleMs)) deps.ledger.webSessions.touch(key, now);
  return {
    username: session.username,
    role: user.role,
    csrfToken: session.csrfToken,
    sessionKey: session.tokenSha256,
    expiresAtMs: session.expiresAtMs,
    mustChangePassword: user.mustChangePassword,
  };
}
