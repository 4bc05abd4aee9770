import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HasherBusyError, MAX_PASSWORD_LENGTH } from '../ledger/passwords.js';
import { ANONYMOUS, ROLES, UserError, validatePassword, type Role } from '../ledger/users.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ServiceError } from './services/errors.js';
import { SESSION_COOKIE, tokenKey, userOf } from './guard.js';
import { rightsOf, SCOPES } from './rights.js';
import { LoginLimiter, type Attempt } from './login-limiter.js';

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) },
  { additionalProperties: false },
);
const PasswordBody = Type.Object(
  { current: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }), new: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) },
  { additionalProperties: false },
);
const SessionAnswer = Type.Object({
  csrfToken: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  username: Type.String(),
  expiresAt: Type.String(),
  /** Only /api/me, /api/me/password and /api/logout answer until the password is changed. */
  mustChangePassword: Type.Boolean(),
  /** The actions of the rights matrix this role may perform, with their scope: the console shows only these pages. */
  rights: Type.Record(Type.String(), Type.Union(SCOPES.map((x) => Type.Literal(x)))),
});

/**
 * Login, logout, the current session and the change of one's own password. The login rate limit counts
 * failures only (see login-limiter.ts); each attempt is reserved before its password is checked, and password
 * hashing runs through the hasher's small queue (503 when it is full).
 */
