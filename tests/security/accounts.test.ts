import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../daemon/ledger/db.js';
import { Ledger } from '../../daemon/ledger/index.js';
import { MIGRATIONS } from '../../daemon/ledger/migrations.js';
import { PasswordHasher } from '../../daemon/ledger/passwords.js';
import { PASSWORD, build, testHasher, type Harness } from '../helpers/console.js';

/** Issue 13 item 7: accounts. */
let h: Harness;
const dirs: string[] = [];
afterEach(async () => {
  await h?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const login = (username: string, password: string, remoteAddress = '10.0.0.1') => h.app.inject({ method: 'POST', url: '/api/login', payload: { username, password }, remoteAddress });
const cookieOf = (res: Awaited<ReturnType<typeof login>>) => {
  const c = res.cookies.find((x) => x.name === 'bwc_session');
  if (!c) throw new Error(`no cookie: ${res.statusCode} ${res.body}`);
  return { cookie: `bwc_session=${c.value}`, csrf: (res.json() as { csrfToken: string }).csrfToken };
};
const me = (s: { cookie: string }) => h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: s.cookie } });
const post = (s: { cookie: string; csrf: string }, url: string, body: unknown = {}) => h.app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, payload: body as object });
const get = (s: { cookie: string }, url: string) => h.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
const storedHash = (username: string) => (h.ledger.rawForTests().prepare('SELECT password_hash AS p FROM users WHERE username = ?').get(username) as { p: string }).p;
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bwc-accounts-'));
  dirs.push(d);
  return d;
};

describe('password hashing', () => {
  it("stores new passwords with OWASP's scrypt cost (N=2^15, r=8, p=3: its default's equivalent in 32 MiB) by default", async () => {
    const ledger = Ledger.open(join(tempDir(), 'l.sqlite'), (ms) => new Date(ms).toISOString());
    try {
      await ledger.users.add('aud9', 'auditor', 'a-long-passphrase-9', 0);
      const hash = (ledger.rawForTests().prepare('SELECT password_hash AS p FROM users').get() as { p: string }).p;
      expect(hash).toMatch(/^scrypt\$32768\$8\$3\$/);
      expect(await ledger.users.authenticate('aud9', 'a-long-passphrase-9')).toMatchObject({ user: { username: 'aud9' }, rehash: null });
      expect(new PasswordHasher().cost).toEqual({ N: 32768, r: 8, p: 3 });
    } finally {
      ledger.close();
    }
  });

  it('a hash stored at the former default (N=2^17, r=8, p=1) still matches and is re-hashed at the current cost', async () => {
    const hasher = new PasswordHasher();
    const former = await new PasswordHasher({ cost: { N: 1 << 17, r: 8, p: 1 } }).hash(PASSWORD);
    expect(former).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await hasher.verify(PASSWORD, former)).toEqual({ ok: true, needsRehash: true });
    expect(await hasher.verify('not-the-password', former)).toEqual({ ok: false, needsRehash: false });
    expect(await hasher.verify(PASSWORD, await hasher.hash(PASSWORD))).toEqual({ ok: true, needsRehash: false });
  });

  it('rehashes at login a password stored at a lower cost, and audits it', async () => {
    h = await build({ passwords: new PasswordHasher({ cost: { N: 1 << 11, r: 8, p: 1 } }) });
    h.ledger.rawForTests().prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(await testHasher().hash(PASSWORD), 'sup1');
    expect(storedHash('sup1')).toMatch(/^scrypt\$1024\$/);
    expect((await login('sup1', PASSWORD)).statusCode).toBe(200);
    expect(storedHash('sup1')).toMatch(/^scrypt\$2048\$8\$1\$/);
    expect(h.ledger.audit.list({ limit: 5, action: 'user.password.rehashed' })[0]).toMatchObject({ actor: 'sup1', subject: 'sup1' });
    expect((await login('sup1', PASSWORD)).statusCode).toBe(200);
  });
});

