import type { Ledger } from '../../ledger/index.js';
import { emptyFigures, type RawGroupFigures } from '../../ledger/yearly-report.js';
import { attentionReasons, median, per100Hours, percent, reportReminder, yearBounds, type DeadlineDay, type ReportReminder } from '../../policy/yearly.js';
import { toCsv } from './csv.js';

const STATES = ['open', 'justified', 'approved', 'rejected'] as const;
const REQUEST_KINDS = ['view', 'copy', 'agency', 'party'] as const;
const REQUEST_STATES = ['pending', 'approved', 'denied'] as const;

/** Findings by their justification outcome (`info` ones count in the total only). */
export interface Outcomes {
  total: number;
  open: number;
  justified: number;
  approved: number;
  rejected: number;
}

/** One row of the yearly statistics: a unit, an officer or the whole dock. */
export interface YearlyFigures {
  recordings: number;
  hours: number;
  lateOffloads: number;
  /** Median offload delay in hours (from the end of a recording to its storage), one decimal; null without any. */
  medianDelayHours: number | null;
  gaps: Outcomes;
  seqHoles: Outcomes;
  drift: number;
  clockResets: number;
  spotChecks: { recordings: number; itemsPassed: number; itemsFailed: number; scorePct: number | null };
  spotCheckFindings: number;
  accessRequests: Record<(typeof REQUEST_KINDS)[number], Record<(typeof REQUEST_STATES)[number], number>>;
  holds: number;
  purges: number;
  /** Compliance during the year (000 (二)8): checkouts, the share that brought footage back, rates per 100 h of footage. */
  checkouts: number;
  checkoutsWithFootage: number;
  footageSharePct: number | null;
  gapsPer100h: number | null;
  lateOffloadsPer100h: number | null;
  pendingJustifications: number;
  /** Why a supervisor should look at this officer before the yearly review (empty: nothing). */
  attention: string[];
}

export interface UnitRow extends YearlyFigures {
  unitNo: string;
  unitName: string;
}
export interface OfficerRow extends UnitRow {
  officerNo: string;
  name: string;
}

export interface YearlyReport {
  year: number;
  timezone: string;
  from: string;
  to: string;
  generatedAt: string;
  units: UnitRow[];
  officers: OfficerRow[];
  totals: YearlyFigures;
}

function outcomes(byState: Record<string, number> | undefined): Outcomes {
  const o: Outcomes = { total: 0, open: 0, justified: 0, approved: 0, rejected: 0 };
  for (const [state, n] of Object.entries(byState ?? {})) {
    o.total += n;
    if ((STATES as readonly string[]).includes(state)) o[state as (typeof STATES)[number]] += n;
  }
  return o;
}

const count = (byState: Record<string, number> | undefined) => Object.values(byState ?? {}).reduce((a, b) => a + b, 0);

/** The derived figures of one group: hours, median, outcomes, rates, shares and attention. */
export function deriveFigures(f: RawGroupFigures): YearlyFigures {
  const med = median(f.delaysMs);
  let pending = 0;
  for (const byState of Object.values(f.findings)) for (const s of ['open', 'justified', 'rejected']) pending += byState[s] ?? 0;
  const gaps = outcomes(f.findings.gap);
  const requests = Object.fromEntries(
    REQUEST_KINDS.map((k) => [k, Object.fromEntries(REQUEST_STATES.map((s) => [s, f.accessRequests[k]?.[s] ?? 0]))]),
  ) as YearlyFigures['accessRequests'];
  const items = f.spotItemsPassed + f.spotItemsFailed;
  return {
    recordings: f.recordings,
    hours: Math.round((f.footageMs / 3_600_000) * 100) / 100,
    lateOffloads: f.lateOffloads,
    medianDelayHours: med === null ? null : Math.round((med / 3_600_000) * 10) / 10,
    gaps,
    seqHoles: outcomes(f.findings.seq_missing),
    drift: count(f.findings.drift),
    clockResets: count(f.findings.clock_reset),
    spotChecks: { recordings: f.spotChecked, itemsPassed: f.spotItemsPassed, itemsFailed: f.spotItemsFailed, scorePct: percent(f.spotItemsPassed, items) },
    spotCheckFindings: count(f.findings.spot_check_failed),
    accessRequests: requests,
    holds: f.holds,
    purges: f.purges,
    checkouts: f.checkouts,
    checkoutsWithFootage: f.checkoutsWithFootage,
    footageSharePct: percent(f.checkoutsWithFootage, f.checkouts),
    gapsPer100h: per100Hours(gaps.total, f.footageMs),
    lateOffloadsPer100h: per100Hours(f.lateOffloads, f.footageMs),
    pendingJustifications: pending,
    attention: attentionReasons({
      checkouts: f.checkouts,
      checkoutsWithFootage: f.checkoutsWithFootage,
      footageMs: f.footageMs,
      gaps: gaps.total,
      lateOffloads: f.lateOffloads,
      pendingJustifications: pending,
      spotCheckItemsFailed: f.spotItemsFailed,
    }),
  };
}

/**
 * The yearly statistics (R14) of a calendar year in the dock's zone: per unit, per officer of the registry (also
 * those without anything that year: a report lists everyone) and for the whole dock.
 */
