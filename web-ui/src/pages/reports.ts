import { api, qs } from '../api.js';
import { h, note, replace } from '../dom.js';
import { day, time } from '../format.js';
import { label, number, t } from '../i18n/index.js';
import type { Page } from '../main.js';

interface Outcomes {
  total: number;
  open: number;
  justified: number;
  approved: number;
  rejected: number;
}

interface Figures {
  recordings: number;
  hours: number;
  lateOffloads: number;
  medianDelayHours: number | null;
  gaps: Outcomes;
  seqHoles: Outcomes;
  drift: number;
  clockResets: number;
  spotChecks: { recordings: number; itemsPassed: number; itemsFailed: number; scorePct: number | null };
  accessRequests: Record<string, Record<string, number>>;
  holds: number;
  purges: number;
  checkouts: number;
  checkoutsWithFootage: number;
  footageSharePct: number | null;
  gapsPer100h: number | null;
  lateOffloadsPer100h: number | null;
  pendingJustifications: number;
  attention: string[];
}
interface UnitRow extends Figures {
  unitNo: string;
  unitName: string;
}
interface OfficerRow extends UnitRow {
  officerNo: string;
  name: string;
}
interface Report {
  year: number;
  from: string;
  to: string;
  units: UnitRow[];
  officers: OfficerRow[];
  totals: Figures;
}
export interface Reminder {
  year: number;
  deadline: string;
  exportedAt: string | null;
  due: boolean;
  overdue: boolean;
  daysLeft: number;
}

/** The reminder of last year's report as a line (the home page shows it too), or null once exported. */
export function reminderNote(r: Reminder): HTMLElement | null {
  const year = String(r.year);
  if (!r.due) return null;
  if (r.overdue) return note('error', t('report.overdue', { year, deadline: day(r.deadline) }));
  if (r.daysLeft <= 0) return note('warn', t('report.reminderToday', { year }));
  return note('warn', t('report.reminder', { year, deadline: day(r.deadline), days: r.daysLeft }));
}

/** The part of Chart.js the page uses (its UMD build, served by the dock from /vendor/: no CDN). */
interface ChartLib {
  new (canvas: HTMLCanvasElement, config: unknown): { destroy(): void };
}

let chartLib: Promise<ChartLib | null> | null = null;

/** Load the dock's own copy of Chart.js once (a script from 'self', as the console's CSP allows). */
function loadChart(): Promise<ChartLib | null> {
  chartLib ??= new Promise((resolve) => {
    const w = window as unknown as { Chart?: ChartLib };
    if (w.Chart) return resolve(w.Chart);
    const s = document.createElement('script');
    s.src = '/vendor/chart.umd.min.js';
    s.addEventListener('load', () => resolve(w.Chart ?? null));
    s.addEventListener('error', () => resolve(null));
    document.head.append(s);
  });
  return chartLib;
}

const COLOURS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed'];
const num = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? t('report.none') : number(v, { maximumFractionDigits: digits }));

function chartCard(id: string, title: string): { card: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': title });
  return { card: h('figure', { class: 'card chart' }, h('figcaption', {}, title), h('div', { class: 'chart-box' }, canvas)), canvas };
}

function barConfig(labels: string[], sets: Array<{ label: string; data: Array<number | null>; axis?: string }>, twoAxes = false, max?: number): unknown {
  return {
    type: 'bar',
    data: { labels, datasets: sets.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: COLOURS[i % COLOURS.length], yAxisID: s.axis ?? 'y' })) },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: 'bottom' } },
      scales: twoAxes
        ? { y: { beginAtZero: true, position: 'left', ticks: { precision: 0 } }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } }
        : { y: { beginAtZero: true, ...(max !== undefined ? { max } : {}) } },
    },
  };
}

function attentionChips(reasons: string[]): HTMLElement | null {
  return reasons.length ? h('ul', { class: 'chips' }, reasons.map((r) => h('li', { class: 'chip warn' }, label('attention', r)))) : null;
}

function figuresCells(f: Figures): HTMLElement[] {
  const requests = Object.values(f.accessRequests).reduce((a, byState) => a + Object.values(byState).reduce((x, y) => x + y, 0), 0);
  return [
    h('td', { class: 'num' }, number(f.recordings)),
    h('td', { class: 'num' }, num(f.hours, 2)),
    h('td', { class: 'num' }, number(f.lateOffloads)),
    h('td', { class: 'num' }, num(f.medianDelayHours)),
    h('td', {}, t('report.gapsDetail', { total: f.gaps.total, open: f.gaps.open, justified: f.gaps.justified, approved: f.gaps.approved, rejected: f.gaps.rejected })),
    h('td', { class: 'num' }, number(f.seqHoles.total)),
    h('td', { class: 'num' }, `${number(f.drift)} / ${number(f.clockResets)}`),
    h('td', { class: 'num' }, f.spotChecks.recordings ? t('report.spotScore', { n: f.spotChecks.recordings, score: num(f.spotChecks.scorePct) }) : t('report.none')),
    h('td', { class: 'num' }, number(requests)),
    h('td', { class: 'num' }, `${number(f.holds)} / ${number(f.purges)}`),
  ];
}

const FIGURE_HEADS = () => ['report.recordings', 'report.hours', 'report.late', 'report.medianDelay', 'report.gaps', 'report.holes', 'report.drift', 'report.spot', 'report.requests', 'report.holdsPurges'] as const;

function unitsTable(r: Report): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'list report', id: 'report-units' },
      h('thead', {}, h('tr', {}, h('th', {}, t('report.unit')), FIGURE_HEADS().map((k) => h('th', {}, t(k))))),
      h(
        'tbody',
        {},
        r.units.map((u) => h('tr', { 'data-unit': u.unitNo }, h('td', {}, h('span', { lang: 'zh-CN' }, u.unitName), ' ', h('span', { class: 'muted small' }, u.unitNo)), figuresCells(u))),
        h('tr', { class: 'total' }, h('th', {}, t('report.totals')), figuresCells(r.totals)),
      ),
    ),
  );
}

