import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ROLES } from '../ledger/users.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ListOf, ListQuerySchema, decodeCursor, isStr, type ListQueryT } from './pagination.js';
import { encodeCursor } from './pagination.js';
import { ServiceError } from './services/errors.js';

const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const UserSchema = Type.Object({ username: Type.String(), role: Role, disabled: Type.Boolean() });
const NewUser = Type.Object({ username: Type.String({ minLength: 2, maxLength: 64 }), role: Role, password: Type.String({ minLength: 8, maxLength: 1024 }) }, { additionalProperties: false });
const UserParam = Type.Object({ username: Type.String({ pattern: '^[A-Za-z0-9._-]{2,64}$' }) }, { additionalProperties: false });
const DisabledBody = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false });

/** Account management for admins (who see no footage). Disabling a user ends their login sessions. */
export const usersPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger } = deps;

  app.get<{ Querystring: ListQueryT }>(
    '/api/users',
    { config: { action: 'users.manage' }, schema: { querystring: ListQuerySchema, response: { 200: ListOf(UserSchema), '4xx': ErrorBody } } },
    async (req) => {
      const after = decodeCursor(req.query.cursor, isStr) ?? '';
      const rows = ledger.users.list().filter((u) => u.username > after);
      const items = rows.slice(0, req.query.limit);
      return { items, next: rows.length > req.query.limit ? encodeCursor(items[items.length - 1]!.username) : null };
    },
  );

  app.post<{ Body: Static<typeof NewUser> }>(
    '/api/users',
    { config: { action: 'users.manage' }, schema: { body: NewUser, response: { 201: UserSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const { username, role, password } = req.body;
      const at = deps.clock.now();
      await ledger.users.add(username, role, password, at);
      ledger.tx(() => ledger.audit.append(at, req.user!.username, 'user.added', username, { role }));
      return reply.code(201).send(ledger.users.get(username)!);
    },
  );

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof DisabledBody> }>(
    '/api/users/:username/disabled',
    { config: { action: 'users.manage' }, schema: { params: UserParam, body: DisabledBody, response: { 200: UserSchema, '4xx': ErrorBody } } },
    async (req) => {
      const { username } = req.params;
      if (!ledger.users.get(username)) throw new ServiceError('not_found', `no user ${username}`);
      if (username === req.user!.username && req.body.disabled) throw new ServiceError('conflict', 'admins do not disable their own account');
      const at = deps.clock.now();
      ledger.tx(() => {
        ledger.users.setDisabled(username, req.body.disabled);
        if (req.body.disabled) ledger.webSessions.deleteForUser(username);
        ledger.audit.append(at, req.user!.username, req.body.disabled ? 'user.disabled' : 'user.enabled', username, {});
      });
      return ledger.users.get(username)!;
    },
  );
};
