import type { EventEmitter } from 'node:events';
import { DateTime } from 'luxon';
import type { Logger } from '../log.js';
import { assertTimeZone } from '../policy/time-format.js';

/** The next `hour`:00 local time in `timezone` strictly after `nowMs` (a DST gap moves it forward). */
export function nextSweepAt(nowMs: number, hour: number, timezone: string): number {
  assertTimeZone(timezone);
  const now = DateTime.fromMillis(nowMs, { zone: timezone });
  let at = now.set({ hour, minute: 0, second: 0, millisecond: 0 });
  if (at.toMillis() <= nowMs) at = at.plus({ days: 1 }).set({ hour, minute: 0, second: 0, millisecond: 0 });
  return at.toMillis();
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };

/**
 * Runs the sweep at start, daily at `sweepHour` in the dock's zone, and shortly after each docking ends
 * (a slot turning `ready`), so a recording already past its date when stored enters the queue at once.
 */
export class RetentionScheduler {
  private daily: unknown = null;
  private soon: unknown = null;
  private stopped = false;
  private current: Promise<unknown> = Promise.resolve();
  private readonly onSlot = (v: { state?: string }) => {
    if (v.state === 'ready') this.poke();
  };

  constructor(
    private readonly d: {
      sweep: () => Promise<unknown>;
      now: () => number;
      sweepHour: number;
      timezone: string;
      log: Logger;
      slots?: EventEmitter;
      timers?: Timers;
      /** Delay after a docking before the sweep (default 2 s), so several slots finishing together share one. */
      debounceMs?: number;
    },
  ) {}

  private get timers(): Timers {
    return this.d.timers ?? realTimers;
  }

  start(): void {
    this.d.slots?.on('change', this.onSlot);
    this.run('start');
    this.planDaily();
  }

  /** Sweep soon (after a docking); several pokes within the debounce share one sweep. */
  poke(): void {
    if (this.stopped || this.soon) return;
    this.soon = this.timers.set(() => {
      this.soon = null;
      this.run('docking');
    }, this.d.debounceMs ?? 2000);
  }

  private planDaily(): void {
    if (this.stopped) return;
    const now = this.d.now();
    const at = nextSweepAt(now, this.d.sweepHour, this.d.timezone);
    this.daily = this.timers.set(() => {
      this.daily = null;
      this.run('daily');
      this.planDaily();
    }, Math.max(0, at - now));
  }

  private run(why: string): void {
    if (this.stopped) return;
    this.current = this.d.sweep().then(
      (r) => this.d.log.info({ why, result: r }, 'retention sweep done'),
      (e: Error) => this.d.log.error({ why, err: e.message }, 'retention sweep failed'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.d.slots?.off('change', this.onSlot);
    if (this.daily) this.timers.clear(this.daily);
    if (this.soon) this.timers.clear(this.soon);
    this.daily = this.soon = null;
    await this.current;
  }
}
