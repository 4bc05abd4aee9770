import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { parseQueryTime } from '../policy/time-format.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { emptyBodyIsObject } from './params.js';
import { ListOf, ListQuery, decodeCursor, isInt, page } from './pagination.js';
import { FindingSchema, IdParam, OfficerNo } from './schemas.js';
import { ServiceError } from './services/errors.js';
import { FindingWorkflow, JUSTIFICATION_REASONS, canReadFinding } from './services/findings.js';
import { findingView } from './views.js';
import { userOf, scopeOfRequest } from './guard.js';

const STATES = ['open', 'justified', 'approved', 'rejected', 'info'] as const;
const FindingsQuery = Type.Object(
  {
    ...ListQuery,
    kind: Type.Optional(Type.String({ pattern: '^[a-z_]{1,32}$' })),
    state: Type.Optional(Type.Union(STATES.map((s) => Type.Literal(s)))),
    serial: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,8}$' })),
    officer: Type.Optional(OfficerNo),
  },
  { additionalProperties: false },
);
const Text = Type.String({ minLength: 1, maxLength: 2000 });
const JustifyBody = Type.Object(
  {
    reason: Type.Union(JUSTIFICATION_REASONS.map((r) => Type.Literal(r))),
    text: Text,
    /** With `remote_duty` (004 §13): when the officer returned to the unit, ISO 8601 (local time in the dock's zone without an offset). */
    returnedAt: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}', maxLength: 40 })),
  },
  { additionalProperties: false },
);
const ApproveBody = Type.Object({ text: Type.Optional(Text) }, { additionalProperties: false });
const RejectBody = Type.Object({ text: Text }, { additionalProperties: false });

/** Findings and their justification workflow. */
export const findingsPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const flow = new FindingWorkflow(deps.ledger, deps.clock.now, deps.config.timezone);
  const answer = { 200: FindingSchema, '4xx': ErrorBody };

  app.get<{ Querystring: Static<typeof FindingsQuery> }>(
    '/api/findings',
    { config: { action: 'findings.read' }, schema: { querystring: FindingsQuery, response: { 200: ListOf(FindingSchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      let officerNo = q.officer;
      if (scopeOfRequest(req) === 'own') {
        if (officerNo !== undefined && officerNo !== userOf(req).username) throw new ServiceError('forbidden', 'officers read only their own findings');
        officerNo = userOf(req).username;
      }
      const beforeId = decodeCursor(q.cursor, isInt);
      const rows = deps.ledger.findings.query({
        limit: q.limit + 1,
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.state ? { state: q.state } : {}),
        ...(q.serial ? { serial: q.serial } : {}),
        ...(officerNo ? { officerNo } : {}),
        ...(beforeId !== undefined ? { beforeId } : {}),
      });
      return page(rows, q.limit, (f) => f.id, (f) => findingView(f, deps.iso));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/findings/:id',
    { config: { action: 'findings.read' }, schema: { params: IdParam, response: answer } },
    async (req) => {
      const f = deps.ledger.findings.get(req.params.id);
      if (!f) throw new ServiceError('not_found', `no finding ${req.params.id}`);
      if (!canReadFinding(userOf(req), scopeOfRequest(req), f)) throw new ServiceError('forbidden', 'officers read only their own findings');
      return findingView(f, deps.iso);
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof JustifyBody> }>(
    '/api/findings/:id/justify',
    { config: { action: 'findings.justify' }, schema: { params: IdParam, body: JustifyBody, response: answer } },
    async (req) => {
      const { returnedAt } = req.body;
      const returnedAtMs = returnedAt === undefined ? null : parseQueryTime(returnedAt, deps.config.timezone);
      if (returnedAtMs === null && returnedAt !== undefined) throw new ServiceError('invalid', 'body.returnedAt: not an ISO 8601 date and time', 'returnedAt');
      return findingView(flow.justify(req.params.id, userOf(req), scopeOfRequest(req), req.body.reason, req.body.text, returnedAtMs), deps.iso);
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof ApproveBody> }>(
    '/api/findings/:id/approve',
    { config: { action: 'findings.decide' }, preValidation: emptyBodyIsObject, schema: { params: IdParam, body: ApproveBody, response: answer } },
    async (req) => findingView(flow.decide(req.params.id, userOf(req), 'approved', req.body.text ?? null), deps.iso),
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof RejectBody> }>(
    '/api/findings/:id/reject',
    { config: { action: 'findings.decide' }, schema: { params: IdParam, body: RejectBody, response: answer } },
    async (req) => findingView(flow.decide(req.params.id, userOf(req), 'rejected', req.body.text), deps.iso),
  );
};
