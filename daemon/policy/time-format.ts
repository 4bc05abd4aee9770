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
  const offset = offsetAt(epochMs, zone);
  if (offset === null) return DateTime.fromMillis(epochMs, { zone }).toFormat(ISO_FORMAT);
  return `${new Date(epochMs + offset * 60_000).toISOString().slice(0, 23)}${formatOffset(offset)}`;
}

/**
 * The zone's offset (minutes) at an instant, from a cache of its UTC days: asking the runtime (luxon's
 * `IANAZone.offset`, an `Intl.DateTimeFormat` and `formatToParts`) cost about 2/3 of the device ledger's answer,
 * which formats some 800 times (issue 19). A day whose first and last millisecond have one offset keeps it; a day
 * with a change keeps the instant of the change, found to the millisecond by bisection with the same runtime
 * answer, so each time is written as luxon writes it. This holds as long as no zone changes its offset twice
 * within one UTC day, true of every zone from 1970 to 2100 (the tests compare with luxon around each change);
 * outside those years, or for an offset that is not whole minutes (Monrovia until 1972), luxon answers itself.
 */
function offsetAt(epochMs: number, zone: string): number | null {
  if (epochMs < 0 || epochMs >= CACHED_UNTIL_MS) return null;
  let days = ZONE_DAYS.get(zone);
  if (!days) ZONE_DAYS.set(zone, (days = new Map()));
  const day = Math.floor(epochMs / DAY_MS);
  let known = days.get(day);
  if (known === undefined) {
    const z = IANAZone.create(zone);
    const first = day * DAY_MS;
    const last = first + DAY_MS - 1;
    const before = z.offset(first);
    const after = z.offset(last);
    if (!Number.isInteger(before) || !Number.isInteger(after)) return null;
    if (before === after) known = before;
    else {
      let lo = first; // offset `before` here …
      let hi = last; // … and `after` here: narrow to the first millisecond of `after`
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (z.offset(mid) === before) lo = mid;
        else hi = mid;
      }
      known = { changeAtMs: hi, before, after };
    }
    if (days.size >= 60_000) days.clear(); // 1970–2100 is 47,482 days: never reached by real times
    days.set(day, known);
  }
  return typeof known === 'number' ? known : epochMs < known.changeAtMs ? known.before : known.after;
}

const DAY_MS = 86_400_000;
const CACHED_UNTIL_MS = Date.UTC(2100, 0, 1);
/** Per zone, per UTC day since 1970: its offset, or the instant it changes and the offsets either side. */
const ZONE_DAYS = new Map<string, Map<number, number | { changeAtMs: number; before: number; after: number }>>();

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
