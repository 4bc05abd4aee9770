import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ACCESS_REQUEST_KINDS, type AccessRequest } from '../ledger/access-requests.js';
import type { AccessEntry } from '../ledger/access.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { userOf } from './guard.js';
import { ListOf, ListQuery, decodeCursor, isInt, page } from './pagination.js';
import { TimeQuery, timeParam } from './params.js';
import { scopeOf } from './rights.js';
import { IdParam, NInt, NStr } from './schemas.js';
import { hidesConfidential } from './services/access.js';
import { decideRequest, fileRequest } from './services/access-requests.js';
import { toCsv } from './services/csv.js';
import { ServiceError } from './services/errors.js';

const Line = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const Kind = Type.Union(ACCESS_REQUEST_KINDS.map((k) => Type.Literal(k)));

/** No fee field: consulting the register is free (004 annex 1 §11), so a fee is an unknown field (400). */
const FileBody = Type.Object(
  {
    recordingIds: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 1000 }),
    kind: Kind,
    purpose: Line(1000),
    requester: Type.Optional(Line(200)),
    authority: Type.Optional(Line(200)),
    otherRegion: Type.Optional(Type.Boolean()),
    letterRef: Type.Optional(Line(200)),
    idDocument: Type.Optional(Line(200)),
    lawyer: Type.Optional(Type.Boolean()),
    powerOfAttorney: Type.Optional(Line(200)),
    lawyerLicence: Type.Optional(Line(200)),
  },
  { additionalProperties: false },
);
const ApproveBody = Type.Object({ documentsChecked: Type.Optional(Type.Boolean()), reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });
const DenyBody = Type.Object({ reason: Line(1000) }, { additionalProperties: false });
const RequestsQuery = Type.Object(
  {
    ...ListQuery,
    state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('denied')])),
    kind: Type.Optional(Kind),
    recording: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Only the caller's own requests (what a role without the register sees anyway). */
    mine: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const RegisterQuery = Type.Object(
  {
    ...ListQuery,
    recording: Type.Optional(Type.Integer({ minimum: 1 })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(Type.String(TimeQuery)),
    to: Type.Optional(Type.String(TimeQuery)),
    kind: Type.Optional(Type.Union((['view', 'thumbnail', 'copy', 'export', 'archive'] as const).map((k) => Type.Literal(k)))),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);

const AccessRequestSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  purpose: Type.String(),
  recordingIds: Type.Array(Type.Integer()),
  filedBy: Type.String(),
  filedByRole: Type.String(),
  filedAt: Type.String(),
  requester: NStr,
  authority: NStr,
  otherRegion: Type.Boolean(),
  letterRef: NStr,
  idDocument: NStr,
  lawyer: Type.Boolean(),
  powerOfAttorney: NStr,
  lawyerLicence: NStr,
  state: Type.String(),
  /** `state`, or `expired` for an approval past its time. */
  status: Type.String(),
  decidedBy: NStr,
  decidedByRole: NStr,
  decidedAt: NStr,
  decisionReason: NStr,
  documentsChecked: Type.Boolean(),
  expiresAt: NStr,
});

const EntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  lastAt: Type.String(),
  username: Type.String(),
  role: Type.String(),
  recordingId: Type.Integer(),
  kind: Type.String(),
  ground: Type.String(),
  requestId: NInt,
  requests: Type.Integer(),
});

const requestView = (r: AccessRequest, nowMs: number) => ({
  id: r.id,
  kind: r.kind,
  purpose: r.purpose,
  recordingIds: r.recordingIds,
  filedBy: r.filedBy,
  filedByRole: r.filedByRole,
  filedAt: r.filedAt,
  requester: r.requester,
  authority: r.authority,
  otherRegion: r.otherRegion,
  letterRef: r.letterRef,
  idDocument: r.idDocument,
  lawyer: r.lawyer,
  powerOfAttorney: r.powerOfAttorney,
  lawyerLicence: r.lawyerLicence,
  state: r.state,
  status: r.state === 'approved' && r.expiresAtMs !== null && r.expiresAtMs <= nowMs ? 'expired' : r.state,
  decidedBy: r.decidedBy,
  decidedByRole: r.decidedByRole,
  decidedAt: r.decidedAt,
  decisionReason: r.decisionReason,
  documentsChecked: r.documentsChecked,
  expiresAt: r.expiresAt,
});

/**
 * The access register (查阅登记簿, 004 annex 1): requests to view or copy footage, their approval by the roles the
 * contract names (never by the one who filed), and the register of every view, thumbnail, copy, export and
 * archive image taken (JSON or CSV). No fee is ever asked or recorded (§11).
 */
