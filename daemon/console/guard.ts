import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AuthUser, ConsoleDeps } from './deps.js';
import { ApiError } from './errors.js';
import { resolveLogin } from './login-session.js';
import { scopeOf, type Scope } from './rights.js';
import { recordRefusal } from './services/access.js';

export const SESSION_COOKIE = 'bwc_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const tokenKey = (token: string) => createHash('sha256').update(token).digest('hex');

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Why a route may not be registered: it must say which action of the rights matrix it serves, or that it is open. */
export function routeDeclarationProblem(r: Pick<RouteOptions, 'config' | 'url'>): string | null {
  const cfg = (r.config ?? {}) as { action?: unknown; public?: unknown };
  if (cfg.public === true && cfg.action !== undefined) return `route ${r.url} is both public and guarded by "${String(cfg.action)}"`;
  if (cfg.public !== true && typeof cfg.action !== 'string') return `route ${r.url} names no action of the rights matrix (config.action) and is not public`;
  return null;
}

/**
 * The guard of the API, part of every route by construction: {@link guardedApi} registers the API's routes in
 * one encapsulated context whose hooks run for each of them, whatever spelling of the path the router matched
 * (the guard never reads the URL). Order: the session cookie (401), the CSRF header on state changes (403), a
 * forced password change (403), the rights matrix (403); a refused request learns nothing from validation, which
 * runs after. A route that names no action cannot be registered at all.
 */
async function guard(deps: ConsoleDeps, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const cfg = req.routeOptions.config;
  if (cfg.public === true) return undefined;
  const user = resolveLogin(deps, req.cookies[SESSION_COOKIE]);
  if (!user) return reply.code(401).send({ error: 'login required' });
  if (!SAFE_METHODS.has(req.method)) {
    const header = req.headers['x-csrf-token'];
    if (typeof header !== 'string' || !sameToken(header, user.csrfToken)) return reply.code(403).send({ error: 'missing or wrong x-csrf-token header', code: 'csrf' });
  }
  if (user.mustChangePassword && cfg.passwordChange !== true) return reply.code(403).send({ error: 'password change required', passwordChange: true });
  const scope = cfg.action ? scopeOf(user.role, cfg.action) : null;
  if (!scope) {
    if (cfg.footage) {
      const id = Number((req.params as { id?: unknown } | undefined)?.id);
      recordRefusal(deps, user, { recordingId: Number.isSafeInteger(id) && id > 0 ? id : null, use: String(cfg.action), why: `role ${user.role} may not do this` }, deps.clock.now());
    }
    return reply.code(403).send({ error: `role ${user.role} may not do this` });
  }
  // `request`: the handler admits only with an approved, unexpired request naming the recording (services/access.ts).
  req.user = user;
  req.scope = scope;
  return undefined;
}

/**
 * Register the API: `register` adds the feature plugins inside one encapsulated context that carries the guard.
 * Every route registered there must declare its action (or be public), or start-up fails; a handler of a
 * guarded route runs only after the guard set its user (checked again just before the handler).
 */
export async function guardedApi(app: FastifyInstance, deps: ConsoleDeps, register: (api: FastifyInstance) => Promise<void>): Promise<void> {
  app.decorateRequest('user', null);
  app.decorateRequest('scope', null);
  await app.register(async (api) => {
    api.addHook('onRoute', (r) => {
      const problem = routeDeclarationProblem(r);
      if (problem) throw new Error(problem);
    });
    api.addHook('onRequest', async (req, reply) => guard(deps, req, reply));
    api.addHook('preHandler', async (req) => {
      if (req.routeOptions.config.public !== true && (!req.user || !req.scope)) throw new ApiError('login_required', 'login required');
    });
    await register(api);
  });
}

/** The user the guard admitted; a handler asks for it instead of trusting that the guard ran. */
export function userOf(req: FastifyRequest): AuthUser {
  if (!req.user) throw new ApiError('login_required', 'login required');
  return req.user;
}

/** The user's scope for the route's action, as the guard found it. */
export function scopeOfRequest(req: FastifyRequest): Scope {
  if (!req.scope) throw new ApiError('login_required', 'login required');
  return req.scope;
}
