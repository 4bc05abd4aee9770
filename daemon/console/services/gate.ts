import { ServiceError } from './errors.js';

/**
 * At most `running` jobs at once and at most `waiting` queued behind them; a job beyond that is refused at once
 * (503 with Retry-After) instead of piling up work an attacker or a stuck client asked for.
 */
export class Gate {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly running: number,
    readonly waiting: number,
    private readonly what: string,
  ) {}

  get busy(): number {
    return this.active;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.waiting) throw new ServiceError('busy', `too many ${this.what} at once; try again shortly`);
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await job();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Open things per key and in all (live-status streams per login session and in total). */
export class Quota {
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(
    readonly maxPerKey: number,
    readonly maxTotal: number,
  ) {}

  /** A release function, or null when the key or the whole is at its limit. */
  take(key: string): (() => void) | null {
    const n = this.perKey.get(key) ?? 0;
    if (n >= this.maxPerKey || this.total >= this.maxTotal) return null;
    this.perKey.set(key, n + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perKey.get(key) ?? 1) - 1;
      if (left > 0) this.perKey.set(key, left);
      else this.perKey.delete(key);
    };
  }
}