describe('password rules', () => {
  it('refuses passwords shorter than 12 characters and common ones (lowercase compare), in the console and the CLI path', async () => {
    h = await build();
    const admin = await h.login('admin1');
    for (const pw of ['short-pw-1', 'password1234', 'PASSWORD1234', '123456789012', 'woaini1314520', '1qaz2wsx3edc', 'qwertyuiop[]', 'aaaaaaaaaaaaaaa']) {
      const res = await post(admin, '/api/users', { username: 'admin9', role: 'admin', password: pw });
      expect(res.statusCode, pw).toBe(400);
      expect(res.json().error, pw).toMatch(/body\.password/);
    }
    await expect(h.ledger.users.add('admin8', 'admin', 'woaini123456', 0)).rejects.toThrow(/common/);
    expect((await post(admin, '/api/users', { username: 'admin9', role: 'admin', password: 'seven tidy kettles' })).statusCode).toBe(201);
  });

  it('an old 8-character password still logs in, but the session may only change it', async () => {
    h = await build();
    h.ledger.rawForTests().prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(await h.ledger.users.hasher.hash('oldpass8'), 'em1');
    const res = await login('em1', 'oldpass8');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ mustChangePassword: true });
    const s = cookieOf(res);
    expect((await get(s, '/api/devices')).statusCode).toBe(403);
    expect((await get(s, '/api/devices')).json()).toMatchObject({ error: 'password change required' });
    const changed = await post(s, '/api/me/password', { current: 'oldpass8', new: 'a much longer one 2026' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await get(cookieOf(changed), '/api/devices')).statusCode).toBe(200);
  });
});

describe('self-service change', () => {
  it('changes the password with the current one, ends every session of the user and starts a new one (audited)', async () => {
    h = await build();
    const other = cookieOf(await login('em1', PASSWORD, '10.0.0.2'));
    const s = cookieOf(await login('em1', PASSWORD));
    expect((await post(s, '/api/me/password', { current: 'not-the-password', new: 'brand new secret 7' })).statusCode).toBe(403);
    expect((await post(s, '/api/me/password', { current: PASSWORD, new: 'password1234' })).statusCode).toBe(400);
    const res = await post(s, '/api/me/password', { current: PASSWORD, new: 'brand new secret 7' });
    expect(res.statusCode, res.body).toBe(200);
    expect((await me(other)).statusCode).toBe(401);
    expect((await me(s)).statusCode).toBe(401);
    expect((await me(cookieOf(res))).statusCode).toBe(200);
    expect((await login('em1', PASSWORD)).statusCode).toBe(401);
    expect((await login('em1', 'brand new secret 7')).statusCode).toBe(200);
    expect(h.ledger.audit.list({ limit: 5, action: 'user.password.changed' })[0]).toMatchObject({ actor: 'em1', subject: 'em1' });
  });
});

describe("an administrator's reset", () => {
  it('gives a temporary password that must be changed at the next login; until then only me, password and logout answer', async () => {
    h = await build();
    await h.ledger.users.add('admin2', 'admin', 'second admin pass', 0);
    const old = cookieOf(await login('admin2', 'second admin pass'));
    const admin = await h.login('admin1');
    const reset = await post(admin, '/api/users/admin2/reset');
    expect(reset.statusCode, reset.body).toBe(200);
    const temp = reset.json().temporaryPassword as string;
    expect(temp.length).toBeGreaterThanOrEqual(16);
    expect((await me(old)).statusCode).toBe(401); // every session of the user ended
    expect((await login('admin2', 'second admin pass')).statusCode).toBe(401);
    const res = await login('admin2', temp);
    expect(res.statusCode).toBe(200);
    expect(res.json().mustChangePassword).toBe(true);
    const s = cookieOf(res);
    expect((await get(s, '/api/users')).json()).toEqual({ error: 'password change required', passwordChange: true });
    expect((await get(s, '/api/users')).statusCode).toBe(403);
    expect((await me(s)).json()).toMatchObject({ username: 'admin2', mustChangePassword: true });
    const changed = await post(s, '/api/me/password', { current: temp, new: 'admin two new pass' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await get(cookieOf(changed), '/api/users')).statusCode).toBe(200);
    const actions = h.ledger.audit.list({ limit: 20 }).map((e) => `${e.actor} ${e.action} ${e.subject ?? ''}`);
    expect(actions).toEqual(expect.arrayContaining(['admin1 user.password.reset admin2', 'admin2 user.password.changed admin2']));
  });

  it('a logout still works while a change is required', async () => {
    h = await build();
    const admin = await h.login('admin1');
    await h.ledger.users.add('admin3', 'admin', 'third admin pass', 0);
    const temp = (await post(admin, '/api/users/admin3/reset')).json().temporaryPassword as string;
    const s = cookieOf(await login('admin3', temp));
    expect((await post(s, '/api/logout')).statusCode).toBe(200);
  });
});

