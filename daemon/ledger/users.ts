import { DockError } from '../errors.js';
import type { Db } from './db.js';
import { PASSWORD_PROBLEM_CODES, PasswordHasher, passwordProblem } from './passwords.js';

export const ROLES = ['admin', 'equipment_manager', 'supervisor', 'legal', 'auditor', 'officer'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that can see footage (search, play or read what recordings hold): a console grant of one waits for a supervisor. */
const FOOTAGE_ROLES: readonly Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal', 'auditor'];
export const seesFootage = (role: Role) => FOOTAGE_ROLES.includes(role);

/**
 * The daemon's own actor names in the audit trail (and the tombstones' `approvedBy`): no account may take one,
 * so no entry of a person can pass for one of the dock's (or the reverse). Compared in lowercase.
 */
const RESERVED_USERNAMES: readonly string[] = ['dock', 'cli', 'daemon', 'system', 'retention', 'root', 'console', 'ledger', 'recovery', 'auto-purge', 'nobody', 'anonymous'];

/** The actor of audit entries made for a request without a session (a failed login): the name typed is their subject. */
export const ANONYMOUS = 'anonymous';

/** What a pending grant waits for: a new account, a role change, a reset password (see migration 6). */
export type PendingKind = 'account' | 'role' | 'reset';

export interface PendingGrant {
  kind: PendingKind;
  role: Role;
  by: string;
  atMs: number;
}

export interface User {
  username: string;
  role: Role;
  disabled: boolean;
  /** An administrator reset the password (or the one in use is below today's rules): change it before anything else. */
  mustChangePassword: boolean;
  /** A grant of a role that can see footage waiting for a supervisor's confirmation, or null. */
  pending: PendingGrant | null;
}

interface Row {
  username: string;
  role: Role;
  disabled: number;
  must_change_password: number;
  pending_kind: PendingKind | null;
  pending_role: Role | null;
  pending_by: string | null;
  pending_at_ms: number | null;
}

const COLUMNS = 'username, role, disabled, must_change_password, pending_kind, pending_role, pending_by, pending_at_ms';

const toUser = (r: Row): User => ({
  username: r.username,
  role: r.role,
  disabled: r.disabled === 1,
  mustChangePassword: r.must_change_password === 1,
  pending: r.pending_kind ? { kind: r.pending_kind, role: r.pending_role ?? r.role, by: r.pending_by ?? '', atMs: r.pending_at_ms ?? 0 } : null,
});

/** May this account log in? Not when disabled, nor while the account itself (or its reset password) awaits confirmation. */
export const canLogIn = (u: User) => !u.disabled && u.pending?.kind !== 'account' && u.pending?.kind !== 'reset';

/** Why an account or a password is refused (`field` names the input at fault): the account's, then the password's. */
export const USER_ERROR_CODES = ['unknown_role', 'officer_username', 'bad_username', 'reserved', 'exists', ...PASSWORD_PROBLEM_CODES] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

export class UserError extends DockError<UserErrorCode> {
  readonly domain = 'user';

  constructor(code: UserErrorCode, field: string, message: string) {
    super(code, message, field);
  }
}

export function validateUsername(username: string, role: Role): void {
  if (role === 'officer' && !/^\d{6}$/.test(username)) throw new UserError('officer_username', 'username', "an officer's username is their 6-digit officer number");
  if (!/^[A-Za-z0-9._-]{2,64}$/.test(username)) throw new UserError('bad_username', 'username', 'use 2-64 letters, digits, dot, dash or underscore');
  if (RESERVED_USERNAMES.includes(username.toLowerCase())) throw new UserError('reserved', 'username', `"${username}" is one of the dock's own names in the audit trail`);
}

export function validateNewUser(username: string, role: string, password: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new UserError('unknown_role', 'role', `unknown role "${role}"; one of ${ROLES.join(', ')}`);
  validateUsername(username, role as Role);
  validatePassword(password, username);
}

export function validatePassword(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new UserError(problem.code, 'password', problem.message);
}

/** The result of a login check. */
export interface Authenticated {
  user: User;
  /** The password is right but the account waits for a supervisor's confirmation (a new account, a reset). */
  awaitingConfirmation: boolean;
  /** The password is right but its stored hash is cheaper than today's cost: store this one instead. */
  rehash: string | null;
  /** The password is right but would not be accepted today (an old 8-character one, a common one). */
  weak: boolean;
  /** The password is right but the account is disabled: no session (told so, as only its owner knows the password). */
  disabled?: boolean;
}

/**
 * Console accounts. Writes here are single statements; the console runs each with its audit entry in one
 * ledger transaction (hashing, which is slow and async, happens before).
 */
export class UserRepo {
  constructor(
    private readonly db: Db,
    readonly hasher: PasswordHasher = new PasswordHasher(),
  ) {}

  /**
   * A new account. `pendingBy`: made in the console by that user for a role that can see footage, so the
   * account cannot log in until a supervisor other than `pendingBy` confirms it. Without it (the CLI on the
   * appliance) it takes effect at once.
   */
  async add(username: string, role: string, password: string, atMs: number, opts: { pendingBy?: string } = {}): Promise<User> {
    validateNewUser(username, role, password);
    const hash = await this.hasher.hash(password);
    return this.insertHashed(username, role, hash, atMs, opts);
  }

  /** Hash a password for a later synchronous write (inside the transaction that audits it). */
  hashPassword(password: string): Promise<string> {
    return this.hasher.hash(password);
  }

  /**
   * Insert an account whose password was hashed already (in a transaction with its audit entry). Made in the
   * console (`pendingBy`), the password is the administrator's choice, so it must be changed at the first login.
   */
  insertHashed(username: string, role: Role, hash: string, atMs: number, opts: { pendingBy?: string } = {}): User {
    if (this.get(username)) throw new UserError('exists', 'username', `user "${username}" exists`);
    const viaConsole = opts.pendingBy !== undefined;
    const pending = viaConsole && seesFootage(role);
    this.db
      .prepare(
        'INSERT INTO users (username, role, password_hash, created_at_ms, password_changed_at_ms, must_change_password, pending_kind, pending_role, pending_by, pending_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?)',
      )
      .run(username, role, hash, atMs, atMs, viaConsole ? 1 : 0, pending ? 'account' : null, pending ? role : null, pending ? opts.pendingBy : null, pending ? atMs : null);
    return this.get(username)!;
  }

  /** Set a new password (hashed already); `mustChange` for an administrator's reset. */
  setPasswordHash(username: string, hash: string, atMs: number, mustChange: boolean): void {
    this.db.prepare('UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at_ms = ? WHERE username = ?').run(hash, mustChange ? 1 : 0, atMs, username);
  }

  /** Store a hash of the same password at the current cost (a rehash at login): nothing else changes. */
  replaceHash(username: string, hash: string): void {
    this.db.prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(hash, username);
  }

  /** The password in use must be changed before anything else (it is below today's rules). */
  requirePasswordChange(username: string): void {
    this.db.prepare('UPDATE users SET must_change_password = 1 WHERE username = ?').run(username);
  }

  /** Hash a password and set it: for the appliance owner's tools (no forced change). */
  async setPassword(username: string, password: string, atMs = Date.now()): Promise<void> {
    validatePassword(password, username);
    this.setPasswordHash(username, await this.hasher.hash(password), atMs, false);
  }

  /** Change the role at once (no footage gained), dropping any pending grant. */
  setRole(username: string, role: Role): void {
    this.db.prepare('UPDATE users SET role = ?, pending_kind = NULL, pending_role = NULL, pending_by = NULL, pending_at_ms = NULL WHERE username = ?').run(role, username);
  }

  /** Record a grant that waits for a supervisor's confirmation. */
  setPending(username: string, p: PendingGrant): void {
    this.db.prepare('UPDATE users SET pending_kind = ?, pending_role = ?, pending_by = ?, pending_at_ms = ? WHERE username = ?').run(p.kind, p.role, p.by, p.atMs, username);
  }

  /** Apply a confirmed grant: the pending role becomes the role. */
  confirmPending(username: string): void {
    this.db
      .prepare('UPDATE users SET role = COALESCE(pending_role, role), pending_kind = NULL, pending_role = NULL, pending_by = NULL, pending_at_ms = NULL WHERE username = ? AND pending_kind IS NOT NULL')
      .run(username);
  }

  /** Drop a pending grant without applying it. */
  clearPending(username: string): void {
    this.db.prepare('UPDATE users SET pending_kind = NULL, pending_role = NULL, pending_by = NULL, pending_at_ms = NULL WHERE username = ?').run(username);
  }

  get(username: string): User | null {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM users WHERE username = ?`).get(username) as Row | undefined;
    return r ? toUser(r) : null;
  }

  list(): User[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY username`).all() as Row[]).map(toUser);
  }

  /** Accounts with a grant waiting for confirmation, oldest first. */
  listPending(): User[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM users WHERE pending_kind IS NOT NULL ORDER BY pending_at_ms, username`).all() as Row[]).map(toUser);
  }

  setDisabled(username: string, disabled: boolean): void {
    this.db.prepare('UPDATE users SET disabled = ? WHERE username = ?').run(disabled ? 1 : 0, username);
  }

  /** The password is right for this account (whatever its state), for a change of one's own password. */
  async checkPassword(username: string, password: string): Promise<boolean> {
    const r = this.db.prepare('SELECT password_hash FROM users WHERE username = ?').get(username) as { password_hash: string } | undefined;
    return (await this.hasher.verify(password, r?.password_hash ?? null)).ok;
  }

  /**
   * The account when the password is right and it is enabled, else null (an unknown user costs a hash too).
   * `awaitingConfirmation`: right, but not yet usable. A right password stored at a lower cost than today's
   * comes back with a new hash to store (`rehash`).
   */
  async authenticate(username: string, password: string): Promise<Authenticated | null> {
    const r = this.db.prepare(`SELECT ${COLUMNS}, password_hash FROM users WHERE username = ?`).get(username) as (Row & { password_hash: string }) | undefined;
    const v = await this.hasher.verify(password, r?.password_hash ?? null);
    if (!r || !v.ok) return null;
    const user = toUser(r);
    if (user.disabled) return { user, awaitingConfirmation: false, rehash: null, weak: false, disabled: true };
    if (!canLogIn(user)) return { user, awaitingConfirmation: true, rehash: null, weak: false };
    const rehash = v.needsRehash ? await this.hasher.hash(password) : null;
    return { user, awaitingConfirmation: false, rehash, weak: passwordProblem(password, username) !== null };
  }
}
