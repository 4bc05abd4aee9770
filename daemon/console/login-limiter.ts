/**
 * Failed-login limits (CONTRACT: per username and per address, failures only; issue 13 item 3).
 *
 * - **Pair** (username, address): `max` failures within `windowMs` block that username at that address until
 *   the oldest ages out. One person typing their own password wrong at the dock's shared screen blocks only
 *   their own username there, never the other users of the screen.
 * - **Username**, from every address it has not logged in from: past `max` failures within `userWindowMs`, each
 *   further attempt waits an exponential back-off after the last failure (1 s, 2 s, 4 s, … never more than
 *   `maxBackoffMs`). A guesser spread over many addresses is slowed to a crawl, but can never lock the user
 *   out: the wait is capped, and an address the user logged in from lately (`trustMs`) does not wait at all.
 * - **Address**: failures for more than `max` different usernames within `windowMs` block the address for
 *   usernames that have not logged in from it lately (a sprayer trying many accounts), again sparing the
 *   regular users of that address.
 *
 * An attempt is counted before its password is checked: `begin` reserves it synchronously (before any await),
 * so parallel guesses see each other; a success gives the reservation back (successes never count), a
 * failure turns it into a failure.
 */
export interface LoginLimitOptions {
  /** Failures allowed per (username, address), and distinct failing usernames per address, within `windowMs`. */
  max: number;
  windowMs: number;
  /** Window of the per-username back-off (default 24 h). */
  userWindowMs?: number;
  /** The per-username back-off never exceeds this (default 5 min). */
  maxBackoffMs?: number;
  /** How long a successful login makes its address trusted for that username (default 30 days). */
  trustMs?: number;
}

export interface Attempt {
  /** The password was right: the reservation is given back. */
  succeeded(): void;
  /** The password was wrong: the reservation becomes a failure. */
  failed(): void;
  /** The attempt was not checked after all (busy): the reservation is given back. */
  cancelled(): void;
}

const BACKOFF_BASE_MS = 1000;
const MAX_KEYS = 100_000;

export class LoginLimiter {
  private readonly pairFailures = new Map<string, number[]>();
  private readonly userFailures = new Map<string, number[]>();
  private readonly addressFailures = new Map<string, Map<string, number>>(); // address → username → last failure
  private readonly inflightPair = new Map<string, number>();
  private readonly inflightUser = new Map<string, number>();
  private readonly inflightAddress = new Map<string, Map<string, number>>();
  private readonly trusted = new Map<string, number>(); // pair → last success
  private readonly userWindowMs: number;
  private readonly maxBackoffMs: number;
  private readonly trustMs: number;

  constructor(
    private readonly opts: LoginLimitOptions,
    private readonly now: () => number,
  ) {
    this.userWindowMs = opts.userWindowMs ?? 24 * 3_600_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5 * 60_000;
    this.trustMs = opts.trustMs ?? 30 * 86_400_000;
  }

  /**
   * Reserve an attempt: `{ wait }` (seconds until one is allowed) when it is refused, else the attempt, counted
   * already. Synchronous on purpose: nothing may run between the check and the reservation.
   */
  begin(username: string, address: string): { wait: number } | Attempt {
    const u = username.toLowerCase();
    const pair = `${u}\u0000${address}`;
    const now = this.now();
    const wait = Math.max(this.pairWait(pair, now), this.trustedAt(pair, now) ? 0 : Math.max(this.userWait(u, now), this.addressWait(address, u, now)));
    if (wait > 0) return { wait: Math.max(1, Math.ceil(wait / 1000)) };
    inc(this.inflightPair, pair);
    inc(this.inflightUser, u);
    const a = this.inflightAddress.get(address) ?? new Map<string, number>();
    this.inflightAddress.set(address, a);
    inc(a, u);
    let done = false;
    const release = () => {
      if (done) return false;
      done = true;
      dec(this.inflightPair, pair);
      dec(this.inflightUser, u);
      dec(a, u);
      if (a.size === 0) this.inflightAddress.delete(address);
      return true;
    };
    return {
      succeeded: () => {
        if (release()) this.trusted.set(pair, this.now());
      },
      failed: () => {
        if (!release()) return;
        const at = this.now();
        push(this.pairFailures, pair, at, this.opts.max);
        push(this.userFailures, u, at, 64);
        const m = this.addressFailures.get(address) ?? new Map<string, number>();
        m.delete(u);
        m.set(u, at);
        this.addressFailures.set(address, m);
        if (this.pairFailures.size + this.userFailures.size + this.addressFailures.size > MAX_KEYS) this.sweep();
      },
      cancelled: () => void release(),
    };
  }

