import { randomInt } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { HasherBusyError, MAX_PASSWORD_LENGTH } from '../ledger/passwords.js';
import { ROLES, UserError, seesFootage, validateNewUser, validateUsername, type Role, type User } from '../ledger/users.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { userOf } from './guard.js';
import { ListOf, ListQuerySchema, decodeCursor, isStr, type ListQueryT } from './pagination.js';
import { encodeCursor } from './pagination.js';
import { ServiceError } from './services/errors.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
const PendingSchema = Type.Union([
  Type.Object({ kind: Type.Union([Type.Literal('account'), Type.Literal('role'), Type.Literal('reset')]), role: RoleSchema, requestedBy: Type.String(), requestedAt: Type.String() }),
  Type.Null(),
]);
const UserSchema = Type.Object({ username: Type.String(), role: RoleSchema, disabled: Type.Boolean(), mustChangePassword: Type.Boolean(), pending: PendingSchema });
const NewUser = Type.Object(
  { username: Type.String({ minLength: 2, maxLength: 64 }), role: RoleSchema, password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) },
  { additionalProperties: false },
);
const UserParam = Type.Object({ username: Type.String({ pattern: '^[A-Za-z0-9._-]{2,64}$' }) }, { additionalProperties: false });
const DisabledBody = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false });
const RoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });
const ResetAnswer = Type.Object({ user: UserSchema, temporaryPassword: Type.String() });

