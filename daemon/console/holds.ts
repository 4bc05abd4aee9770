import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { HOLD_REASONS, type Hold } from '../ledger/holds.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { userOf } from './guard.js';
import { ListOf, ListQuery, decodeCursor, isInt, page } from './pagination.js';
import { IdParam, NStr } from './schemas.js';
import { ServiceError } from './services/errors.js';

const CaseRef = Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' });
const HoldBody = Type.Object(
  {
    recordingIds: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 1000 }),
    reason: Type.Union(HOLD_REASONS.map((r) => Type.Literal(r))),
    caseRef: CaseRef,
    note: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  },
  { additionalProperties: false },
);
const ReleaseBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) }, { additionalProperties: false });
const HoldsQuery = Type.Object(
  {
    ...ListQuery,
    active: Type.Optional(Type.Boolean()),
    case: Type.Optional(CaseRef),
    recording: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const HoldSchema = Type.Object({
  id: Type.Integer(),
  reason: Type.String(),
  caseRef: Type.String(),
  note: NStr,
  recordingIds: Type.Array(Type.Integer()),
  placedBy: Type.String(),
  placedAt: Type.String(),
  active: Type.Boolean(),
  releasedBy: NStr,
  releasedAt: NStr,
  releaseReason: NStr,
  /** Who confirmed a release that needed a second person (a purge follows it), or null. */
  releaseConfirmedBy: NStr,
  /** A release asked for and waiting for a second supervisor or legal reviewer. */
  releaseRequest: Type.Union([Type.Object({ requestedBy: Type.String(), requestedAt: Type.String(), reason: Type.String() }), Type.Null()]),
});

export const holdView = (h: Hold) => ({
  id: h.id,
  reason: h.reason,
  caseRef: h.caseRef,
  note: h.note,
  recordingIds: h.recordingIds,
  placedBy: h.placedBy,
  placedAt: h.placedAt,
  active: h.releasedAtMs === null,
  releasedBy: h.releasedBy,
  releasedAt: h.releasedAt,
  releaseReason: h.releaseReason,
  releaseConfirmedBy: h.releaseConfirmedBy,
  releaseRequest: h.releaseRequest ? { requestedBy: h.releaseRequest.by, requestedAt: h.releaseRequest.at, reason: h.releaseRequest.reason } : null,
});

/** Long-term preservation holds (004 §16): placed and released by supervisor or legal, with reasons, audited. */
export const holdsPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const services = deps.retention;
  if (!services) return;
  const { service } = services;

  app.post<{ Body: Static<typeof HoldBody> }>(
    '/api/holds',
    { config: { action: 'holds.manage' }, schema: { body: HoldBody, response: { 201: HoldSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const h = await service.placeHold({ ...req.body, note: req.body.note ?? null }, userOf(req).username);
      return reply.code(201).send(holdView(h));
    },
  );

  /**
   * Release a hold. Releasing one someone else placed, when a purge would follow, answers 202: the hold stays
   * active with a release request until a second supervisor or legal reviewer confirms it (004 §16).
   */
  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ReleaseBody> }>(
    '/api/holds/:id/release',
    { config: { action: 'holds.manage' }, schema: { params: IdParam, body: ReleaseBody, response: { 200: HoldSchema, 202: HoldSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const h = await service.releaseHold(req.params.id, req.body.reason, userOf(req).username);
      return reply.code(h.releasedAtMs === null ? 202 : 200).send(holdView(h));
    },
  );

  app.post<{ Params: Static<typeof IdParam> }>(
    '/api/holds/:id/release/confirm',
    { config: { action: 'holds.manage' }, schema: { params: IdParam, response: { 200: HoldSchema, '4xx': ErrorBody } } },
    async (req) => holdView(await service.confirmRelease(req.params.id, userOf(req).username)),
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ReleaseBody> }>(
    '/api/holds/:id/release/decline',
    { config: { action: 'holds.manage' }, schema: { params: IdParam, body: ReleaseBody, response: { 200: HoldSchema, '4xx': ErrorBody } } },
    async (req) => holdView(await service.declineRelease(req.params.id, req.body.reason, userOf(req).username)),
  );

  app.get<{ Querystring: Static<typeof HoldsQuery> }>(
    '/api/holds',
    { config: { action: 'holds.read' }, schema: { querystring: HoldsQuery, response: { 200: ListOf(HoldSchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      const beforeId = decodeCursor(q.cursor, isInt);
      const rows = deps.ledger.holds.list({
        limit: q.limit + 1,
        ...(beforeId !== undefined ? { beforeId } : {}),
        ...(q.active !== undefined ? { active: q.active } : {}),
        ...(q.case ? { caseRef: q.case } : {}),
        ...(q.recording ? { recordingId: q.recording } : {}),
      });
      return page(rows, q.limit, (h) => h.id, holdView);
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/holds/:id',
    { config: { action: 'holds.read' }, schema: { params: IdParam, response: { 200: HoldSchema, '4xx': ErrorBody } } },
    async (req) => {
      const h = deps.ledger.holds.get(req.params.id);
      if (!h) throw new ServiceError('not_found', `no hold ${req.params.id}`);
      return holdView(h);
    },
  );
};
