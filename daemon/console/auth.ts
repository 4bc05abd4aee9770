import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { ROLES } from '../ledger/users.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { SESSION_COOKIE, tokenKey } from './guard.js';
import { LoginLimiter } from './login-limiter.js';

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
const SessionAnswer = Type.Object({ csrfToken: Type.String(), role: Type.Union(ROLES.map((r) => Type.Literal(r))), username: Type.String(), expiresAt: Type.String() });

/** Login, logout and the current session; the login rate limit counts failures only. */
export const authPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app: FastifyInstance, { deps }) => {
  const limit = deps.loginLimit ?? { max: 10, windowMs: 15 * 60_000 };
  const limiter = new LoginLimiter(limit.max, limit.windowMs, deps.clock.now);
  const secure = deps.config.console.tls !== undefined;
  const ttlMs = deps.config.console.sessionHours * 3_600_000;

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/login',
    {
      config: { public: true },
      preValidation: async (req, reply) => {
        if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return reply.code(415).send({ error: 'login takes application/json' });
      },
      schema: { body: LoginBody, response: { 200: SessionAnswer, '4xx': ErrorBody } },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const wait = limiter.retryAfter(username, req.ip);
      if (wait > 0) return reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed logins; try again in ${wait} s` });
      const user = await deps.ledger.users.authenticate(username, password);
      const now = deps.clock.now();
      if (!user) {
        limiter.fail(username, req.ip);
        deps.ledger.tx(() => deps.ledger.audit.append(now, username, 'login.failed', null, { address: req.ip }));
        return reply.code(401).send({ error: 'wrong username or password' });
      }
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(24).toString('base64url');
      const expiresAtMs = now + ttlMs;
      deps.ledger.tx(() => {
        deps.ledger.webSessions.purgeExpired(now);
        deps.ledger.webSessions.create({ tokenSha256: tokenKey(token), username: user.username, role: user.role, csrfToken, createdAtMs: now, expiresAtMs });
        deps.ledger.audit.append(now, user.username, 'login', null, { address: req.ip });
      });
      reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: Math.floor(ttlMs / 1000) });
      return { csrfToken, role: user.role, username: user.username, expiresAt: deps.iso(expiresAtMs) };
    },
  );

  app.post('/api/logout', { config: { action: 'status' }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }), '4xx': ErrorBody } } }, async (req, reply) => {
    const user = req.user!;
    const now = deps.clock.now();
    deps.ledger.tx(() => {
      deps.ledger.webSessions.delete(user.sessionKey);
      deps.ledger.audit.append(now, user.username, 'logout', null, {});
    });
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
    return { ok: true };
  });

  app.get('/api/me', { config: { action: 'status' }, schema: { response: { 200: SessionAnswer, '4xx': ErrorBody } } }, async (req) => {
    const u = req.user!;
    return { csrfToken: u.csrfToken, role: u.role, username: u.username, expiresAt: deps.iso(u.expiresAtMs) };
  });
};
