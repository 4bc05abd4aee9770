import { describe, expect, it } from 'vitest';
import { isDue, retainUntil } from '../../../daemon/policy/retention.js';

const at = (iso: string) => Date.parse(iso);
const sh = (iso: string, months = 10) => retainUntil(at(iso), months, 'Asia/Shanghai').iso;

describe('retainUntil', () => {
  it('clamps to the end of shorter months', () => {
    expect(sh('2026-01-31T10:00:00+08:00')).toBe('2026-11-30T10:00:00.000+08:00');
    expect(sh('2026-01-31T10:00:00+08:00', 1)).toBe('2026-02-28T10:00:00.000+08:00');
    expect(sh('2028-01-31T10:00:00+08:00', 1)).toBe('2028-02-29T10:00:00.000+08:00');
    expect(sh('2026-04-30T08:00:00+08:00')).toBe('2027-02-28T08:00:00.000+08:00');
    expect(sh('2027-04-30T08:00:00+08:00')).toBe('2028-02-29T08:00:00.000+08:00');
    expect(sh('2027-04-29T08:00:00+08:00')).toBe('2028-02-29T08:00:00.000+08:00');
    expect(sh('2026-03-31T23:59:59.500+08:00')).toBe('2027-01-31T23:59:59.500+08:00');
    expect(sh('2026-05-31T00:00:00+08:00')).toBe('2027-03-31T00:00:00.000+08:00');
  });

  it('from 29 February', () => {
    expect(sh('2028-02-29T12:00:00+08:00')).toBe('2028-12-29T12:00:00.000+08:00');
    expect(sh('2028-02-29T12:00:00+08:00', 12)).toBe('2029-02-28T12:00:00.000+08:00');
  });

  it('counts on the zone\'s calendar and returns the epoch too', () => {
    const start = at('2026-01-31T20:00:00Z'); // 1 February 04:00 in Shanghai
    expect(retainUntil(start, 10, 'Asia/Shanghai')).toEqual({
      iso: '2026-12-01T04:00:00.000+08:00',
      epochMs: at('2026-11-30T20:00:00Z'),
    });
    expect(retainUntil(start, 10, 'UTC')).toEqual({ iso: '2026-11-30T20:00:00.000+00:00', epochMs: at('2026-11-30T20:00:00Z') });
  });

  it('keeps the local time of day across DST', () => {
    expect(retainUntil(at('2026-01-15T12:00:00+01:00'), 3, 'Europe/Berlin').iso).toBe('2026-04-15T12:00:00.000+02:00');
    // 02:30 does not exist on 29 March 2026 in Berlin
    expect(retainUntil(at('2025-05-29T02:30:00+02:00'), 10, 'Europe/Berlin').iso).toBe('2026-03-29T03:30:00.000+02:00');
  });

  it('refuses bad input', () => {
    expect(() => retainUntil(0, 1.5, 'UTC')).toThrow(RangeError);
    expect(() => retainUntil(0, -1, 'UTC')).toThrow(RangeError);
    expect(() => retainUntil(Number.NaN, 10, 'UTC')).toThrow(RangeError);
    expect(() => retainUntil(0, 10, 'Nowhere/Land')).toThrow(RangeError);
    expect(retainUntil(at('2026-01-31T10:00:00+08:00'), 0, 'Asia/Shanghai').iso).toBe('2026-01-31T10:00:00.000+08:00');
  });
});

describe('isDue', () => {
  it('is due from the retention instant on', () => {
    const r = retainUntil(at('2026-01-31T10:00:00+08:00'), 10, 'Asia/Shanghai').epochMs;
    expect(isDue(r, r - 1)).toBe(false);
    expect(isDue(r, r)).toBe(true);
    expect(isDue(r, at('2026-12-01T00:00:00+08:00'))).toBe(true);
  });
});
