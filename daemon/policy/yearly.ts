/**
 * The yearly statistics (R14; 000 (一)5: each unit publishes last year's enforcement figures before 20 January,
 * 002 (一)5: before 31 January) and officer-level compliance during the year (000 (二)8: the records serve
 * 案卷评查 and 评议考核). Pure functions over plain numbers: year bounds in the dock's zone, medians, rates,
 * the reminder's state and who needs attention.
 * @module
 */
import { DateTime } from 'luxon';
import { assertTimeZone } from './time-format.js';

/** The instants a calendar year of `zone` spans: [fromMs, toMs). A recording at 2026-12-31T23:30+08:00 is 2026's in Asia/Shanghai. */
export function yearBounds(year: number, zone: string): { fromMs: number; toMs: number } {
  assertTimeZone(zone);
  const from = DateTime.fromObject({ year, month: 1, day: 1 }, { zone });
  return { fromMs: from.toMillis(), toMs: from.plus({ years: 1 }).toMillis() };
}

/** The calendar year of an instant in `zone`. */
export function yearOf(epochMs: number, zone: string): number {
  assertTimeZone(zone);
  return DateTime.fromMillis(epochMs, { zone }).year;
}

/** The median of the values (the mean of the middle two for an even count), or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Events per 100 hours of footage, to one decimal; null without footage. */
export function per100Hours(count: number, footageMs: number): number | null {
  if (footageMs <= 0) return null;
  return Math.round((count / (footageMs / 3_600_000)) * 1000) / 10;
}

/** A share as a percentage to one decimal; null when there is nothing to share. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

/** The day of January by which last year's report is due (000 (一)5: 20; 002 (一)5 and 001: 31). */
export type DeadlineDay = 20 | 31;

export interface ReportReminder {
  /** The year whose report is due. */
  year: number;
  /** The last day the report may be published, as a local date (yyyy-MM-dd). */
  deadline: string;
  /** When the report of `year` was first exported (ISO), or null. */
  exportedAt: string | null;
  /** Show the reminder: the report of `year` has not been exported yet. */
  due: boolean;
  /** The deadline has passed and it is still not exported. */
  overdue: boolean;
  /** Whole days left until the end of the deadline day (0 on the day; negative when overdue). */
  daysLeft: number;
}

/**
 * The yearly report's reminder at `nowMs`: from 1 January (local) the report of the year before is due until it is
 * exported; it is overdue after the end of `deadlineDay` January. `exportedAt`: the first export of that year's
 * report (ISO), or null.
 */
export function reportReminder(nowMs: number, zone: string, deadlineDay: DeadlineDay, exportedAt: (year: number) => string | null): ReportReminder {
  assertTimeZone(zone);
  const now = DateTime.fromMillis(nowMs, { zone });
  const year = now.year - 1;
  const deadline = DateTime.fromObject({ year: now.year, month: 1, day: deadlineDay }, { zone });
  const endOfDeadline = deadline.plus({ days: 1 });
  const done = exportedAt(year);
  const daysLeft = Math.floor(deadline.startOf('day').diff(now.startOf('day'), 'days').days);
  return {
    year,
    deadline: deadline.toFormat('yyyy-MM-dd'),
    exportedAt: done,
    due: done === null,
    overdue: done === null && nowMs >= endOfDeadline.toMillis(),
    daysLeft,
  };
}

/** What an officer's compliance is judged on, during the year (000 (二)8 评议考核). */
export interface ComplianceFigures {
  checkouts: number;
  checkoutsWithFootage: number;
  footageMs: number;
  gaps: number;
  lateOffloads: number;
  pendingJustifications: number;
  spotCheckItemsFailed: number;
}

/** Below this share of checkouts that brought footage back, an officer needs attention (a checkout is a shift out with a recorder). */
export const MIN_FOOTAGE_SHARE = 80;
/** Above this many gaps or late offloads per 100 hours of footage, an officer needs attention. */
export const MAX_PER_100H = 5;

/**
 * Why an officer needs a supervisor's attention before the yearly review, in plain words (empty: none). Reasons:
 * checkouts without footage, gaps or late offloads above {@link MAX_PER_100H} per 100 h, justifications still
 * pending, failed spot-check items.
 */
export function attentionReasons(c: ComplianceFigures): string[] {
  const out: string[] = [];
  const share = percent(c.checkoutsWithFootage, c.checkouts);
  if (share !== null && share < MIN_FOOTAGE_SHARE) out.push('checkouts_without_footage');
  const gaps = per100Hours(c.gaps, c.footageMs);
  if (gaps !== null && gaps > MAX_PER_100H) out.push('gaps');
  const late = per100Hours(c.lateOffloads, c.footageMs);
  if (late !== null && late > MAX_PER_100H) out.push('late_offloads');
  if (c.pendingJustifications > 0) out.push('pending_justifications');
  if (c.spotCheckItemsFailed > 0) out.push('spot_check_failed');
  return out;
}
