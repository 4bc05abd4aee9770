import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { resolveLogin } from './login-session.js';
import { scopeOf } from './rights.js';

export const SESSION_COOKIE = 'bwc_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const tokenKey = (token: string) => createHash('sha256').update(token).digest('hex');

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Every /api route, before anything else (so a refused request learns nothing from validation): the session
 * cookie (401), the CSRF header on state changes (403), the rights matrix (403). Deny by default: a route
 * that names no action and is not public is refused.
 */
export function installGuard(app: FastifyInstance, deps: ConsoleDeps): void {
  app.decorateRequest('user', null);
  app.decorateRequest('scope', null);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.url.startsWith('/api/') || !req.routeOptions.url) return;
    const cfg = req.routeOptions.config;
    if (cfg.public) return;
    const user = resolveLogin(deps, req.cookies[SESSION_COOKIE]);
    if (!user) return reply.code(401).send({ error: 'login required' });
    req.user = user;
    if (!SAFE_METHODS.has(req.method)) {
      const header = req.headers['x-csrf-token'];
      if (typeof header !== 'string' || !sameToken(header, user.csrfToken)) return reply.code(403).send({ error: 'missing or wrong x-csrf-token header' });
    }
    if (!cfg.action) return reply.code(403).send({ error: 'not allowed' });
    const scope = scopeOf(user.role, cfg.action);
    if (!scope) return reply.code(403).send({ error: `role ${user.role} may not do this` });
    if (scope === 'request') return reply.code(403).send({ error: `role ${user.role} needs an approved access request naming this recording` });
    req.scope = scope;
  });
}