  private trustedAt(pair: string, now: number): boolean {
    const t = this.trusted.get(pair);
    if (t === undefined) return false;
    if (now - t < this.trustMs) return true;
    this.trusted.delete(pair);
    return false;
  }

  /** ms until the pair may try again: `max` failures (in flight counted) within the window. */
  private pairWait(pair: string, now: number): number {
    const list = recent(this.pairFailures, pair, now - this.opts.windowMs);
    const inflight = this.inflightPair.get(pair) ?? 0;
    if (list.length + inflight < this.opts.max) return 0;
    // With attempts in flight, wait at least until they are answered; else until the oldest failure that counts ages out.
    const idx = list.length + inflight - this.opts.max;
    return idx < list.length ? list[idx]! + this.opts.windowMs - now : 1000;
  }

  /** ms of back-off for the username: past `max` failures, 2^(excess) s after the last one, capped. */
  private userWait(u: string, now: number): number {
    const list = recent(this.userFailures, u, now - this.userWindowMs);
    const n = list.length + (this.inflightUser.get(u) ?? 0);
    if (n < this.opts.max) return 0;
    const backoff = Math.min(this.maxBackoffMs, BACKOFF_BASE_MS * 2 ** Math.min(30, n - this.opts.max));
    const last = (this.inflightUser.get(u) ?? 0) > 0 ? now : list[list.length - 1]!;
    return Math.max(0, last + backoff - now);
  }

  /** ms until the address may try a username it has not logged in with: `max` distinct failing usernames. */
  private addressWait(address: string, u: string, now: number): number {
    const m = this.addressFailures.get(address);
    const cutoff = now - this.opts.windowMs;
    if (m) for (const [name, at] of m) if (at <= cutoff) m.delete(name);
    if (m && m.size === 0) this.addressFailures.delete(address);
    const names = new Set([...(m?.keys() ?? []), ...(this.inflightAddress.get(address)?.keys() ?? [])]);
    if (names.size < this.opts.max) return 0;
    if (names.has(u)) return 0; // a username counted already adds nothing; the pair limit governs it
    const times = [...(m?.values() ?? [])].sort((a, b) => a - b);
    const idx = names.size - this.opts.max;
    return idx < times.length ? times[idx]! + this.opts.windowMs - now : 1000;
  }

  private sweep(): void {
    const now = this.now();
    for (const k of [...this.pairFailures.keys()]) recent(this.pairFailures, k, now - this.opts.windowMs);
    for (const k of [...this.userFailures.keys()]) recent(this.userFailures, k, now - this.userWindowMs);
    for (const a of [...this.addressFailures.keys()]) this.addressWait(a, '', now);
    for (const [k, t] of [...this.trusted]) if (now - t >= this.trustMs) this.trusted.delete(k);
  }
}

function recent(map: Map<string, number[]>, key: string, cutoff: number): number[] {
  const list = (map.get(key) ?? []).filter((t) => t > cutoff);
  if (list.length === 0) map.delete(key);
  else map.set(key, list);
  return list;
}

function push(map: Map<string, number[]>, key: string, at: number, keep: number): void {
  const list = map.get(key) ?? [];
  list.push(at);
  map.set(key, list.slice(-keep));
}

const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
function dec(m: Map<string, number>, k: string): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
