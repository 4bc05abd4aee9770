/**
 * Retention dates (REQUIREMENTS R9; 004 §15: footage is kept 10 months, then reviewed case by case).
 * @module
 */
import { DateTime } from 'luxon';
import { assertTimeZone } from './time-format.js';

/** A retention date, both as the console shows it and as a number to compare. */
export interface RetainUntil {
  /** ISO 8601 local time in the zone with its offset, e.g. `2026-11-30T10:00:00.000+08:00`. */
  iso: string;
  epochMs: number;
}

/**
 * `months` calendar months after `startEpochMs`, counted on the local calendar of `timezone`, same local
 * time of day; a day the target month lacks is clamped to its last day (31 Jan + 1 month = 28 Feb, or
 * 29 Feb in a leap year; 31 Jan 2026 + 10 months = 30 Nov 2026). A local time that does not exist on the
 * target day (DST gap) moves forward by the gap.
 *
 * Which start to pass is the caller's: the corrected start, else the recorded start, else `offloadedAt`
 * when the recording's time cannot be corrected (CONTRACT "Time").
 * @throws RangeError for an unknown zone, a non-finite start or `months` not a whole number ≥ 0.
 */
export function retainUntil(startEpochMs: number, months: number, timezone: string): RetainUntil {
  assertTimeZone(timezone);
  if (!Number.isFinite(startEpochMs)) throw new RangeError('retainUntil: start must be finite');
  if (!Number.isInteger(months) || months < 0) throw new RangeError(`retainUntil: months must be a whole number ≥ 0, got ${months}`);
  const dt = DateTime.fromMillis(startEpochMs, { zone: timezone }).plus({ months });
  return { iso: dt.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ"), epochMs: dt.toMillis() };
}

/** True once `nowEpochMs` has reached the retention date (the item then enters the review queue). */
export function isDue(retainUntilEpochMs: number, nowEpochMs: number): boolean {
  return nowEpochMs >= retainUntilEpochMs;
}