/** A temporary password for a reset: 20 characters from an alphabet without look-alikes (about 100 bits). */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
const temporaryPassword = () => Array.from({ length: 20 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

/**
 * Console accounts. Administrators manage them but see no footage, so a grant of a role that can see footage
 * made here (a new account, a role change, a reset password of such an account) takes effect only when a
 * supervisor other than the one who asked confirms it; the CLI on the appliance makes accounts that take
 * effect at once. Every change and its audit entry are one ledger transaction; a change of password or role,
 * and disabling, end every session of the user.
 */
export const usersPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger } = deps;
  const view = (u: User) => ({
    username: u.username,
    role: u.role,
    disabled: u.disabled,
    mustChangePassword: u.mustChangePassword,
    pending: u.pending ? { kind: u.pending.kind, role: u.pending.role, requestedBy: u.pending.by, requestedAt: deps.iso(u.pending.atMs) } : null,
  });
  const hashed = (password: string) =>
    ledger.users.hashPassword(password).catch((e: unknown) => {
      throw e instanceof HasherBusyError ? new ServiceError('busy', 'the dock is busy checking passwords; try again in a moment') : e;
    });
  const existing = (username: string): User => {
    const u = ledger.users.get(username);
    if (!u) throw new ServiceError('not_found', `no user ${username}`);
    return u;
  };

  app.get<{ Querystring: ListQueryT }>(
    '/api/users',
    { config: { action: 'users.manage' }, schema: { querystring: ListQuerySchema, response: { 200: ListOf(UserSchema), '4xx': ErrorBody } } },
    async (req) => {
      const after = decodeCursor(req.query.cursor, isStr) ?? '';
      const rows = ledger.users.list().filter((u) => u.username > after);
      const items = rows.slice(0, req.query.limit);
      return { items: items.map(view), next: rows.length > req.query.limit ? encodeCursor(items[items.length - 1]!.username) : null };
    },
  );

  /** An officer's account is their officer number, which must be in the registry (issue 18: one was made for a number that was not). */
  const inRegistry = (username: string, role: Role) => {
    if (role === 'officer' && !ledger.officers.get(username)) throw new ServiceError('invalid', `body.username: officer number ${username} is not in the officer registry; add the officer first`, 'username');
  };

  app.post<{ Body: Static<typeof NewUser> }>(
    '/api/users',
    { config: { action: 'users.manage' }, schema: { body: NewUser, response: { 201: UserSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const by = userOf(req).username;
      const { username, role, password } = req.body;
      validateNewUser(username, role, password);
      if (ledger.users.get(username)) throw new UserError('exists', 'username', `user "${username}" exists`);
      inRegistry(username, role);
      const hash = await hashed(password);
      const at = deps.clock.now();
      const u = ledger.tx(() => {
        const added = ledger.users.insertHashed(username, role, hash, at, { pendingBy: by });
        ledger.audit.append(at, by, 'user.added', username, { role, ...(added.pending ? { pending: 'a supervisor must confirm this grant' } : {}) });
        return added;
      });
      return reply.code(201).send(view(u));
    },
  );

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof DisabledBody> }>(
    '/api/users/:username/disabled',
    { config: { action: 'users.manage' }, schema: { params: UserParam, body: DisabledBody, response: { 200: UserSchema, '4xx': ErrorBody } } },
    async (req) => {
      const by = userOf(req).username;
      const { username } = req.params;
      existing(username);
      if (username === by && req.body.disabled) throw new ServiceError('conflict', 'admins do not disable their own account');
      const at = deps.clock.now();
      ledger.tx(() => {
        const u = existing(username);
        ledger.users.setDisabled(username, req.body.disabled);
        const ended = req.body.disabled ? ledger.webSessions.deleteForUser(username) : 0;
        // Enabling a disabled account that can see footage grants that footage again: a supervisor confirms it.
        const regrant = !req.body.disabled && u.disabled && seesFootage(u.pending?.role ?? u.role) && !u.pending;
        if (regrant) ledger.users.setPending(username, { kind: 'account', role: u.role, by, atMs: at });
        ledger.audit.append(at, by, req.body.disabled ? 'user.disabled' : 'user.enabled', username, req.body.disabled ? { sessionsEnded: ended } : regrant ? { pending: 'a supervisor must confirm this grant' } : {});
      });
      return view(existing(username));
    },
  );

  /** Change a role. Gaining a role that can see footage waits for a supervisor; any other change is at once. */
  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof RoleBody> }>(
    '/api/users/:username/role',
    { config: { action: 'users.manage' }, schema: { params: UserParam, body: RoleBody, response: { 200: UserSchema, '4xx': ErrorBody } } },
    async (req) => {
      const by = userOf(req).username;
      const { username } = req.params;
      const u = existing(username);
      const role: Role = req.body.role;
      validateUsername(username, role);
      inRegistry(username, role);
      if (username === by) throw new ServiceError('conflict', 'administrators do not change their own role');
      if (role === u.role && !u.pending) throw new ServiceError('conflict', `${username} is ${role} already`);
      const at = deps.clock.now();
      ledger.tx(() => {
        if (seesFootage(role) && !(role === u.role && u.pending?.kind === 'role')) {
          ledger.users.setPending(username, { kind: u.pending?.kind === 'account' || u.pending?.kind === 'reset' ? u.pending.kind : 'role', role, by, atMs: at });
          ledger.audit.append(at, by, 'user.role.requested', username, { from: u.role, to: role, pending: 'a supervisor must confirm this grant' });
        } else {
          ledger.users.setRole(username, role);
          const ended = ledger.webSessions.deleteForUser(username);
          ledger.audit.append(at, by, 'user.role.changed', username, { from: u.role, to: role, sessionsEnded: ended, ...(u.pending ? { pendingDropped: u.pending.kind } : {}) });
        }
      });
      return view(existing(username));
    },
  );

  /**
   * An administrator's reset: a new temporary password (answered once, stored hashed) that must be changed at
   * the next login; every session of the user ends. For an account that can see footage the temporary password
   * works only once a supervisor confirms the reset (the administrator who knows it must not become that user).
   */
  app.post<{ Params: Static<typeof UserParam> }>(
    '/api/users/:username/reset',
    { config: { action: 'users.manage' }, schema: { params: UserParam, response: { 200: ResetAnswer, '4xx': ErrorBody } } },
    async (req) => {
      const by = userOf(req).username;
      const { username } = req.params;
      existing(username);
      const password = temporaryPassword();
      const hash = await hashed(password);
      const at = deps.clock.now();
      ledger.tx(() => {
        const u = existing(username);
        ledger.users.setPasswordHash(username, hash, at, true);
        const ended = ledger.webSessions.deleteForUser(username);
        const target = u.pending?.role ?? u.role;
        const pending = username !== by && seesFootage(target);
        if (pending) ledger.users.setPending(username, { kind: u.pending?.kind === 'account' ? 'account' : 'reset', role: target, by, atMs: at });
        ledger.audit.append(at, by, 'user.password.reset', username, { sessionsEnded: ended, ...(pending ? { pending: 'a supervisor must confirm this reset' } : {}) });
      });
      return { user: view(existing(username)), temporaryPassword: password };
    },
  );

  app.get(
    '/api/users/pending',
    { config: { action: 'users.confirm' }, schema: { response: { 200: Type.Object({ items: Type.Array(UserSchema) }), '4xx': ErrorBody } } },
    async () => ({ items: ledger.users.listPending().map(view) }),
  );

  /** A supervisor confirms a grant made by someone else (never their own, never one for themselves). */
  app.post<{ Params: Static<typeof UserParam> }>(
    '/api/users/:username/confirm',
    { config: { action: 'users.confirm' }, schema: { params: UserParam, response: { 200: UserSchema, '4xx': ErrorBody } } },
    async (req) => {
      const by = userOf(req).username;
      const { username } = req.params;
      const u = existing(username);
      if (!u.pending) throw new ServiceError('conflict', `${username} has no grant waiting for confirmation`);
      if (u.pending.by === by) throw new ServiceError('forbidden', 'a grant is confirmed by a supervisor other than the one who asked');
      if (username === by) throw new ServiceError('forbidden', 'nobody confirms a grant to themselves');
      const at = deps.clock.now();
      ledger.tx(() => {
        ledger.users.confirmPending(username);
        const ended = ledger.webSessions.deleteForUser(username);
        ledger.audit.append(at, by, 'user.grant.confirmed', username, { kind: u.pending!.kind, from: u.role, role: u.pending!.role, requestedBy: u.pending!.by, sessionsEnded: ended });
      });
      return view(existing(username));
    },
  );

  /** A supervisor refuses a grant: a role change is dropped; a new account or a reset account is disabled. */
  app.post<{ Params: Static<typeof UserParam> }>(
    '/api/users/:username/reject',
    { config: { action: 'users.confirm' }, schema: { params: UserParam, response: { 200: UserSchema, '4xx': ErrorBody } } },
    async (req) => {
      const by = userOf(req).username;
      const { username } = req.params;
      const u = existing(username);
      if (!u.pending) throw new ServiceError('conflict', `${username} has no grant waiting for confirmation`);
      if (username === by) throw new ServiceError('forbidden', 'nobody decides a grant to themselves');
      const at = deps.clock.now();
      ledger.tx(() => {
        ledger.users.clearPending(username);
        if (u.pending!.kind !== 'role') ledger.users.setDisabled(username, true);
        ledger.webSessions.deleteForUser(username);
        ledger.audit.append(at, by, 'user.grant.rejected', username, { kind: u.pending!.kind, role: u.pending!.role, requestedBy: u.pending!.by });
      });
      return view(existing(username));
    },
  );
};
