import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ListOf, ListQuery, decodeCursor, page } from './pagination.js';
import { SessionSchema } from './schemas.js';
import { sessionView } from './views.js';

const SessionsQuery = Type.Object({ ...ListQuery, serial: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,8}$' })) }, { additionalProperties: false });
type SessionCursor = [number, string];
const isSessionCursor = (v: unknown): v is SessionCursor => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string';

/** `GET /api/sessions`: docking sessions, newest first, with drift and result (`interrupted` when cut off). */
export const sessionsPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  app.get<{ Querystring: Static<typeof SessionsQuery> }>(
    '/api/sessions',
    { config: { action: 'registry.read' }, schema: { querystring: SessionsQuery, response: { 200: ListOf(SessionSchema), '4xx': ErrorBody } } },
    async (req) => {
      const c = decodeCursor(req.query.cursor, isSessionCursor);
      const rows = deps.ledger.sessions.list({
        limit: req.query.limit + 1,
        ...(req.query.serial ? { serial: req.query.serial } : {}),
        ...(c ? { beforeStartedAtMs: c[0], beforeId: c[1] } : {}),
      });
      return page(rows, req.query.limit, (s): SessionCursor => [s.startedAtMs, s.id], (s) => sessionView(s, deps.iso));
    },
  );
};
