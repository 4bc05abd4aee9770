import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../../daemon/console/login-limiter.js';

describe('LoginLimiter', () => {
  it('blocks a username after max failures within the window and frees it as they age out', () => {
    let t = 0;
    const l = new LoginLimiter(3, 1000, () => t);
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('bob', `a${i}`)).toBe(0);
      l.fail('bob', `a${i}`);
      t += 100;
    }
    expect(l.retryAfter('BOB', 'z')).toBe(1);
    expect(l.retryAfter('alice', 'z')).toBe(0);
    t = 1001;
    expect(l.retryAfter('bob', 'z')).toBe(0);
  });

  it('blocks an address whatever the usernames', () => {
    const l = new LoginLimiter(2, 60_000, () => 0);
    l.fail('a', '1.2.3.4');
    l.fail('b', '1.2.3.4');
    expect(l.retryAfter('c', '1.2.3.4')).toBe(60);
    expect(l.retryAfter('c', '1.2.3.5')).toBe(0);
  });
});