export function yearlyReport(ledger: Ledger, year: number, timezone: string, nowMs: number, iso: (ms: number) => string): YearlyReport {
  const { fromMs, toMs } = yearBounds(year, timezone);
  const officers = ledger.yearlyReport.figures('officer', fromMs, toMs);
  const units = ledger.yearlyReport.figures('unit', fromMs, toMs);
  const all = ledger.yearlyReport.figures('all', fromMs, toMs).get('') ?? emptyFigures();
  const registry = new Map<string, { name: string; unitNo: string; unitName: string }>();
  const unitNames = new Map<string, string>();
  let after: string | undefined;
  for (;;) {
    const batch = ledger.officers.list({ limit: 1000, ...(after ? { after } : {}) });
    for (const o of batch) {
      registry.set(o.officerNo, o);
      if (!unitNames.has(o.unitNo)) unitNames.set(o.unitNo, o.unitName);
    }
    if (batch.length < 1000) break;
    after = batch[batch.length - 1]!.officerNo;
  }
  const officerNos = new Set([...registry.keys(), ...[...officers.keys()].filter((k) => k !== '')]);
  const unitNos = new Set([...unitNames.keys(), ...[...units.keys()].filter((k) => k !== '')]);
  const officerRows: OfficerRow[] = [...officerNos].sort().map((no) => {
    const o = registry.get(no);
    const unitNo = o?.unitNo ?? '';
    return { unitNo, unitName: o?.unitName ?? unitNames.get(unitNo) ?? '', officerNo: no, name: o?.name ?? '', ...deriveFigures(officers.get(no) ?? emptyFigures()) };
  });
  const unitRows: UnitRow[] = [...unitNos].sort().map((u) => ({ unitNo: u, unitName: unitNames.get(u) ?? '', ...deriveFigures(units.get(u) ?? emptyFigures()) }));
  // Units have no "attention": that is about officers.
  for (const u of unitRows) u.attention = [];
  const totals = deriveFigures(all);
  totals.attention = [];
  return { year, timezone, from: iso(fromMs), to: iso(toMs), generatedAt: iso(nowMs), units: unitRows, officers: officerRows, totals };
}

/** The CSV's columns: `level` (unit, officer, total) and the names, then the figures (CONTRACT: an `officerNo` column). */
export const CSV_HEADER = [
  'year',
  'level',
  'unitNo',
  'unitName',
  'officerNo',
  'name',
  'recordings',
  'hours',
  'lateOffloads',
  'medianDelayHours',
  'gaps',
  'gapsOpen',
  'gapsJustified',
  'gapsApproved',
  'gapsRejected',
  'seqHoles',
  'seqHolesOpen',
  'seqHolesJustified',
  'seqHolesApproved',
  'seqHolesRejected',
  'drift',
  'clockResets',
  'spotCheckedRecordings',
  'spotCheckItemsPassed',
  'spotCheckItemsFailed',
  'spotCheckScorePct',
  ...REQUEST_KINDS.flatMap((k) => REQUEST_STATES.map((s) => `requests_${k}_${s}`)),
  'holds',
  'purges',
  'checkouts',
  'checkoutsWithFootage',
  'footageSharePct',
  'gapsPer100h',
  'lateOffloadsPer100h',
  'pendingJustifications',
  'attention',
];

function csvFigures(f: YearlyFigures): Array<string | number | null> {
  return [
    f.recordings,
    f.hours,
    f.lateOffloads,
    f.medianDelayHours,
    f.gaps.total,
    f.gaps.open,
    f.gaps.justified,
    f.gaps.approved,
    f.gaps.rejected,
    f.seqHoles.total,
    f.seqHoles.open,
    f.seqHoles.justified,
    f.seqHoles.approved,
    f.seqHoles.rejected,
    f.drift,
    f.clockResets,
    f.spotChecks.recordings,
    f.spotChecks.itemsPassed,
    f.spotChecks.itemsFailed,
    f.spotChecks.scorePct,
    ...REQUEST_KINDS.flatMap((k) => REQUEST_STATES.map((s) => f.accessRequests[k][s])),
    f.holds,
    f.purges,
    f.checkouts,
    f.checkoutsWithFootage,
    f.footageSharePct,
    f.gapsPer100h,
    f.lateOffloadsPer100h,
    f.pendingJustifications,
    f.attention.join(' '),
  ];
}

/** The report as CSV: UTF-8 with a BOM (a spreadsheet shows the Chinese names), units, then officers, then the total. */
export function yearlyCsv(r: YearlyReport): string {
  return toCsv(CSV_HEADER, [
    ...r.units.map((u) => [r.year, 'unit', u.unitNo, u.unitName, '', '', ...csvFigures(u)]),
    ...r.officers.map((o) => [r.year, 'officer', o.unitNo, o.unitName, o.officerNo, o.name, ...csvFigures(o)]),
    [r.year, 'total', '', '', '', '', ...csvFigures(r.totals)],
  ]);
}

/** The reminder of last year's report at `nowMs`. */
export function yearlyReminder(ledger: Ledger, nowMs: number, timezone: string, deadlineDay: DeadlineDay): ReportReminder {
  return reportReminder(nowMs, timezone, deadlineDay, (y) => ledger.yearlyReport.firstExport(y));
}
