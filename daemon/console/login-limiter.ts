/**
 * Failed-login counter (CONTRACT: per username and per address, failures only). `max` failures within
 * `windowMs` block further attempts for that username or address until the oldest failure ages out.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Seconds until an attempt is allowed again, or 0 when it is allowed now. */
  retryAfter(username: string, address: string): number {
    let wait = 0;
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) {
      const list = this.recent(key);
      if (list.length >= this.max) wait = Math.max(wait, Math.ceil((list[list.length - this.max]! + this.windowMs - this.now()) / 1000));
    }
    return wait;
  }

  fail(username: string, address: string): void {
    const at = this.now();
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) {
      const list = this.recent(key);
      list.push(at);
      this.failures.set(key, list.slice(-this.max));
    }
    if (this.failures.size > 100_000) this.sweep();
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}
