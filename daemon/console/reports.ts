import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { yearOf } from '../policy/yearly.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { userOf } from './guard.js';
import { yearlyCsv, yearlyReminder, yearlyReport } from './services/yearly-report.js';

const NNumber = Type.Union([Type.Number(), Type.Null()]);
const YearlyQuery = Type.Object(
  {
    /** A calendar year of the dock's zone; the current one when left out. */
    year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2999 })),
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
    /** JSON as a file to keep (an export, like the CSV); without it JSON is for reading on screen. */
    download: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Outcomes = Type.Object({ total: Type.Integer(), open: Type.Integer(), justified: Type.Integer(), approved: Type.Integer(), rejected: Type.Integer() });
const RequestStates = Type.Object({ pending: Type.Integer(), approved: Type.Integer(), denied: Type.Integer() });
const Figures = {
  recordings: Type.Integer(),
  hours: Type.Number(),
  lateOffloads: Type.Integer(),
  medianDelayHours: NNumber,
  gaps: Outcomes,
  seqHoles: Outcomes,
  drift: Type.Integer(),
  clockResets: Type.Integer(),
  spotChecks: Type.Object({ recordings: Type.Integer(), itemsPassed: Type.Integer(), itemsFailed: Type.Integer(), scorePct: NNumber }),
  spotCheckFindings: Type.Integer(),
  accessRequests: Type.Object({ view: RequestStates, copy: RequestStates, agency: RequestStates, party: RequestStates }),
  holds: Type.Integer(),
  purges: Type.Integer(),
  checkouts: Type.Integer(),
  checkoutsWithFootage: Type.Integer(),
  footageSharePct: NNumber,
  gapsPer100h: NNumber,
  lateOffloadsPer100h: NNumber,
  pendingJustifications: Type.Integer(),
  attention: Type.Array(Type.String()),
};
const YearlySchema = Type.Object({
  year: Type.Integer(),
  timezone: Type.String(),
  from: Type.String(),
  to: Type.String(),
  generatedAt: Type.String(),
  units: Type.Array(Type.Object({ unitNo: Type.String(), unitName: Type.String(), ...Figures })),
  officers: Type.Array(Type.Object({ unitNo: Type.String(), unitName: Type.String(), officerNo: Type.String(), name: Type.String(), ...Figures })),
  totals: Type.Object(Figures),
});
const ReminderSchema = Type.Object({
  year: Type.Integer(),
  deadline: Type.String(),
  exportedAt: Type.Union([Type.String(), Type.Null()]),
  due: Type.Boolean(),
  overdue: Type.Boolean(),
  daysLeft: Type.Integer(),
});

/**
 * The yearly statistics (R14; 000 (一)5, 002 (一)5) per unit and officer, as JSON or CSV, and the reminder of last
 * year's report. Exporting (the CSV, or JSON with `download`) a year that has ended is recorded and audited: the
 * reminder from 1 January ends with the first export of last year's report.
 */
export const reportsPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const zone = deps.config.timezone;

  app.get<{ Querystring: Static<typeof YearlyQuery> }>(
    '/api/reports/yearly',
    { config: { action: 'yearly-reports' }, schema: { querystring: YearlyQuery, response: { 200: YearlySchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const now = deps.clock.now();
      const year = req.query.year ?? yearOf(now, zone);
      const report = yearlyReport(deps.ledger, year, zone, now, deps.iso);
      const exporting = req.query.format === 'csv' || req.query.download === true;
      if (exporting && year < yearOf(now, zone)) {
        const user = userOf(req);
        deps.ledger.tx(() => {
          deps.ledger.yearlyReport.recordExport(year, req.query.format, user.username, now, deps.iso(now));
          deps.ledger.audit.append(now, user.username, 'report.exported', `yearly/${year}`, { year, format: req.query.format, units: report.units.length, officers: report.officers.length });
        });
      }
      if (req.query.format === 'csv') {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="yearly-${year}.csv"`)
          .serializer((p: unknown) => p as string)
          .send(yearlyCsv(report));
      }
      if (req.query.download) reply.header('content-disposition', `attachment; filename="yearly-${year}.json"`);
      return report;
    },
  );

  app.get(
    '/api/reports/yearly/reminder',
    { config: { action: 'yearly-reports' }, schema: { response: { 200: ReminderSchema } } },
    async () => yearlyReminder(deps.ledger, deps.clock.now(), zone, deps.config.reports.yearlyDeadlineDay),
  );
};
