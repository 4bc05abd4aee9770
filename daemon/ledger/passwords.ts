import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** scrypt's cost parameters as stored in a hash. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * One of OWASP's scrypt settings (Password Storage Cheat Sheet), which it lists as equivalent to its default N=2^17,
 * r=8, p=1: N=2^15, r=8, p=3 needs 32 MiB a hash instead of 128 MiB (OpenSSL runs the p lanes one after another in
 * the same memory) and about as much time. 128 MiB was most of the daemon's peak RSS (issue 19). Hashes stored at
 * the former default are re-hashed at their next login.
 */
const OWASP_SCRYPT: Readonly<ScryptCost> = Object.freeze({ N: 1 << 15, r: 8, p: 3 });

/** The largest cost a stored hash may name (a forged row must not make a login allocate gigabytes). */
const MAX_N = 1 << 20;

export type ScryptFn = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) => Promise<Buffer>;

const nodeScrypt: ScryptFn = (password, salt, keylen, opts) =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** scrypt needs 128·N·r bytes (plus 128·r·p); Node refuses above maxmem, whose default (32 MiB) is below N=2^17. */
const maxmemFor = (c: ScryptCost) => 128 * c.N * c.r + 128 * c.r * c.p + 16 * 1024 * 1024;

/** Too many password checks are waiting already: the caller answers "busy, try again" instead of queueing more. */
export class HasherBusyError extends Error {
  constructor() {
    super('password checks are busy; try again in a moment');
    this.name = 'HasherBusyError';
  }
}

export interface HasherOptions {
  /** Cost of new hashes (default OWASP_SCRYPT). Tests lower it; production never does. */
  cost?: ScryptCost;
  /** scrypt computations at once (default 1): the rest of the libuv pool stays free for file I/O. */
  concurrency?: number;
  /** Computations allowed to wait for a turn (default 16); beyond that `HasherBusyError`. */
  maxQueue?: number;
  /** The scrypt function (default node:crypto's); a test wraps it to watch how many run at once. */
  scrypt?: ScryptFn;
}

export interface Verified {
  ok: boolean;
  /** The stored hash is at another cost than the current one: hash the password again now that it is known. */
  needsRehash: boolean;
}

/**
 * Password hashing (`scrypt$N$r$p$salt$hash`, base64) behind a small queue: at most `concurrency` scrypt jobs
 * run at once, so a burst of logins cannot take every libuv thread from the file reads of footage playback.
 */
export class PasswordHasher {
  readonly cost: Readonly<ScryptCost>;
  readonly concurrency: number;
  readonly maxQueue: number;
  private readonly scrypt: ScryptFn;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dummyHash: string | null = null;

  constructor(opts: HasherOptions = {}) {
    this.cost = Object.freeze({ ...(opts.cost ?? OWASP_SCRYPT) });
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.maxQueue = Math.max(0, opts.maxQueue ?? 16);
    this.scrypt = opts.scrypt ?? nodeScrypt;
  }

  /** Jobs running or waiting. */
  get load(): number {
    return this.running + this.waiting.length;
  }

  private async turn<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) throw new HasherBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on without being released
      else this.running--;
    }
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const c = this.cost;
    const h = await this.turn(() => this.scrypt(password, salt, 32, { ...c, maxmem: maxmemFor(c) }));
    return `scrypt$${c.N}$${c.r}$${c.p}$${salt.toString('base64')}$${h.toString('base64')}`;
  }

  /** Check a password against a stored hash; a malformed hash never matches (and costs the same as a real one). */
  async verify(password: string, stored: string | null): Promise<Verified> {
    const parsed = stored ? parse(stored) : null;
    const target = parsed ?? parse(this.dummy())!;
    const got = await this.turn(() => this.scrypt(password, target.salt, target.hash.length, { ...target.cost, maxmem: maxmemFor(target.cost) }));
    const ok = parsed !== null && got.length === target.hash.length && timingSafeEqual(got, target.hash);
    return { ok, needsRehash: ok && !sameCost(target.cost, this.cost) };
  }

  /** A hash no password matches, at the current cost: unknown usernames take as long as known ones. */
  private dummy(): string {
    this.dummyHash ??= `scrypt$${this.cost.N}$${this.cost.r}$${this.cost.p}$${randomBytes(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;
    return this.dummyHash;
  }
}

function parse(stored: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | null {
  const [alg, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash || rest.length) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const pow2 = Number.isInteger(cost.N) && cost.N >= 2 && (cost.N & (cost.N - 1)) === 0;
  if (!pow2 || cost.N > MAX_N || !Number.isInteger(cost.r) || cost.r < 1 || cost.r > 32 || !Number.isInteger(cost.p) || cost.p < 1 || cost.p > 16) return null;
  const h = Buffer.from(hash, 'base64');
  return h.length >= 16 ? { cost, salt: Buffer.from(salt, 'base64'), hash: h } : null;
}

/** Costs differ: a lower one must rise, and the former default (N=2^17, p=1) moves to its 32 MiB equivalent. */
const sameCost = (a: ScryptCost, b: ScryptCost) => a.N === b.N && a.r === b.r && a.p === b.p;

/** Passwords shorter than this are refused for new and changed passwords. */
const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

let common: Set<string> | null = null;

/** The shipped list of common passwords (common-passwords.txt beside this module), lowercase. */
function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    common = new Set(
      text
        .split('\n')
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l && !l.startsWith('#')),
    );
  }
  return common;
}

/** What is wrong with a refused password (the `user.<code>` of the error catalogue). */
export const PASSWORD_PROBLEM_CODES = ['password_short', 'password_long', 'common_password', 'contains_username', 'repeated_character'] as const;
export type PasswordProblemCode = (typeof PASSWORD_PROBLEM_CODES)[number];

/**
 * Why a new password is refused, or null when it is acceptable: at least 12 characters, not on the list of
 * common passwords (compared in lowercase), not the username, not one character repeated.
 */
export function passwordProblem(password: string, username: string): { code: PasswordProblemCode; message: string } | null {
  if (password.length < MIN_PASSWORD_LENGTH) return { code: 'password_short', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` };
  if (password.length > MAX_PASSWORD_LENGTH) return { code: 'password_long', message: `must be at most ${MAX_PASSWORD_LENGTH} characters` };
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return { code: 'common_password', message: 'is on the list of common passwords; choose another' };
  if (username.length >= 4 && lower.includes(username.toLowerCase())) return { code: 'contains_username', message: 'must not contain the username' };
  if (/^(.)\1*$/su.test(password)) return { code: 'repeated_character', message: 'must not be one character repeated' };
  return null;
}
