import { describe, expect, it } from 'vitest';
import { endOfDay, offloadDeadline, remoteDutyVerdict } from '../../../daemon/policy/offload-deadline.js';
import { toIsoInZone } from '../../../daemon/policy/time-format.js';

const MIN = 60_000;
const H = 60 * MIN;
/** Epoch of a local wall time given with its offset. */
const at = (iso: string) => Date.parse(iso);

describe('offloadDeadline, same day', () => {
  const tz = 'Asia/Shanghai';
  const end = at('2026-11-24T23:50:00+08:00');

  it('is on time until the end of the local day, late one millisecond after', () => {
    const ok = offloadDeadline({ recordingEndEpochMs: end, offloadedAtEpochMs: at('2026-11-24T23:59:59.999+08:00'), timezone: tz });
    expect(ok).toEqual({ delayMs: 10 * MIN - 1, deadlineEpochMs: at('2026-11-24T23:59:59.999+08:00'), late: false });
    const late = offloadDeadline({ recordingEndEpochMs: end, offloadedAtEpochMs: at('2026-11-25T00:00:00+08:00'), timezone: tz });
    expect(late).toEqual({ delayMs: 10 * MIN, deadlineEpochMs: at('2026-11-24T23:59:59.999+08:00'), late: true });
  });

  it('a recording ending just after midnight has the whole new day', () => {
    const r = offloadDeadline({ recordingEndEpochMs: at('2026-11-25T00:05:00+08:00'), offloadedAtEpochMs: at('2026-11-25T18:00:00+08:00'), timezone: tz });
    expect(toIsoInZone(r.deadlineEpochMs, tz)).toBe('2026-11-25T23:59:59.999+08:00');
    expect(r.late).toBe(false);
    expect(r.delayMs).toBe(17 * H + 55 * MIN);
  });

  it('the day is the dock zone\'s: the same instants are late in Shanghai and on time in Berlin', () => {
    const endUtc = at('2026-11-24T15:30:00Z');
    const offloaded = at('2026-11-24T17:00:00Z');
    const sh = offloadDeadline({ recordingEndEpochMs: endUtc, offloadedAtEpochMs: offloaded, timezone: 'Asia/Shanghai' });
    const be = offloadDeadline({ recordingEndEpochMs: endUtc, offloadedAtEpochMs: offloaded, timezone: 'Europe/Berlin' });
    expect(sh).toMatchObject({ deadlineEpochMs: at('2026-11-24T15:59:59.999Z'), late: true });
    expect(be).toMatchObject({ deadlineEpochMs: at('2026-11-24T22:59:59.999Z'), late: false });
  });

  it('handles the 23- and 25-hour days of Europe/Berlin', () => {
    expect(endOfDay(at('2026-03-29T01:00:00+01:00'), 'Europe/Berlin')).toBe(at('2026-03-29T23:59:59.999+02:00'));
    expect(endOfDay(at('2026-10-25T02:30:00+01:00'), 'Europe/Berlin')).toBe(at('2026-10-25T23:59:59.999+01:00'));
    const r = offloadDeadline({
      recordingEndEpochMs: at('2026-03-29T01:00:00+01:00'),
      offloadedAtEpochMs: at('2026-03-29T23:30:00+02:00'),
      timezone: 'Europe/Berlin',
    });
    expect(r).toEqual({ delayMs: 21 * H + 30 * MIN, deadlineEpochMs: at('2026-03-29T21:59:59.999Z'), late: false });
  });

  it('crosses the year end', () => {
    const r = offloadDeadline({
      recordingEndEpochMs: at('2026-12-31T23:30:00+08:00'),
      offloadedAtEpochMs: at('2027-01-01T00:10:00+08:00'),
      timezone: tz,
    });
    expect(r).toEqual({ delayMs: 40 * MIN, deadlineEpochMs: at('2026-12-31T23:59:59.999+08:00'), late: true });
  });
});

