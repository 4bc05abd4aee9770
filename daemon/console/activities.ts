import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ListOf, ListQuery, decodeCursor, isInt, page } from './pagination.js';
import { TimeQuery, timeParam } from './params.js';
import { ActivitySchema, OfficerNo } from './schemas.js';
import type { ActivityService } from './services/activities.js';
import { ServiceError } from './services/errors.js';
import { activityView } from './views.js';
import { userOf, scopeOfRequest } from './guard.js';

const ActivityBody = Type.Object(
  {
    officerNo: OfficerNo,
    start: Type.String(TimeQuery),
    end: Type.String(TimeQuery),
    caseRef: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    title: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
const ActivitiesQuery = Type.Object({ ...ListQuery, officer: Type.Optional(OfficerNo), case: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

/** Declared enforcement activities; declaring one (and each return of a recorder) checks it for gaps. */
export const activitiesPlugin: FastifyPluginAsync<{ deps: ConsoleDeps; activities: ActivityService }> = async (app, { deps, activities }) => {
  app.post<{ Body: Static<typeof ActivityBody> }>(
    '/api/activities',
    {
      config: { action: 'activities.write' },
      schema: { body: ActivityBody, response: { 201: Type.Object({ activity: ActivitySchema, gapsRaised: Type.Integer() }), '4xx': ErrorBody } },
    },
    async (req, reply) => {
      const b = req.body;
      if (scopeOfRequest(req) === 'own' && b.officerNo !== userOf(req).username) throw new ServiceError('forbidden', 'officers declare their own activities only');
      const zone = deps.config.timezone;
      const startMs = timeParam(b.start, 'start', zone)!;
      const endMs = timeParam(b.end, 'end', zone)!;
      const out = activities.declare({ officerNo: b.officerNo, startMs, endMs, caseRef: b.caseRef, title: b.title }, userOf(req).username);
      return reply.code(201).send({ activity: activityView(out.activity, deps.iso), gapsRaised: out.gapsRaised });
    },
  );

  app.get<{ Querystring: Static<typeof ActivitiesQuery> }>(
    '/api/activities',
    { config: { action: 'recordings.search' }, schema: { querystring: ActivitiesQuery, response: { 200: ListOf(ActivitySchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      let officerNo = q.officer;
      if (scopeOfRequest(req) === 'own') {
        if (officerNo !== undefined && officerNo !== userOf(req).username) throw new ServiceError('forbidden', 'officers read only their own activities');
        officerNo = userOf(req).username;
      }
      const beforeId = decodeCursor(q.cursor, isInt);
      const rows = deps.ledger.activities.list({ limit: q.limit + 1, ...(officerNo ? { officerNo } : {}), ...(q.case ? { caseRef: q.case } : {}), ...(beforeId !== undefined ? { beforeId } : {}) });
      return page(rows, q.limit, (a) => a.id, (a) => activityView(a, deps.iso));
    },
  );
};
