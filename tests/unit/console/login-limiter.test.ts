import { describe, expect, it } from 'vitest';
import { LoginLimiter, type Attempt } from '../../../daemon/console/login-limiter.js';

const attempt = (l: LoginLimiter, user: string, address: string): Attempt => {
  const a = l.begin(user, address);
  if ('wait' in a) throw new Error(`refused: wait ${a.wait} s`);
  return a;
};
const waitOf = (l: LoginLimiter, user: string, address: string): number => {
  const a = l.begin(user, address);
  if ('wait' in a) return a.wait;
  a.cancelled();
  return 0;
};

describe('LoginLimiter', () => {
  it('blocks a (username, address) pair after max failures within the window and frees it as they age out', () => {
    let t = 0;
    const l = new LoginLimiter({ max: 3, windowMs: 1000 }, () => t);
    for (let i = 0; i < 3; i++) {
      attempt(l, 'bob', 'a').failed();
      t += 100;
    }
    t = 500;
    expect(waitOf(l, 'BOB', 'a')).toBe(1);
    expect(waitOf(l, 'alice', 'a')).toBe(0);
    t = 1201; // the pair's failures aged out, and the username's 1 s back-off after its last failure (t=200)
    expect(waitOf(l, 'bob', 'a')).toBe(0);
  });

  it('backs a username off exponentially across addresses, never longer than the cap', () => {
    let t = 0;
    const l = new LoginLimiter({ max: 2, windowMs: 60_000, maxBackoffMs: 8000 }, () => t);
    attempt(l, 'bob', 'x1').failed();
    attempt(l, 'bob', 'x2').failed();
    expect(waitOf(l, 'bob', 'x3')).toBe(1);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      let w = 0;
      while (waitOf(l, 'bob', `y${i}`) > 0) (t += 500), (w += 500);
      waits.push(w);
      attempt(l, 'bob', `y${i}`).failed();
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('an address a user logged in from is spared the username back-off and the address limit, not the pair limit', () => {
    const t = 0;
    const l = new LoginLimiter({ max: 2, windowMs: 60_000 }, () => t);
    attempt(l, 'bob', 'home').succeeded();
    attempt(l, 'bob', 'evil1').failed();
    attempt(l, 'bob', 'evil2').failed();
    expect(waitOf(l, 'bob', 'evil3')).toBeGreaterThan(0);
    expect(waitOf(l, 'bob', 'home')).toBe(0);
    attempt(l, 'bob', 'home').failed();
    attempt(l, 'bob', 'home').failed();
    expect(waitOf(l, 'bob', 'home')).toBe(60);
  });

  it('blocks an address that failed for max different usernames, for other usernames', () => {
    const l = new LoginLimiter({ max: 2, windowMs: 60_000 }, () => 0);
    attempt(l, 'a', '1.2.3.4').failed();
    attempt(l, 'b', '1.2.3.4').failed();
    expect(waitOf(l, 'c', '1.2.3.4')).toBe(60);
    expect(waitOf(l, 'c', '1.2.3.5')).toBe(0);
  });

  it('counts an attempt from the moment it begins, and gives a success back', () => {
    const l = new LoginLimiter({ max: 2, windowMs: 60_000 }, () => 0);
    const a = attempt(l, 'bob', 'x');
    const b = attempt(l, 'bob', 'x');
    expect(waitOf(l, 'bob', 'x')).toBeGreaterThan(0);
    a.succeeded();
    b.cancelled();
    expect(waitOf(l, 'bob', 'x')).toBe(0);
  });
});
