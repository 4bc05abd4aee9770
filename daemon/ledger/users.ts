import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from './db.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: ScryptOptions) => Promise<Buffer>;

export const ROLES = ['admin', 'equipment_manager', 'supervisor', 'legal', 'auditor', 'officer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  username: string;
  role: Role;
  disabled: boolean;
}

const PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  const h = await scrypt(pw, salt, 32, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${h.toString('base64')}`;
}

export async function checkPassword(pw: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scrypt(pw, Buffer.from(salt, 'base64'), expected.length, { N: +n, r: +r, p: +p, maxmem: 64 * 1024 * 1024 });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export class UserError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function validateNewUser(username: string, role: string, password: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new UserError('role', `unknown role "${role}"; one of ${ROLES.join(', ')}`);
  if (role === 'officer' && !/^\d{6}$/.test(username)) throw new UserError('username', "an officer's username is their 6-digit officer number");
  if (!/^[A-Za-z0-9._-]{2,64}$/.test(username)) throw new UserError('username', 'use 2-64 letters, digits, dot, dash or underscore');
  if (password.length < 8) throw new UserError('password', 'must be at least 8 characters');
}

export class UserRepo {
  constructor(private readonly db: Db) {}

  async add(username: string, role: string, password: string, atMs: number): Promise<void> {
    validateNewUser(username, role, password);
    const hash = await hashPassword(password);
    if (this.get(username)) throw new UserError('username', `user "${username}" exists`);
    this.db.prepare('INSERT INTO users (username, role, password_hash, created_at_ms) VALUES (?,?,?,?)').run(username, role, hash, atMs);
  }

  async setPassword(username: string, password: string): Promise<void> {
    if (password.length < 8) throw new UserError('password', 'must be at least 8 characters');
    const hash = await hashPassword(password);
    this.db.prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(hash, username);
  }

  get(username: string): User | null {
    const r = this.db.prepare('SELECT username, role, disabled FROM users WHERE username = ?').get(username) as { username: string; role: Role; disabled: number } | undefined;
    return r ? { username: r.username, role: r.role, disabled: r.disabled === 1 } : null;
  }

  list(): User[] {
    return (this.db.prepare('SELECT username, role, disabled FROM users ORDER BY username').all() as Array<{ username: string; role: Role; disabled: number }>).map((r) => ({
      username: r.username,
      role: r.role,
      disabled: r.disabled === 1,
    }));
  }

  setDisabled(username: string, disabled: boolean): void {
    this.db.prepare('UPDATE users SET disabled = ? WHERE username = ?').run(disabled ? 1 : 0, username);
  }

  /** The user when the password is right and the account enabled, else null (same time either way). */
  async authenticate(username: string, password: string): Promise<User | null> {
    const r = this.db.prepare('SELECT username, role, disabled, password_hash FROM users WHERE username = ?').get(username) as
      | { username: string; role: Role; disabled: number; password_hash: string }
      | undefined;
    const ok = await checkPassword(password, r?.password_hash ?? DUMMY);
    return r && ok && r.disabled === 0 ? { username: r.username, role: r.role, disabled: false } : null;
  }
}

const DUMMY = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
