import { scrypt } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScryptFn } from '../../daemon/ledger/passwords.js';
import { PASSWORD, build, testHasher, type Harness } from '../helpers/console.js';

/**
 * Issue 13 item 3: password guessing. Parallel guesses were all checked (48 at once went through where 10 in a
 * row hit the limit), each burst took the libuv pool from file I/O, and ten wrong passwords typed at the dock's
 * shared screen locked every user of that screen out.
 */
let h: Harness;
afterEach(async () => h?.close());

const login = (username: string, password: string, remoteAddress: string) => h.app.inject({ method: 'POST', url: '/api/login', payload: { username, password }, remoteAddress });

/** The real scrypt, watched: how many run at once, and how many ran. */
function watchedScrypt() {
  const seen = { running: 0, maxRunning: 0, calls: 0 };
  const fn: ScryptFn = (pw, salt, len, opts) => {
    seen.calls++;
    seen.running++;
    seen.maxRunning = Math.max(seen.maxRunning, seen.running);
    return new Promise((resolve, reject) =>
      scrypt(pw, salt, len, opts, (err, key) => {
        seen.running--;
        if (err) reject(err);
        else resolve(key);
      }),
    );
  };
  return { seen, fn };
}

const count = (codes: number[], c: number) => codes.filter((x) => x === c).length;

describe('parallel guesses', () => {
  it('48 wrong passwords at once from one address: only 10 are checked, the rest answer 429', async () => {
    const w = watchedScrypt();
    h = await build({ passwords: testHasher({ scrypt: w.fn, maxQueue: 100 }) });
    w.seen.calls = 0; // the harness's accounts were hashed with it
    const codes = (await Promise.all(Array.from({ length: 48 }, (_, i) => login('sup1', `wrong-guess-${i}`, '10.0.0.7')))).map((r) => r.statusCode);
    expect(count(codes, 401)).toBe(10);
    expect(count(codes, 429)).toBe(38);
    expect(w.seen.calls).toBe(10);
  });

  it('48 wrong passwords at once from 48 addresses: the username is still checked only 10 times', async () => {
    h = await build({ passwords: testHasher({ maxQueue: 100 }) });
    const codes = (await Promise.all(Array.from({ length: 48 }, (_, i) => login('sup1', `wrong-guess-${i}`, `10.1.0.${i + 1}`)))).map((r) => r.statusCode);
    expect(count(codes, 401)).toBe(10);
    expect(count(codes, 429)).toBe(38);
  });

  it('a burst of logins runs one scrypt at a time and answers 503 beyond a short queue, leaving the libuv pool to file I/O', async () => {
    const w = watchedScrypt();
    h = await build({ passwords: testHasher({ scrypt: w.fn, concurrency: 1, maxQueue: 8 }) });
    w.seen.calls = 0;
    w.seen.maxRunning = 0;
    // 40 different usernames from 40 addresses: no limit applies, every one wants a hash.
    const codes = (await Promise.all(Array.from({ length: 40 }, (_, i) => login(`nobody${i}`, 'wrong-password-1', `10.2.0.${i + 1}`)))).map((r) => r.statusCode);
    expect(w.seen.calls).toBeGreaterThan(0);
    expect(w.seen.maxRunning).toBe(1);
    expect(w.seen.calls).toBeLessThanOrEqual(9);
    expect(count(codes, 401)).toBe(w.seen.calls);
    expect(count(codes, 503)).toBe(40 - w.seen.calls);
    // A refused-as-busy attempt is not a failure: the same username can log in at once.
    expect((await login('sup1', PASSWORD, '10.2.0.1')).statusCode).toBe(200);
  });
});

describe('the dock is one shared screen', () => {
  it("ten wrong passwords of one user at the screen block that user there, never the screen's other users", async () => {
    h = await build();
    for (let i = 0; i < 10; i++) expect((await login('sup1', `wrong-password-${i}`, '127.0.0.1')).statusCode).toBe(401);
    const blocked = await login('sup1', PASSWORD, '127.0.0.1');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    for (const u of ['sup2', 'em1', 'legal1', '100001']) expect((await login(u, PASSWORD, '127.0.0.1')).statusCode, u).toBe(200);
  });
});

describe('the audit trail of guesses', () => {
  it('a failed login names the username typed as its subject, never as its actor (a guesser cannot write as "dock")', async () => {
    h = await build();
    expect((await login('dock', 'wrong-password-1', '10.7.0.1')).statusCode).toBe(401);
    const e = h.ledger.audit.list({ limit: 1, action: 'login.failed' })[0];
    expect(e).toMatchObject({ actor: 'anonymous', subject: 'dock', detail: { address: '10.7.0.1' } });
    expect(h.ledger.audit.list({ limit: 10, actor: 'dock' })).toEqual([]);
  });
});

describe('no lock-out for good', () => {
  it('a guesser on ever new addresses never locks the user out: at their own address at once, elsewhere within 5 minutes', async () => {
    h = await build();
    expect((await login('sup1', PASSWORD, '10.3.0.1')).statusCode).toBe(200); // the user's usual address
    let address = 0;
    let guesses = 0;
    // Two hours of a guesser trying whenever the dock lets it, from a new address each time.
    const end = h.clock.t + 2 * 3_600_000;
    while (h.clock.t < end) {
      const r = await login('sup1', `guess-${guesses}`, `10.4.${Math.floor(address / 250)}.${(address % 250) + 1}`);
      address++;
      if (r.statusCode === 401) {
        guesses++;
        // Meanwhile the user logs in: from their own address it always works.
        if (guesses % 5 === 0) expect((await login('sup1', PASSWORD, '10.3.0.1')).statusCode).toBe(200);
      } else {
        expect(r.statusCode).toBe(429);
        const wait = Number(r.headers['retry-after']);
        expect(wait).toBeLessThanOrEqual(300);
        h.clock.t += wait * 1000;
      }
    }
    // The guesser got few tries: 10, then one per back-off (1 s, 2 s, 4 s, ... capped at 5 minutes): 10 + 9 in
    // the first 9 minutes, then 12 an hour.
    expect(guesses).toBeLessThanOrEqual(10 + 9 + 24);
    // From an address the user never used, the wait is at most 5 minutes.
    const fresh = await login('sup1', PASSWORD, '10.5.0.1');
    if (fresh.statusCode === 429) {
      expect(Number(fresh.headers['retry-after'])).toBeLessThanOrEqual(300);
      h.clock.t += Number(fresh.headers['retry-after']) * 1000;
      expect((await login('sup1', PASSWORD, '10.5.0.1')).statusCode).toBe(200);
    } else expect(fresh.statusCode).toBe(200);
  });

  it('CONTRACT: failures count per username and address (429 with retry-after), successes never', async () => {
    h = await build();
    for (let i = 0; i < 12; i++) expect((await login('em1', PASSWORD, '10.6.0.1')).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await login('em1', 'wrong-password-1', '10.6.0.1')).statusCode).toBe(401);
    const r = await login('em1', PASSWORD, '10.6.0.1');
    expect(r.statusCode).toBe(429);
    h.clock.t += Number(r.headers['retry-after']) * 1000;
    expect((await login('em1', PASSWORD, '10.6.0.1')).statusCode).toBe(200);
  });
});
