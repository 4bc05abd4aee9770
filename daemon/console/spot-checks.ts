import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { SpotCheck } from '../ledger/spot-checks.js';
import { CHECKLIST } from '../policy/spot-check.js';
import { parseQueryTime } from '../policy/time-format.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { userOf } from './guard.js';
import { ListOf, ListQuery, decodeCursor, isInt, page } from './pagination.js';
import { IdParam, NInt, NStr, OfficerNo } from './schemas.js';
import { ServiceError } from './services/errors.js';
import { MAX_SAMPLE, SpotCheckService } from './services/spot-checks.js';

const LocalTime = Type.String({ minLength: 10, maxLength: 40 });
const DrawBody = Type.Object(
  {
    size: Type.Integer({ minimum: 1, maximum: MAX_SAMPLE }),
    unitNo: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    officerNo: Type.Optional(Type.Union([OfficerNo, Type.Null()])),
    /** Recordings started at or after (local time of the dock, or with an offset). */
    from: Type.Optional(Type.Union([LocalTime, Type.Null()])),
    /** Recordings started before. */
    to: Type.Optional(Type.Union([LocalTime, Type.Null()])),
  },
  { additionalProperties: false },
);
const ScoreBody = Type.Object(
  {
    recordingId: Type.Integer({ minimum: 1 }),
    items: Type.Array(
      Type.Object({ item: Type.String({ minLength: 1, maxLength: 64 }), pass: Type.Boolean(), note: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 50 },
    ),
    comment: Type.String({ maxLength: 4000 }),
  },
  { additionalProperties: false },
);
const ListQ = Type.Object({ ...ListQuery, mine: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

const ItemScore = Type.Object({ item: Type.String(), pass: Type.Boolean(), note: NStr });
export const SpotCheckSchema = Type.Object({
  id: Type.Integer(),
  drawnBy: Type.String(),
  drawnAt: Type.String(),
  reviewer: NStr,
  seed: Type.String(),
  auditHead: Type.String(),
  algorithm: Type.String(),
  inputs: Type.Object({
    size: Type.Integer(),
    unitNo: NStr,
    officerNo: NStr,
    from: NStr,
    to: NStr,
    maxRecordingId: Type.Integer(),
    reviewers: Type.Array(Type.String()),
  }),
  candidates: Type.Integer(),
  candidatesSha256: Type.String(),
  completedAt: NStr,
  /** The sampled recordings' ids, in the order drawn. */
  recordings: Type.Array(Type.Integer()),
  /** Each sampled recording with its officer and the reviewer's score (null fields until scored). */
  reviews: Type.Array(
    Type.Object({
      recordingId: Type.Integer(),
      position: Type.Integer(),
      officerNo: NStr,
      officerName: NStr,
      unitNo: NStr,
      unitName: NStr,
      evidenceNo: NStr,
      recordedStart: NStr,
      durationMs: NInt,
      scoredBy: NStr,
      scoredAt: NStr,
      items: Type.Union([Type.Array(ItemScore), Type.Null()]),
      comment: NStr,
      passed: NInt,
      failed: NInt,
    }),
  ),
});

const RedrawSchema = Type.Object({
  id: Type.Integer(),
  seed: Type.String(),
  recordings: Type.Array(Type.Integer()),
  reviewer: NStr,
  candidates: Type.Integer(),
  candidatesSha256: Type.String(),
  same: Type.Boolean(),
});

/**
 * Supervisors' random reviews (R13, 004 §17): draw, list, the checklist, re-run a draw, score a sampled recording,
 * and each unit's last review. The reviewer plays a sampled recording through the media route with
 * `?spotCheck=<id>`, so the access register shows the ground `spot-check/<id>`.
 */
export const spotChecksPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const service = new SpotCheckService(deps.ledger, deps.clock.now, deps.iso, deps.config.timezone);
  const zone = deps.config.timezone;
  const time = (s: string | null | undefined, field: string): number | null => {
    if (!s) return null;
    const ms = parseQueryTime(s, zone);
    if (ms === null) throw new ServiceError('invalid', `body.${field}: not a time (yyyy-MM-dd or yyyy-MM-ddTHH:mm, local time of the dock)`, field);
    return ms;
  };
  const view = (s: SpotCheck) => ({
    id: s.id,
    drawnBy: s.drawnBy,
    drawnAt: s.drawnAt,
    reviewer: s.reviewer,
    seed: s.seed,
    auditHead: s.auditHead,
    algorithm: s.algorithm,
    inputs: {
      size: s.inputs.size,
      unitNo: s.inputs.unitNo,
      officerNo: s.inputs.officerNo,
      from: s.inputs.fromMs === null ? null : deps.iso(s.inputs.fromMs),
      to: s.inputs.toMs === null ? null : deps.iso(s.inputs.toMs),
      maxRecordingId: s.inputs.maxRecordingId,
      reviewers: s.inputs.reviewers,
    },
    candidates: s.candidates,
    candidatesSha256: s.candidatesSha256,
    completedAt: s.completedAtMs === null ? null : deps.iso(s.completedAtMs),
    recordings: s.recordings.map((r) => r.recordingId),
    reviews: s.recordings.map((r) => {
      const rec = deps.ledger.recordings.get(r.recordingId);
      const officer = r.officerNo ? deps.ledger.officers.get(r.officerNo) : null;
      return {
        recordingId: r.recordingId,
        position: r.position,
        officerNo: r.officerNo,
        officerName: officer?.name ?? null,
        unitNo: r.unitNo,
        unitName: officer && officer.unitNo === r.unitNo ? officer.unitName : null,
        evidenceNo: deps.ledger.catalogue.evidenceNo(r.recordingId),
        recordedStart: rec ? (rec.correctedStart ?? rec.recordedStart) : null,
        durationMs: rec?.durationMs ?? null,
        scoredBy: r.scoredBy,
        scoredAt: r.scoredAt,
        items: r.items,
        comment: r.comment,
        passed: r.passed,
        failed: r.failed,
      };
    }),
  });

  app.post<{ Body: Static<typeof DrawBody> }>(
    '/api/spot-checks',
    { config: { action: 'spot-checks' }, schema: { body: DrawBody, response: { 201: SpotCheckSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const b = req.body;
      const s = service.draw(userOf(req), { size: b.size, unitNo: b.unitNo ?? null, officerNo: b.officerNo ?? null, fromMs: time(b.from, 'from'), toMs: time(b.to, 'to') });
      return reply.code(201).send(view(s));
    },
  );

  app.get<{ Querystring: Static<typeof ListQ> }>(
    '/api/spot-checks',
    { config: { action: 'spot-checks' }, schema: { querystring: ListQ, response: { 200: ListOf(SpotCheckSchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      const beforeId = decodeCursor(q.cursor, isInt);
      const rows = deps.ledger.spotChecks.list({ limit: q.limit + 1, ...(beforeId !== undefined ? { beforeId } : {}), ...(q.mine ? { reviewer: userOf(req).username } : {}) });
      return page(rows, q.limit, (s) => s.id, view);
    },
  );

  app.get(
    '/api/spot-checks/checklist',
    { config: { action: 'spot-checks' }, schema: { response: { 200: Type.Array(Type.Object({ item: Type.String(), text: Type.String(), rule: Type.String() })) } } },
    async () => CHECKLIST,
  );

  app.get(
    '/api/spot-checks/units',
    {
      config: { action: 'spot-checks' },
      schema: { response: { 200: Type.Array(Type.Object({ unitNo: Type.String(), unitName: Type.String(), lastReviewAt: NStr, reviewedThisYear: Type.Boolean(), year: Type.Integer() })) } },
    },
    async () => service.units(),
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/spot-checks/:id',
    { config: { action: 'spot-checks' }, schema: { params: IdParam, response: { 200: SpotCheckSchema, '4xx': ErrorBody } } },
    async (req) => view(service.get(req.params.id)),
  );

  /** Re-run the draw from its stored seed and inputs: anyone with the right sees the same sample come out. */
  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/spot-checks/:id/redraw',
    { config: { action: 'spot-checks' }, schema: { params: IdParam, response: { 200: RedrawSchema, '4xx': ErrorBody } } },
    async (req) => service.redraw(req.params.id),
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ScoreBody> }>(
    '/api/spot-checks/:id/score',
    { config: { action: 'spot-checks' }, schema: { params: IdParam, body: ScoreBody, response: { 200: SpotCheckSchema, '4xx': ErrorBody } } },
    async (req) => view(service.score(req.params.id, userOf(req), req.body)),
  );
};