describe('offloadDeadline, remote duty', () => {
  const tz = 'Asia/Shanghai';
  it('allows 24 h from the recording end when the return is not known', () => {
    const base = { recordingEndEpochMs: at('2026-12-31T23:30:00+08:00'), timezone: tz, remoteDuty: true };
    const ok = offloadDeadline({ ...base, offloadedAtEpochMs: at('2027-01-01T23:30:00+08:00') });
    expect(ok).toEqual({ delayMs: 24 * H, deadlineEpochMs: at('2027-01-01T23:30:00+08:00'), late: false });
    expect(offloadDeadline({ ...base, offloadedAtEpochMs: at('2027-01-01T23:30:00.001+08:00') }).late).toBe(true);
  });
  it('counts from the return when known', () => {
    const r = offloadDeadline({
      recordingEndEpochMs: at('2026-11-20T10:00:00+08:00'),
      offloadedAtEpochMs: at('2026-11-23T09:00:00+08:00'),
      returnedAtEpochMs: at('2026-11-22T18:00:00+08:00'),
      timezone: tz,
      remoteDuty: true,
    });
    expect(r).toEqual({ delayMs: 71 * H, deadlineEpochMs: at('2026-11-23T18:00:00+08:00'), late: false });
  });
  it('never shortens the same-day deadline (25-hour day)', () => {
    const r = offloadDeadline({
      recordingEndEpochMs: at('2026-10-25T00:00:00+02:00'),
      offloadedAtEpochMs: at('2026-10-25T23:30:00+01:00'),
      timezone: 'Europe/Berlin',
      remoteDuty: true,
    });
    expect(r.deadlineEpochMs).toBe(at('2026-10-25T23:59:59.999+01:00'));
    expect(r.late).toBe(false);
  });
  it('refuses an unknown zone', () => {
    expect(() => offloadDeadline({ recordingEndEpochMs: 0, offloadedAtEpochMs: 0, timezone: 'Asia/Nowhere' })).toThrow(RangeError);
  });
});

describe('remoteDutyVerdict (004 §13: stored within 24 h of the return)', () => {
  const tz = 'Asia/Shanghai';
  const end = at('2026-11-24T15:00:00+08:00');

  it.each([
    ['returned the next evening, stored 23 h later', '2026-11-25T20:00:00+08:00', '2026-11-26T19:00:00+08:00', true, 23],
    ['stored exactly 24 h after the return', '2026-11-25T20:00:00+08:00', '2026-11-26T20:00:00+08:00', true, 24],
    ['stored 24 h and 1 ms after the return', '2026-11-25T20:00:00+08:00', '2026-11-26T20:00:00.001+08:00', false, 24],
    ['stored 3 days after the return', '2026-11-25T20:00:00+08:00', '2026-11-28T21:00:00+08:00', false, 73],
    ['a return stated before the recording ended counts from the end', '2026-11-24T09:00:00+08:00', '2026-11-25T14:00:00+08:00', true, 23],
  ])('%s', (_name, returned, stored, covered, hours) => {
    const v = remoteDutyVerdict({ recordingEndEpochMs: end, offloadedAtEpochMs: at(stored), returnedAtEpochMs: at(returned), timezone: tz });
    expect(v.covered).toBe(covered);
    expect(v.hoursAfterReturn).toBe(hours);
  });

  it('a recording without a usable time (clock lost) counts from the return alone', () => {
    const ret = at('2026-11-25T20:00:00+08:00');
    expect(remoteDutyVerdict({ recordingEndEpochMs: null, offloadedAtEpochMs: ret + 24 * H, returnedAtEpochMs: ret, timezone: tz })).toEqual({ covered: true, deadlineEpochMs: ret + 24 * H, hoursAfterReturn: 24 });
    expect(remoteDutyVerdict({ recordingEndEpochMs: null, offloadedAtEpochMs: ret + 25 * H, returnedAtEpochMs: ret, timezone: tz }).covered).toBe(false);
  });

  it('refuses times that are not times', () => {
    expect(() => remoteDutyVerdict({ recordingEndEpochMs: end, offloadedAtEpochMs: end, returnedAtEpochMs: Number.NaN, timezone: tz })).toThrow(RangeError);
  });
});
