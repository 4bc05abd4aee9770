import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, build, type Harness } from '../../helpers/console.js';

let h: Harness;
afterEach(async () => h?.close());

const login = (username: string, password: string, remoteAddress = '10.0.0.1') =>
  h.app.inject({ method: 'POST', url: '/api/login', payload: { username, password }, remoteAddress });

describe('login, logout, me', () => {
  it('logs in with a HttpOnly SameSite=Strict cookie and a CSRF token; /api/me answers the same', async () => {
    h = await build();
    const res = await login('sup1', PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { csrfToken: string; role: string };
    expect(body.role).toBe('supervisor');
    expect(body.csrfToken.length).toBeGreaterThan(20);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/bwc_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/i);
    const cookie = `bwc_session=${res.cookies[0]!.value}`;
    const me = await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ role: 'supervisor', csrfToken: body.csrfToken, username: 'sup1' });
    expect(h.ledger.audit.list({ limit: 5, action: 'login' })).toHaveLength(1);
  });

  it('marks the cookie Secure and sends HSTS when the console serves TLS', async () => {
    h = await build({ tls: true });
    const res = await login('sup1', PASSWORD);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
  });

  it('answers 401 to a wrong password and an unknown user, and without a cookie', async () => {
    h = await build();
    expect((await login('sup1', 'wrong-password')).statusCode).toBe(401);
    expect((await login('nobody', PASSWORD)).statusCode).toBe(401);
    const me = await h.app.inject({ method: 'GET', url: '/api/me' });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toEqual({ error: 'login required' });
    const bogus = await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: 'bwc_session=forged' } });
    expect(bogus.statusCode).toBe(401);
  });

  it('takes JSON only', async () => {
    h = await build();
    const res = await h.app.inject({ method: 'POST', url: '/api/login', payload: `username=sup1&password=${PASSWORD}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toBeTypeOf('string');
  });

  it('logout ends the session server-side (the old cookie no longer works)', async () => {
    h = await build();
    const s = await h.login('em1');
    const out = await h.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/bwc_session=;/);
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: s.cookie } })).statusCode).toBe(401);
  });

  it('sessions expire after console.sessionHours', async () => {
    h = await build({ sessionHours: 2, idleMinutes: 180 });
    const s = await h.login('em1');
    h.clock.t += 2 * 3_600_000 - 1000;
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: s.cookie } })).statusCode).toBe(200);
    h.clock.t += 2000;
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: s.cookie } })).statusCode).toBe(401);
  });

  it('a disabled account loses its sessions', async () => {
    h = await build();
    const s = await h.login('aud1');
    const res = await h.req('POST', '/api/users/aud1/disabled', { as: 'admin1', body: { disabled: true } });
    expect(res.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: s.cookie } })).statusCode).toBe(401);
    // Its owner (the right password) is told it is disabled, not "wrong password" (issue 18); a guess learns nothing.
    const refused = await login('aud1', PASSWORD);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'account_disabled' });
    expect((await login('aud1', 'not-the-password-1')).statusCode).toBe(401);
  });
});

describe('login rate limit', () => {
  it('answers 429 after 10 failures per username, from any address, within 15 minutes', async () => {
    h = await build();
    for (let i = 0; i < 10; i++) expect((await login('sup1', 'bad-password', `10.0.1.${i}`)).statusCode).toBe(401);
    const blocked = await login('sup1', PASSWORD, '10.0.2.1');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login('sup2', PASSWORD, '10.0.2.1')).statusCode).toBe(200);
    h.clock.t += 15 * 60_000 + 1000;
    expect((await login('sup1', PASSWORD, '10.0.2.1')).statusCode).toBe(200);
  });

  it('answers 429 after 10 failures per address, whatever the usernames', async () => {
    h = await build();
    for (let i = 0; i < 10; i++) expect((await login(`user${i}`, 'bad-password', '10.9.9.9')).statusCode).toBe(401);
    expect((await login('sup1', PASSWORD, '10.9.9.9')).statusCode).toBe(429);
    expect((await login('sup1', PASSWORD, '10.9.9.8')).statusCode).toBe(200);
  });

  it('counts failures only: successful logins never use up the limit', async () => {
    h = await build();
    for (let i = 0; i < 15; i++) expect((await login('em1', PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 9; i++) expect((await login('em1', 'bad-password')).statusCode).toBe(401);
    expect((await login('em1', PASSWORD)).statusCode).toBe(200);
    expect((await login('em1', 'bad-password')).statusCode).toBe(401);
    expect((await login('em1', PASSWORD)).statusCode).toBe(429);
  });
});