export const authPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app: FastifyInstance, { deps }) => {
  const limit = deps.loginLimit ?? { max: 10, windowMs: 15 * 60_000 };
  const limiter = new LoginLimiter(limit, deps.clock.now);
  const secure = deps.config.console.tls !== undefined;
  const ttlMs = deps.config.console.sessionHours * 3_600_000;
  const idleMs = deps.config.console.idleMinutes * 60_000;
  const { ledger } = deps;

  const tooMany = (reply: FastifyReply, wait: number) => reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed logins; try again in ${wait} s` });
  const busy = (reply: FastifyReply) => reply.code(503).header('retry-after', '1').send({ error: 'the dock is busy checking passwords; try again in a moment' });

  /** Check a password with the attempt reserved; null (answered already) when busy. */
  async function checked<T>(attempt: Attempt, reply: FastifyReply, check: () => Promise<T>): Promise<{ value: T } | null> {
    try {
      return { value: await check() };
    } catch (e) {
      attempt.cancelled();
      if (e instanceof HasherBusyError) {
        await busy(reply);
        return null;
      }
      throw e;
    }
  }

  /** A new login session (inside the caller's transaction) and its cookie: a browser-session cookie, no Max-Age. */
  function startSession(reply: FastifyReply, username: string, role: Role, now: number): { csrfToken: string; expiresAtMs: number } {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAtMs = now + ttlMs;
    ledger.webSessions.create({ tokenSha256: tokenKey(token), username, role, csrfToken, createdAtMs: now, expiresAtMs });
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure });
    return { csrfToken, expiresAtMs };
  }

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/login',
    {
      config: { public: true },
      preValidation: async (req, reply) => {
        if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return reply.code(415).send({ error: 'login takes application/json' });
      },
      schema: { body: LoginBody, response: { 200: SessionAnswer, '4xx': ErrorBody, '5xx': ErrorBody } },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const attempt = limiter.begin(username, req.ip);
      if ('wait' in attempt) return tooMany(reply, attempt.wait);
      const result = await checked(attempt, reply, () => ledger.users.authenticate(username, password));
      if (!result) return reply;
      const auth = result.value;
      const now = deps.clock.now();
      if (!auth) {
        attempt.failed();
        // The name typed is the subject, never the actor: a request without a session cannot speak as anyone.
        ledger.tx(() => ledger.audit.append(now, ANONYMOUS, 'login.failed', username, { address: req.ip }));
        return reply.code(401).send({ error: 'wrong username or password' });
      }
      attempt.succeeded(); // the password was right: not a guess
      const { user } = auth;
      if (auth.disabled) {
        // The password was right, so this is the account's owner: say why, rather than "wrong password" (issue 18).
        ledger.tx(() => ledger.audit.append(now, ANONYMOUS, 'login.refused', username, { address: req.ip, why: 'the account is disabled' }));
        return reply.code(403).send({ error: 'this account is disabled', code: 'account_disabled' });
      }
      if (auth.awaitingConfirmation) {
        ledger.tx(() => ledger.audit.append(now, username, 'login.refused', null, { address: req.ip, why: 'awaiting a supervisor\'s confirmation' }));
        return reply.code(403).send({ error: 'this account (or its reset password) waits for a supervisor to confirm it', code: 'awaiting_confirmation' });
      }
      const mustChange = user.mustChangePassword || auth.weak;
      const s = ledger.tx(() => {
        ledger.webSessions.purgeExpired(now, now - idleMs);
        if (auth.rehash) {
          ledger.users.replaceHash(user.username, auth.rehash);
          ledger.audit.append(now, user.username, 'user.password.rehashed', user.username, { cost: ledger.users.hasher.cost });
        }
        if (auth.weak && !user.mustChangePassword) {
          ledger.users.requirePasswordChange(user.username);
          ledger.audit.append(now, user.username, 'user.password.change_required', user.username, { why: 'the password in use is below the current rules' });
        }
        const started = startSession(reply, user.username, user.role, now);
        ledger.audit.append(now, user.username, 'login', null, { address: req.ip, ...(mustChange ? { mustChangePassword: true } : {}) });
        return started;
      });
      return { csrfToken: s.csrfToken, role: user.role, username: user.username, expiresAt: deps.iso(s.expiresAtMs), mustChangePassword: mustChange, rights: rightsOf(user.role) };
    },
  );

  app.post(
    '/api/logout',
    { config: { action: 'status', passwordChange: true }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }), '4xx': ErrorBody } } },
    async (req, reply) => {
      const user = userOf(req);
      const now = deps.clock.now();
      ledger.tx(() => {
        ledger.webSessions.delete(user.sessionKey);
        ledger.audit.append(now, user.username, 'logout', null, {});
      });
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
      return { ok: true };
    },
  );

  app.get(
    '/api/me',
    { config: { action: 'status', passwordChange: true }, schema: { response: { 200: SessionAnswer, '4xx': ErrorBody } } },
    async (req: FastifyRequest) => {
      const u = userOf(req);
      return { csrfToken: u.csrfToken, role: u.role, username: u.username, expiresAt: deps.iso(u.expiresAtMs), mustChangePassword: u.mustChangePassword === true, rights: rightsOf(u.role) };
    },
  );

  /**
   * Change one's own password: the current one (a wrong one counts as a failed login), a new one by today's
   * rules. Every session of the user ends; this request gets a new one (new cookie and CSRF token).
   */
  app.post<{ Body: Static<typeof PasswordBody> }>(
    '/api/me/password',
    { config: { action: 'status', passwordChange: true }, schema: { body: PasswordBody, response: { 200: SessionAnswer, '4xx': ErrorBody, '5xx': ErrorBody } } },
    async (req, reply) => {
      const u = userOf(req);
      const { current, new: next } = req.body;
      try {
        validatePassword(next, u.username);
      } catch (e) {
        if (e instanceof UserError) throw new UserError(e.code, 'new', e.message);
        throw e;
      }
      if (next === current) throw new ServiceError('invalid', 'body.new: must differ from the current password', 'new');
      const attempt = limiter.begin(u.username, req.ip);
      if ('wait' in attempt) return tooMany(reply, attempt.wait);
      const result = await checked(attempt, reply, async () => ((await ledger.users.checkPassword(u.username, current)) ? await ledger.users.hashPassword(next) : null));
      if (!result) return reply;
      const now = deps.clock.now();
      if (result.value === null) {
        attempt.failed();
        ledger.tx(() => ledger.audit.append(now, u.username, 'user.password.change_failed', u.username, { address: req.ip }));
        throw new ServiceError('forbidden', 'body.current: wrong password', 'current');
      }
      attempt.succeeded();
      const hash = result.value;
      const s = ledger.tx(() => {
        ledger.users.setPasswordHash(u.username, hash, now, false);
        const ended = ledger.webSessions.deleteForUser(u.username);
        ledger.audit.append(now, u.username, 'user.password.changed', u.username, { sessionsEnded: ended, address: req.ip });
        return startSession(reply, u.username, u.role, now);
      });
      return { csrfToken: s.csrfToken, role: u.role, username: u.username, expiresAt: deps.iso(s.expiresAtMs), mustChangePassword: false, rights: rightsOf(u.role) };
    },
  );
};