describe('sessions', () => {
  it('end after console.idleMinutes (default 30) without a request, beside the absolute lifetime', async () => {
    h = await build({ sessionHours: 12 });
    const s = await h.login('em1');
    for (let i = 0; i < 4; i++) {
      h.clock.t += 29 * 60_000;
      expect((await me(s)).statusCode).toBe(200);
    }
    h.clock.t += 30 * 60_000 + 1000;
    expect((await me(s)).statusCode).toBe(401);
  });

  it('the cookie is a browser-session cookie: no Max-Age, no Expires', async () => {
    h = await build();
    const res = await login('sup1', PASSWORD);
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/bwc_session=/);
    expect(set).not.toMatch(/max-age/i);
    expect(set).not.toMatch(/expires/i);
  });

  it("end when the user's role changes", async () => {
    h = await build();
    const s = await h.login('em1');
    const admin = await h.login('admin1');
    const res = await post(admin, '/api/users/em1/role', { role: 'admin' });
    expect(res.statusCode, res.body).toBe(200);
    expect((await me(s)).statusCode).toBe(401);
    expect((await login('em1', PASSWORD)).json()).toMatchObject({ role: 'admin' });
  });
});

describe('migration 6 on a populated ledger of the previous version', () => {
  it('keeps users and their login sessions, with no forced change, no pending grant, last seen = created', async () => {
    const file = join(tempDir(), 'old.sqlite');
    const db = new Database(file);
    const v5 = MIGRATIONS.slice(0, 5);
    for (let v = 0; v < v5.length; v++) db.exec(v5[v]!);
    db.pragma(`user_version = ${v5.length}`);
    const hash = await testHasher().hash('an old long password');
    db.prepare('INSERT INTO users (username, role, password_hash, disabled, created_at_ms) VALUES (?,?,?,?,?)').run('sup1', 'supervisor', hash, 0, 1000);
    db.prepare('INSERT INTO users (username, role, password_hash, disabled, created_at_ms) VALUES (?,?,?,?,?)').run('aud1', 'auditor', hash, 1, 1000);
    db.prepare('INSERT INTO web_sessions (token_sha256, username, role, csrf_token, created_at_ms, expires_at_ms) VALUES (?,?,?,?,?,?)').run('ab'.repeat(32), 'sup1', 'supervisor', 'csrf', 5000, 99_000);
    db.prepare("INSERT INTO holds (reason, case_ref, note, placed_by, placed_at, placed_at_ms) VALUES ('case','C-1',NULL,'legal1','t',1)").run();
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
    const ledger = Ledger.open(file, (ms) => new Date(ms).toISOString(), { passwords: testHasher() });
    try {
      expect(ledger.users.list()).toEqual([
        { username: 'aud1', role: 'auditor', disabled: true, mustChangePassword: false, pending: null },
        { username: 'sup1', role: 'supervisor', disabled: false, mustChangePassword: false, pending: null },
      ]);
      expect(ledger.webSessions.get('ab'.repeat(32), 6000)).toMatchObject({ username: 'sup1', lastSeenMs: 5000 });
      expect(ledger.holds.get(1)).toMatchObject({ caseRef: 'C-1', releaseRequest: null, releaseConfirmedBy: null });
      expect(await ledger.users.authenticate('sup1', 'an old long password')).toMatchObject({ user: { username: 'sup1' } });
    } finally {
      ledger.close();
    }
  });
});
