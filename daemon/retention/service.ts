import type { Hold } from '../ledger/holds.js';
import type { RetentionDeps } from './deps.js';
import { RetentionError } from './errors.js';
import { confirmReleaseLocked, declineReleaseLocked, placeHoldLocked, releaseHoldLocked, type PlaceHold } from './holds.js';
import { keepLocked, type KeepResult } from './keep.js';
import { finishPendingPurges, purgeLocked, type PurgeResult } from './purge.js';
import { sweep, type SweepOptions, type SweepResult } from './sweep.js';

/**
 * Retention (004 §15) and holds (004 §16) behind one lock: the sweep, purge, keep, hold and release.
 * No HTTP here; the console maps `RetentionError`.
 */
export class RetentionService {
  private running: Promise<SweepResult> | null = null;
  private again = false;

  constructor(
    private readonly deps: RetentionDeps,
    private readonly opts: SweepOptions,
  ) {}

  /** Start-up: finish purges cut off after their tombstones were signed. */
  recover(): Promise<number> {
    return this.deps.lock.run(() => finishPendingPurges(this.deps));
  }

  /** Run a sweep; a call while one runs asks for one more pass after it (so a docking's new items are seen). */
  sweep(): Promise<SweepResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<SweepResult> => {
      try {
        let r: SweepResult;
        do {
          this.again = false;
          r = await sweep(this.deps, this.opts, (fn) => this.deps.lock.run(fn));
        } while (this.again);
        return r;
      } finally {
        this.running = null;
      }
    };
    this.running = run();
    return this.running;
  }

  purge(ids: readonly number[], reason: string, by: string): Promise<PurgeResult> {
    const why = reason.trim();
    if (!why) return Promise.reject(new RetentionError('invalid', 'body.reason: must not be empty', 'reason'));
    return this.deps.lock.run(() => purgeLocked(this.deps, ids, why, by));
  }

  keep(ids: readonly number[], reason: string, untilMs: number, by: string): Promise<KeepResult> {
    const why = reason.trim();
    if (!why) return Promise.reject(new RetentionError('invalid', 'body.reason: must not be empty', 'reason'));
    return this.deps.lock.run(() => keepLocked(this.deps, ids, why, untilMs, by));
  }

  placeHold(h: PlaceHold, by: string): Promise<Hold> {
    return this.deps.lock.run(() => placeHoldLocked(this.deps, h, by));
  }

  releaseHold(id: number, reason: string, by: string): Promise<Hold> {
    return this.deps.lock.run(() => releaseHoldLocked(this.deps, id, reason, by));
  }

  /** Confirm a release someone else asked for (a purge would follow it): the second person of 004 §16. */
  confirmRelease(id: number, by: string): Promise<Hold> {
    return this.deps.lock.run(() => confirmReleaseLocked(this.deps, id, by));
  }

  declineRelease(id: number, reason: string, by: string): Promise<Hold> {
    return this.deps.lock.run(() => declineReleaseLocked(this.deps, id, reason, by));
  }
}