export const accessPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger } = deps;
  const svc = { ledger, config: deps.config, now: deps.clock.now, iso: deps.iso };
  const readsAll = (req: FastifyRequest) => scopeOf(userOf(req).role, 'access.read') !== null;

  app.post<{ Body: Static<typeof FileBody> }>(
    '/api/access-requests',
    { config: { action: 'access.request' }, schema: { body: FileBody, response: { 201: AccessRequestSchema, '4xx': ErrorBody } } },
    async (req, reply) => reply.code(201).send(requestView(fileRequest(svc, userOf(req), req.body), deps.clock.now())),
  );

  app.get<{ Querystring: Static<typeof RequestsQuery> }>(
    '/api/access-requests',
    { config: { action: 'access.request' }, schema: { querystring: RequestsQuery, response: { 200: ListOf(AccessRequestSchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      const user = userOf(req);
      const beforeId = decodeCursor(q.cursor, isInt);
      const rows = ledger.accessRequests.list({
        limit: q.limit + 1,
        ...(beforeId !== undefined ? { beforeId } : {}),
        ...(q.mine || !readsAll(req) ? { filedBy: user.username } : {}),
        ...(q.state ? { state: q.state } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.recording ? { recordingId: q.recording } : {}),
      });
      const now = deps.clock.now();
      return page(rows, q.limit, (r) => r.id, (r) => requestView(r, now));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/access-requests/:id',
    { config: { action: 'access.request' }, schema: { params: IdParam, response: { 200: AccessRequestSchema, '4xx': ErrorBody } } },
    async (req) => {
      const r = ledger.accessRequests.get(req.params.id);
      if (!r || (r.filedBy !== userOf(req).username && !readsAll(req))) throw new ServiceError('not_found', `no access request ${req.params.id}`);
      return requestView(r, deps.clock.now());
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ApproveBody> }>(
    '/api/access-requests/:id/approve',
    {
      config: { action: 'access.decide' },
      schema: { params: IdParam, body: ApproveBody, response: { 200: AccessRequestSchema, '4xx': ErrorBody } },
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req) => requestView(decideRequest(svc, userOf(req), req.params.id, { approve: true, ...req.body }), deps.clock.now()),
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof DenyBody> }>(
    '/api/access-requests/:id/deny',
    { config: { action: 'access.decide' }, schema: { params: IdParam, body: DenyBody, response: { 200: AccessRequestSchema, '4xx': ErrorBody } } },
    async (req) => requestView(decideRequest(svc, userOf(req), req.params.id, { approve: false, reason: req.body.reason }), deps.clock.now()),
  );

  app.get<{ Querystring: Static<typeof RegisterQuery> }>(
    '/api/access-register',
    { config: { action: 'access.read' }, schema: { querystring: RegisterQuery, response: { 200: ListOf(EntrySchema), '4xx': ErrorBody } } },
    async (req, reply) => {
      const q = req.query;
      const user = userOf(req);
      const zone = deps.config.timezone;
      const fromMs = timeParam(q.from, 'from', zone);
      const toMs = timeParam(q.to, 'to', zone);
      const beforeId = decodeCursor(q.cursor, isInt);
      const filter = {
        ...(q.recording ? { recordingId: q.recording } : {}),
        ...(q.username ? { username: q.username } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        ...(hidesConfidential(user.role) ? { hideConfidential: { username: user.username, nowMs: deps.clock.now() } } : {}),
      };
      const view = (e: AccessEntry) => ({
        id: e.id,
        at: e.at,
        lastAt: deps.iso(e.lastAtMs),
        username: e.username,
        role: e.role,
        recordingId: e.recordingId,
        kind: e.kind,
        ground: e.ground,
        requestId: e.requestId,
        requests: e.requests,
      });
      if (q.format === 'csv') {
        // The whole register for the filter (a paper register has no pages), newest first.
        const rows = ledger.access.list({ ...filter, limit: 1_000_000 });
        const evidence = (id: number) => ledger.catalogue.evidenceNo(id) ?? '';
        const csv = toCsv(
          ['id', 'at', 'lastAt', 'username', 'role', 'recordingId', 'evidenceNo', 'kind', 'ground', 'requestId', 'requests'],
          rows.map((e) => [e.id, e.at, deps.iso(e.lastAtMs), e.username, e.role, e.recordingId, evidence(e.recordingId), e.kind, e.ground, e.requestId, e.requests]),
        );
        ledger.tx(() => ledger.audit.append(deps.clock.now(), user.username, 'access_register.exported', null, { rows: rows.length, filter: { ...q, format: undefined } }));
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="access-register-${deps.config.dockId}.csv"`)
          .send(csv);
      }
      const rows = ledger.access.list({ ...filter, limit: q.limit + 1, ...(beforeId !== undefined ? { beforeId } : {}) });
      return page(rows, q.limit, (e) => e.id, view);
    },
  );
};
