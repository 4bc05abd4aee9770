import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { scopeOfRequest, userOf } from './guard.js';
import { IdParam } from './schemas.js';
import { canSeeRecording, recordRefusal } from './services/access.js';
import { custodyReport } from './services/custody.js';
import { ServiceError } from './services/errors.js';

const CustodyQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pdf')])) }, { additionalProperties: false });

/**
 * `GET /api/recordings/:id/custody[?format=pdf]`: a recording's chain of custody from capture to now, as JSON or
 * as a printable PDF in Chinese. Read by those who read the register; a confidential recording's only by those
 * who may see it (004 §14). Producing the report is audited.
 */
export const custodyPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger } = deps;
  app.get<{ Params: Static<typeof IdParam>; Querystring: Static<typeof CustodyQuery> }>(
    '/api/recordings/:id/custody',
    { config: { action: 'custody.read' }, schema: { params: IdParam, querystring: CustodyQuery, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      const user = userOf(req);
      const rec = ledger.recordings.get(req.params.id);
      if (!rec) throw new ServiceError('not_found', `no recording ${req.params.id}`);
      const now = deps.clock.now();
      if (!canSeeRecording(ledger, user, scopeOfRequest(req), rec, now)) {
        const why = 'a confidential recording (004 §14) needs an approved access request';
        recordRefusal(deps, user, { recordingId: rec.id, use: 'custody', why }, now);
        throw new ServiceError('forbidden', why);
      }
      const report = custodyReport(ledger, rec, { dockId: deps.config.dockId, by: user.username, nowMs: now, iso: deps.iso });
      const pdf = req.query.format === 'pdf';
      // pdfkit and its fonts (about 25 MiB) load with the first PDF asked for, not with every daemon (issue 19).
      const custodyPdf = pdf ? (await import('./services/custody-pdf.js')).custodyPdf : null;
      ledger.tx(() => ledger.audit.append(now, user.username, 'custody.reported', `recording/${rec.id}`, { format: pdf ? 'pdf' : 'json', events: report.events.length }));
      if (!custodyPdf) return report;
      const bytes = await custodyPdf(report, deps.config.reports.cjkFont, deps.config.reports.cjkFontName);
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `inline; filename="custody-${(rec.evidenceNo ?? String(rec.id)).replace(/[^A-Za-z0-9._-]/g, '_')}.pdf"`)
        .send(bytes);
    },
  );
};