function complianceTable(r: Report): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'list report', id: 'report-officers' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('report.officer')),
          h('th', {}, t('report.unit')),
          h('th', {}, t('report.recordings')),
          h('th', {}, t('report.checkouts')),
          h('th', {}, t('report.per100h')),
          h('th', {}, t('report.pending')),
          h('th', {}, t('report.spot')),
          h('th', {}, t('report.attention')),
        ),
      ),
      h(
        'tbody',
        {},
        r.officers.map((o) =>
          h(
            'tr',
            { 'data-officer': o.officerNo, class: o.attention.length ? 'attention' : null },
            h('td', {}, h('span', { lang: 'zh-CN' }, o.name), ' ', h('span', { class: 'muted small' }, o.officerNo)),
            h('td', { lang: 'zh-CN' }, o.unitName),
            h('td', { class: 'num' }, number(o.recordings)),
            h('td', { class: 'num' }, t('report.share', { with: o.checkoutsWithFootage, all: o.checkouts })),
            h('td', { class: 'num' }, `${num(o.gapsPer100h)} / ${num(o.lateOffloadsPer100h)}`),
            h('td', { class: 'num' }, number(o.pendingJustifications)),
            h('td', { class: 'num' }, o.spotChecks.recordings ? t('report.spotScore', { n: o.spotChecks.recordings, score: num(o.spotChecks.scorePct) }) : t('report.none')),
            h('td', {}, attentionChips(o.attention)),
          ),
        ),
      ),
    ),
  );
}

/** The yearly statistics per unit and officer with charts, exports, the reminder, and officers' compliance. */
export const renderReports: Page = async ({ main, query }) => {
  const reminder = await api.get<Reminder>('/api/reports/yearly/reminder');
  const thisYear = reminder.year + 1;
  const asked = Number(query.get('year'));
  const year = Number.isInteger(asked) && asked >= 2000 && asked <= thisYear ? asked : thisYear;
  const report = await api.get<Report>(`/api/reports/yearly${qs({ year, format: 'json' })}`);
  const deadlineDay = reminder.deadline.slice(8, 10).replace(/^0/, '');

  const pick = h(
    'select',
    { id: 'report-year' },
    Array.from({ length: 6 }, (_, i) => thisYear - i).map((y) => h('option', { value: y, selected: y === year }, String(y))),
  );
  pick.addEventListener('change', () => {
    location.hash = `#/reports?year=${pick.value}`;
  });
  const file = (format: 'csv' | 'json') => `/api/reports/yearly${qs({ year, format, ...(format === 'json' ? { download: 'true' } : {}) })}`;
  const units = chartCard('chart-units', t('report.chartUnits'));
  const officers = chartCard('chart-officers', t('report.chartOfficers'));
  const spot = chartCard('chart-spot', t('report.chartSpot'));
  const chartNote = h('div', {});
  const flagged = report.officers.filter((o) => o.attention.length > 0);
  replace(
    main,
    h('h1', {}, t('report.title')),
    h('p', { class: 'muted' }, t('report.intro', { day: deadlineDay })),
    reminderNote(reminder),
    reminder.due && year !== reminder.year ? h('p', {}, h('a', { href: `#/reports?year=${reminder.year}`, id: 'show-due' }, t('report.showDue', { year: String(reminder.year) }))) : null,
    reminder.exportedAt ? note('ok', t('report.exported', { year: String(reminder.year), at: time(reminder.exportedAt) })) : null,
    h(
      'div',
      { class: 'report-bar' },
      h('label', { for: pick.id }, t('report.year')),
      pick,
      h('a', { class: 'button', href: file('csv'), download: `yearly-${year}.csv`, id: 'export-csv' }, t('report.csv')),
      h('a', { class: 'button secondary', href: file('json'), download: `yearly-${year}.json`, id: 'export-json' }, t('report.data')),
    ),
    h('p', { class: 'muted small' }, t('report.period', { from: day(report.from), to: day(report.to) })),
    chartNote,
    h('div', { class: 'charts' }, units.card, officers.card, spot.card),
    h('h2', {}, t('report.units')),
    unitsTable(report),
    h('h2', {}, t('report.compliance')),
    h('p', { class: 'muted' }, t('report.complianceIntro')),
    flagged.length ? null : note('ok', t('report.nobody')),
    complianceTable(report),
  );

  const Chart = await loadChart();
  if (!Chart) {
    replace(chartNote, note('warn', t('report.chartMissing')));
    return;
  }
  const unitNames = report.units.map((u) => u.unitName || u.unitNo);
  const officerNames = report.officers.map((o) => o.name || o.officerNo);
  const charts = [
    new Chart(
      units.canvas,
      barConfig(unitNames, [
        { label: t('report.recordings'), data: report.units.map((u) => u.recordings) },
        { label: t('report.hours'), data: report.units.map((u) => u.hours), axis: 'y1' },
      ], true),
    ),
    new Chart(
      officers.canvas,
      barConfig(officerNames, [
        { label: t('report.gaps'), data: report.officers.map((o) => o.gapsPer100h ?? 0) },
        { label: t('report.late'), data: report.officers.map((o) => o.lateOffloadsPer100h ?? 0) },
      ]),
    ),
    new Chart(spot.canvas, barConfig(officerNames, [{ label: t('report.score'), data: report.officers.map((o) => o.spotChecks.scorePct) }], false, 100)),
  ];
  return () => {
    for (const c of charts) c.destroy();
  };
};
