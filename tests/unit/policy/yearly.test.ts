import { describe, expect, it } from 'vitest';
import { attentionReasons, median, per100Hours, reportReminder, yearBounds, yearOf } from '../../../daemon/policy/yearly.js';

const SH = 'Asia/Shanghai';
const at = (local: string) => Date.parse(`${local}+08:00`);

describe('a year in the dock’s zone', () => {
  it('2026 in Asia/Shanghai runs from 2025-12-31T16:00Z to 2026-12-31T16:00Z', () => {
    expect(yearBounds(2026, SH)).toEqual({ fromMs: Date.parse('2025-12-31T16:00:00Z'), toMs: Date.parse('2026-12-31T16:00:00Z') });
    expect(yearOf(at('2026-12-31T23:30:00'), SH)).toBe(2026);
    expect(yearOf(at('2027-01-01T00:10:00'), SH)).toBe(2027);
    expect(yearOf(at('2027-01-01T00:10:00'), 'UTC')).toBe(2026);
  });

  it('medians and rates', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 2, 10])).toBe(3);
    expect(per100Hours(2, 1.5 * 3_600_000)).toBe(133.3);
    expect(per100Hours(1, 0)).toBeNull();
  });
});

describe("the reminder of last year's report", () => {
  const never = () => null;

  it('is due from 1 January local time, not on 31 December', () => {
    expect(reportReminder(at('2026-12-31T23:59:00'), SH, 20, never)).toMatchObject({ year: 2025, due: true });
    const jan1 = reportReminder(at('2027-01-01T00:00:00'), SH, 20, never);
    expect(jan1).toMatchObject({ year: 2026, deadline: '2027-01-20', due: true, overdue: false, daysLeft: 19 });
  });

  it('is overdue after the end of the deadline day, 20 or 31 January as configured', () => {
    expect(reportReminder(at('2027-01-20T23:59:00'), SH, 20, never)).toMatchObject({ overdue: false, daysLeft: 0 });
    expect(reportReminder(at('2027-01-21T00:00:00'), SH, 20, never)).toMatchObject({ overdue: true, daysLeft: -1 });
    expect(reportReminder(at('2027-01-21T00:00:00'), SH, 31, never)).toMatchObject({ deadline: '2027-01-31', overdue: false, daysLeft: 10 });
    expect(reportReminder(at('2027-02-01T00:00:00'), SH, 31, never)).toMatchObject({ overdue: true });
  });

  it('ends once the report of that year was exported', () => {
    const exported = (y: number) => (y === 2026 ? '2027-01-08T10:00:00.000+08:00' : null);
    expect(reportReminder(at('2027-01-09T00:00:00'), SH, 20, exported)).toMatchObject({ year: 2026, due: false, overdue: false, exportedAt: '2027-01-08T10:00:00.000+08:00' });
    expect(reportReminder(at('2028-01-02T00:00:00'), SH, 20, exported)).toMatchObject({ year: 2027, due: true });
  });
});

describe('who needs attention during the year', () => {
  const fine = { checkouts: 10, checkoutsWithFootage: 10, footageMs: 100 * 3_600_000, gaps: 5, lateOffloads: 5, pendingJustifications: 0, spotCheckItemsFailed: 0 };
  it('nobody with footage for every checkout, rates at the bound and nothing pending', () => {
    expect(attentionReasons(fine)).toEqual([]);
  });
  it('each reason on its own', () => {
    expect(attentionReasons({ ...fine, checkoutsWithFootage: 7 })).toEqual(['checkouts_without_footage']);
    expect(attentionReasons({ ...fine, gaps: 6 })).toEqual(['gaps']);
    expect(attentionReasons({ ...fine, lateOffloads: 6 })).toEqual(['late_offloads']);
    expect(attentionReasons({ ...fine, pendingJustifications: 1 })).toEqual(['pending_justifications']);
    expect(attentionReasons({ ...fine, spotCheckItemsFailed: 1 })).toEqual(['spot_check_failed']);
  });
});
