/**
 * Time formatting and parsing used everywhere the dock shows or accepts a time.
 *
 * Every time the dock writes is ISO 8601 with milliseconds and an explicit numeric offset,
 * `YYYY-MM-DDTHH:mm:ss.SSS±HH:MM` (never `Z`, so that every string says which local time it is).
 * Pure functions: no clock reads.
 * @module
 */
import { DateTime, IANAZone } from 'luxon';
import { isValidDeviceTime, type DeviceTime } from '../../firmware-protocol/codec/fields.js';

const ISO_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSZZ";

/** Largest offset a zone can have (ISO 8601 and IANA never exceed ±18:00). */
const MAX_OFFSET_MINUTES = 18 * 60;

/**
 * True when `zone` is a time zone name the runtime knows (IANA names such as `Asia/Shanghai`,
 * `Europe/Berlin`, `UTC`). Fixed offsets such as `+08:00` are refused: config and API take zone names.
 */
export function isValidTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  if (KNOWN_ZONES.has(zone)) return true;
  // luxon checks a name by building an Intl.DateTimeFormat (about 0.5 ms, and memory until the next GC): every
  // formatted time asks, so a name found valid once is remembered. Only valid names: at most the IANA list.
  if (!IANAZone.isValidZone(zone)) return false;
  KNOWN_ZONES.add(zone);
  return true;
}

/** Zone names already found valid (a cache of a pure answer: the runtime's zone list does not change). */
const KNOWN_ZONES = new Set<string>();

/** Throws a RangeError naming the zone when it is not a valid IANA zone name. */
export function assertTimeZone(zone: string): void {
  if (!isValidTimeZone(zone)) throw new RangeError(`unknown time zone "${zone}"`);
}

/**
 * The instant `epochMs` as local time in `zone`, e.g. `2026-11-24T21:05:00.000+08:00`.
 * @throws RangeError for an unknown zone or a non-finite epoch.
 */
export function toIsoInZone(epochMs: number, zone: string): string {
  assertTimeZone(zone);
  if (!Number.isFinite(epochMs)) throw new RangeError(`not a time: ${epochMs}`);
  return DateTime.fromMillis(epochMs, { zone }).toFormat(ISO_FORMAT);
}

/** `±HH:MM` for an offset in minutes east of UTC. */
export function formatOffset(tzMinutes: number): string {
  const sign = tzMinutes < 0 ? '-' : '+';
  const abs = Math.abs(tzMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * A recorder wall-clock time written with the recorder's own offset (the `tz` GET_TIME reported),
 * as shown in `recordedStart`: `{2026,11,24,21,5,0}` with tz 480 → `2026-11-24T21:05:00.000+08:00`.
 * The fields are written as the recorder gave them (no conversion), so the string is the recorder's claim.
 * @param ms milliseconds within the second (0..999), 0 for FILE entry times which have none.
 * @returns null when the time is not a valid date, `ms` is out of range, or `tzMinutes` is not an
 *   integer within ±18:00 (recorder data is untrusted; the caller records it as unreadable).
 */
export function recorderIso(time: DeviceTime, tzMinutes: number, ms = 0): string | null {
  if (!isValidDeviceTime(time)) return null;
  if (!Number.isInteger(tzMinutes) || Math.abs(tzMinutes) > MAX_OFFSET_MINUTES) return null;
  if (!Number.isInteger(ms) || ms < 0 || ms > 999) return null;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(time.year, 4)}-${p(time.month)}-${p(time.day)}T${p(time.hour)}:${p(time.minute)}:${p(time.second)}` +
    `.${p(ms, 3)}${formatOffset(tzMinutes)}`
  );
}

/** A calendar date, optionally followed by `T` and a time; anything else (week dates, times alone) is refused. */
const QUERY_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses an API `from`/`to` value: ISO 8601 extended format with or without an offset
 * (`2026-11-24T21:05:00+08:00`, `2026-11-24T13:05Z`, `2026-11-24T21:05`, `2026-11-24`).
 * Without an offset the time is local time in `zone`; a date alone is the start of that day in `zone`.
 * A local time that does not exist (skipped by a DST change) moves forward by the change, as clocks do.
 * @returns epoch ms, or null for anything that is not such a time (the caller answers 400).
 * @throws RangeError for an unknown zone (a configuration error, not bad input).
 */
export function parseQueryTime(s: string, zone: string): number | null {
  assertTimeZone(zone);
  if (typeof s !== 'string' || !QUERY_TIME.test(s)) return null;
  const dt = DateTime.fromISO(s, { zone });
  return dt.isValid ? dt.toMillis() : null;
}
