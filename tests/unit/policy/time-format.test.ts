import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it, vi } from 'vitest';
import {
  formatOffset,
  isValidTimeZone,
  parseQueryTime,
  recorderIso,
  toIsoInZone,
} from '../../../daemon/policy/time-format.js';

describe('isValidTimeZone', () => {
  it('accepts IANA names and refuses the rest', () => {
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Asia/Beijing')).toBe(false);
    expect(isValidTimeZone('+08:00')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it('asks the runtime once per valid name, and never remembers a refused one', () => {
    // Every formatted time checks its zone; building an Intl.DateTimeFormat each time made the device ledger take seconds.
    const spy = vi.spyOn(IANAZone, 'isValidZone');
    try {
      for (let i = 0; i < 50; i++) expect(toIsoInZone(Date.UTC(2026, 0, 1) + i * 3_600_000, 'America/Chicago')).toMatch(/-0[56]:00$/);
      // Once here, once when luxon first builds that zone; not once per time (51 before).
      expect(spy.mock.calls.filter(([z]) => z === 'America/Chicago').length).toBeLessThanOrEqual(2);
      for (let i = 0; i < 3; i++) expect(isValidTimeZone('America/Chicag0')).toBe(false);
      expect(spy.mock.calls.filter(([z]) => z === 'America/Chicag0').length).toBe(3);
      expect(isValidTimeZone('America/Chicago')).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('toIsoInZone', () => {
  it('writes local time with a numeric offset', () => {
    expect(toIsoInZone(Date.UTC(2026, 10, 24, 13, 5), 'Asia/Shanghai')).toBe('2026-11-24T21:05:00.000+08:00');
    expect(toIsoInZone(Date.UTC(2026, 10, 24, 13, 5, 0, 7), 'UTC')).toBe('2026-11-24T13:05:00.007+00:00');
    expect(toIsoInZone(Date.UTC(2026, 6, 1, 10), 'Europe/Berlin')).toBe('2026-07-01T12:00:00.000+02:00');
    expect(toIsoInZone(Date.UTC(2026, 0, 1, 10), 'Europe/Berlin')).toBe('2026-01-01T11:00:00.000+01:00');
  });
  it('refuses an unknown zone', () => {
    expect(() => toIsoInZone(0, 'Mars/Olympus')).toThrow(RangeError);
  });

  // The offsets come from a cache of UTC days (issue 19: asking the runtime for each time was 2/3 of the device
  // ledger's answer). Whatever the cache holds, every instant must read exactly as luxon writes it: around each
  // change of offset (found here with luxon alone, two weeks at a time, then to the millisecond) and anywhere else.
  const luxon = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
  const TRICKY = [
    'Asia/Shanghai', // summer time 1986–1991
    'Europe/Berlin',
    'America/New_York',
    'America/St_Johns', // −03:30, summer time
    'Australia/Lord_Howe', // half-hour summer time
    'Asia/Kathmandu', // +05:45
    'Pacific/Apia', // skipped 30 December 2011
    'Africa/Casablanca', // summer time suspended for Ramadan: several changes a year
    'America/Santiago',
    'Europe/Dublin', // negative summer time in tzdata
    'Africa/Monrovia', // −00:44:30 until 1972
    'Pacific/Kiritimati', // +14:00
    'UTC',
  ];

  it('writes every instant around every change of offset from 1970 to 2100 as luxon does', () => {
    const STEP = 14 * 86_400_000; // summer times and Ramadan suspensions last longer
    let changes = 0;
    for (const zone of TRICKY) {
      const z = IANAZone.create(zone);
      let a = z.offset(0);
      for (let t = 0; t < Date.UTC(2100, 0, 1); t += STEP) {
        const next = z.offset(t + STEP);
        if (a === next) continue;
        let lo = t;
        let hi = t + STEP;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (z.offset(mid) === a) lo = mid;
          else hi = mid;
        }
        changes++;
        for (const d of [-3_600_000, -1000, -1, 0, 1, 999, 1000, 3_600_000]) expect(toIsoInZone(hi + d, zone), `${zone} ${new Date(hi + d).toISOString()}`).toBe(luxon(hi + d, zone));
        a = next;
      }
    }
    expect(changes).toBeGreaterThan(1000);
  });

  it('writes any instant as luxon does, before 1970 and after 2100 too', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRICKY), fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }), (zone, ms) => {
        expect(toIsoInZone(ms, zone)).toBe(luxon(ms, zone));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('recorderIso', () => {
  const t = { year: 2026, month: 11, day: 24, hour: 21, minute: 5, second: 0 };
  it('keeps the recorder wall clock with its own offset', () => {
    expect(recorderIso(t, 480)).toBe('2026-11-24T21:05:00.000+08:00');
    expect(recorderIso(t, -210, 45)).toBe('2026-11-24T21:05:00.045-03:30');
    expect(recorderIso(t, 0)).toBe('2026-11-24T21:05:00.000+00:00');
  });
  it('answers null for data no clock can show', () => {
    expect(recorderIso({ ...t, month: 2, day: 30 }, 480)).toBeNull();
    expect(recorderIso(t, 19 * 60)).toBeNull();
    expect(recorderIso(t, 480, 1000)).toBeNull();
  });
  it('formats offsets', () => {
    expect(formatOffset(345)).toBe('+05:45');
    expect(formatOffset(-60)).toBe('-01:00');
  });
});

describe('parseQueryTime', () => {
  it('takes an explicit offset as given', () => {
    expect(parseQueryTime('2026-11-24T21:05:00+08:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 10, 24, 13, 5));
    expect(parseQueryTime('2026-11-24T13:05Z', 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 24, 13, 5));
    expect(parseQueryTime('2026-11-24T21:05:00.250+0800', 'UTC')).toBe(Date.UTC(2026, 10, 24, 13, 5, 0, 250));
  });
  it('reads a time without offset in the zone', () => {
    expect(parseQueryTime('2026-11-24T21:05', 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 24, 13, 5));
    expect(parseQueryTime('2026-07-01T12:00:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 1, 10));
    expect(parseQueryTime('2026-11-24', 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 23, 16));
  });
  it('answers null for what is not a date and time', () => {
    for (const bad of ['', 'yesterday', '2026-02-30', '2026-11-24T25:00', '24.11.2026', 'T10:00', '2026-W48-2', '1764000000000', '2026-11-24 21:05']) {
      expect(parseQueryTime(bad, 'Asia/Shanghai'), bad).toBeNull();
    }
  });
  it('refuses an unknown zone as a configuration error', () => {
    expect(() => parseQueryTime('2026-11-24', 'Nowhere/Land')).toThrow(RangeError);
  });
});
