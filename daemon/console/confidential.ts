import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { CONFIDENTIAL_CLASSES } from '../ledger/catalogue.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { userOf } from './guard.js';
import { IdParam } from './schemas.js';
import { ServiceError } from './services/errors.js';

const MarkBody = Type.Object(
  { class: Type.Union(CONFIDENTIAL_CLASSES.map((c) => Type.Literal(c))), reason: Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' }) },
  { additionalProperties: false },
);
const MarkSchema = Type.Object({ recordingId: Type.Integer(), class: Type.String(), reason: Type.String(), markedBy: Type.String(), markedAt: Type.String() });

/**
 * Confidential footage (004 §14: state secrets, commercial secrets, personal privacy): supervisors and legal mark
 * and unmark it with a reason, audited. A marked recording is then seen only by its own officer, supervisors,
 * legal and holders of an approved request: in search, detail, thumbnails, playback, exports, the register,
 * case pages and the custody report (services/access.ts).
 */
export const confidentialPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger } = deps;

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof MarkBody> }>(
    '/api/recordings/:id/confidential',
    { config: { action: 'confidential.mark' }, schema: { params: IdParam, body: MarkBody, response: { 200: MarkSchema, '4xx': ErrorBody } } },
    async (req) => {
      const rec = ledger.recordings.get(req.params.id);
      if (!rec) throw new ServiceError('not_found', `no recording ${req.params.id}`);
      const by = userOf(req).username;
      const now = deps.clock.now();
      const mark = { recordingId: rec.id, class: req.body.class, reason: req.body.reason.trim(), markedBy: by, markedAt: deps.iso(now), markedAtMs: now };
      ledger.tx(() => {
        ledger.catalogue.markConfidential(mark);
        ledger.audit.append(now, by, 'recording.confidential_marked', String(rec.id), { class: mark.class, reason: mark.reason });
      });
      return mark;
    },
  );

  app.delete<{ Params: Static<typeof IdParam> }>(
    '/api/recordings/:id/confidential',
    { config: { action: 'confidential.mark' }, schema: { params: IdParam, response: { 200: Type.Object({ ok: Type.Boolean() }), '4xx': ErrorBody } } },
    async (req) => {
      const by = userOf(req).username;
      const now = deps.clock.now();
      const before = ledger.catalogue.confidential(req.params.id);
      if (!before) throw new ServiceError('not_found', `recording ${req.params.id} is not marked confidential`);
      ledger.tx(() => {
        ledger.catalogue.unmarkConfidential(req.params.id);
        ledger.audit.append(now, by, 'recording.confidential_unmarked', String(req.params.id), { class: before.class, reason: before.reason, markedBy: before.markedBy });
      });
      return { ok: true };
    },
  );
};
