import { connect } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedApi, routeDeclarationProblem } from '../../daemon/console/guard.js';
import type { ConsoleDeps } from '../../daemon/console/deps.js';
import { buildRetention, type RetentionHarness } from '../integration/retention/harness.js';

/**
 * Attack 1 of issue 13: the guard decided from the raw request target while the router matched the decoded,
 * normalised path, so `/%61pi/users` or `GET http://host/api/users` reached handlers with no session. Every
 * route the console serves (read from the router, so a new route is covered by itself) is sent without a
 * cookie in many spellings over a real socket (no client normalises them); only 401 or 404 may come back.
 */

let r: RetentionHarness;
let port: number;
beforeAll(async () => {
  r = await buildRetention();
  await r.app.listen({ host: '127.0.0.1', port: 0 });
  port = (r.app.server.address() as { port: number }).port;
});
afterAll(async () => r.close());

/** One raw HTTP/1.1 request, the target written exactly as given; the status code of the answer. */
function raw(method: string, target: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      got += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) {
        s.destroy();
        resolve(Number(m[1]));
      }
    });
    s.on('error', reject);
    s.on('end', () => reject(new Error(`no answer to ${method} ${target}`)));
    const head = [`${method} ${target} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close'];
    if (body !== undefined) head.push('content-type: application/json', `content-length: ${Buffer.byteLength(body)}`);
    s.write(`${head.join('\r\n')}\r\n\r\n${body ?? ''}`);
  });
}

/** A concrete path for a route pattern: every `:param` filled with a value its schema accepts. */
function concrete(pattern: string): string {
  const values: Record<string, string> = { serial: 'SN000001', officerNo: '100001', username: 'admin1', sessionId: 'S1', id: '1' };
  return pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => values[name] ?? '1');
}

const pctLetter = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** The ways one path can be spelled so that a string test and a router may disagree about it. */
function spellings(path: string, authority: string): string[] {
  const segs = path.split('/').slice(1); // ['api', 'users', ...]
  const rest = segs.slice(1).join('/');
  const last = segs[segs.length - 1]!;
  const out = [
    path,
    `/%61pi/${rest}`, // an encoded letter in the prefix
    `/${[...'api'].map(pctLetter).join('')}/${rest}`, // every letter of it
    `/api/${[...rest].map((c) => (c === '/' ? c : pctLetter(c))).join('')}`, // every letter after it
    `${path.slice(0, -last.length)}${pctLetter(last[0]!)}${last.slice(1)}`, // one letter of the last segment
    `http://${authority}${path}`, // absolute form
    `http://evil.example${path}`,
    `HTTP://${authority}${path}`,
    `//api/${rest}`, // doubled slashes
    `/api//${rest}`,
    `${path}/`, // trailing slash
    `${path}//`,
    `/x/../api/${rest}`, // dot segments
    `/api/./${rest}`,
    `/%2e%2e/api/${rest}`,
    `/api/%2e/${rest}`,
    `/.${path}`,
    `/API/${rest}`, // case
    `/Api/${rest}`,
    path.toUpperCase(),
    `/api;x=1/${rest}`, // `;` parameters
    `${path};jsessionid=1`,
    `/api/${rest};`,
    `/api%2f${rest}`, // an encoded slash
    `${path}?`,
    `${path}#x`,
    `${path}%00`,
    `${path}%20`,
  ];
  return [...new Set(out)];
}

describe('attack: the guard cannot be walked around by spelling a path oddly', () => {
  it('every route of the router, in every spelling, without a session, answers only 401 or 404', async () => {
    // The open ones: login, health and the dock's own screen (slot state only, issue 18).
    const routes = r.app.consoleRoutes.filter((x) => x.url !== '/api/login' && x.url !== '/api/health' && x.url !== '/api/kiosk');
    expect(routes.length).toBeGreaterThan(40);
    const leaks: string[] = [];
    for (const route of routes) {
      const methods = route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
      for (const method of methods) {
        for (const target of spellings(concrete(route.url), `127.0.0.1:${port}`)) {
          const status = await raw(method, target, method === 'GET' || method === 'HEAD' ? undefined : '{}');
          if (status !== 401 && status !== 404) leaks.push(`${method} ${target} -> ${status}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('the spellings that broke in: an encoded letter and the absolute form', async () => {
    expect(await raw('GET', '/%61pi/users')).toBe(401);
    expect(await raw('GET', `http://127.0.0.1:${port}/api/users`)).toBe(401);
    expect(await raw('GET', '/%61pi/audit')).toBe(401);
    expect(await raw('POST', '/%61pi/users', JSON.stringify({ username: 'mallory', role: 'supervisor', password: 'attacker-password-1' }))).toBe(401);
    expect(r.base.ledger.users.get('mallory')).toBeNull();
  });

  it('a route that names no action cannot be registered at all', async () => {
    expect(routeDeclarationProblem({ url: '/api/x', config: {} })).toMatch(/names no action/);
    expect(routeDeclarationProblem({ url: '/api/x', config: { action: 'status', public: true } })).toMatch(/both public/);
    expect(routeDeclarationProblem({ url: '/api/x', config: { action: 'status' } })).toBeNull();
    const app = Fastify();
    const deps = r.base as unknown as ConsoleDeps;
    await expect(
      guardedApi(app, deps, async (api) => {
        api.get('/api/forgotten', async () => ({ secret: true }));
      }).then(() => app.ready()),
    ).rejects.toThrow(/names no action/);
    await app.close();
  });
});
