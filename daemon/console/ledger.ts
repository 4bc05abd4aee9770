import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { TimeQuery, timeParam } from './params.js';
import { OfficerNo } from './schemas.js';
import { LedgerView } from './services/ledger-view.js';
import { userOf } from './guard.js';

const ExportQuery = Type.Object(
  {
    serial: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,8}$' })),
    officer: Type.Optional(OfficerNo),
    from: Type.Optional(Type.String(TimeQuery)),
    to: Type.Optional(Type.String(TimeQuery)),
    /** The header row's language: `zh` for a Chinese spreadsheet (the console's), the API names otherwise. */
    lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])),
  },
  { additionalProperties: false },
);

/** `GET /api/ledger/export.csv`: the device ledger (checkout periods with what was recorded) as CSV. */
export const ledgerPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const view = new LedgerView(deps.ledger, deps.iso, deps.clock.now);
  app.get<{ Querystring: Static<typeof ExportQuery> }>(
    '/api/ledger/export.csv',
    { config: { action: 'registry.edit' }, schema: { querystring: ExportQuery, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      const zone = deps.config.timezone;
      const q = req.query;
      const fromMs = timeParam(q.from, 'from', zone);
      const toMs = timeParam(q.to, 'to', zone);
      const { csv, rows } = view.exportCsv({
        ...(q.serial ? { serial: q.serial } : {}),
        ...(q.officer ? { officerNo: q.officer } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        ...(q.lang === 'zh' ? { chineseHeader: true } : {}),
      });
      const now = deps.clock.now();
      deps.ledger.tx(() => deps.ledger.audit.append(now, userOf(req).username, 'ledger.exported', null, { rows, filter: q }));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="ledger-${deps.config.dockId}.csv"`)
        .send(csv);
    },
  );
};
