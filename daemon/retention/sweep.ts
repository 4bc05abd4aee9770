import { yieldToIo, type RetentionDeps } from './deps.js';
import { finishPendingPurges, purgeLocked } from './purge.js';

export interface SweepOptions {
  autoPurge: boolean;
  autoPurgeGraceDays: number;
  /** Rows per batch; the sweep yields to the event loop between batches so ingest never waits long. */
  batch?: number;
}

export interface SweepResult {
  queued: number;
  dequeued: number;
  autoPurged: number[];
  finished: number;
}

/** Actor of automatic purges in tombstones and the audit trail. */
export const AUTO_PURGE_ACTOR = 'dock:auto-purge';

const DAY_MS = 86_400_000;

/**
 * One pass (004 §15): finish cut-off purges, queue every live recording past its retention date (one audit
 * entry per batch), drop queue entries kept longer meanwhile, and, when the agency enabled it, purge what has
 * waited in the queue longer than the grace period and is not held. Cheap when nothing is due: each step is
 * one indexed query. `lockStep` runs each step under the retention lock, so holds and purges interleave safely.
 */
export async function sweep(deps: RetentionDeps, opts: SweepOptions, lockStep: <T>(fn: () => Promise<T> | T) => Promise<T>): Promise<SweepResult> {
  const batch = opts.batch ?? 200;
  const result: SweepResult = { queued: 0, dequeued: 0, autoPurged: [], finished: 0 };
  result.finished = await lockStep(() => finishPendingPurges(deps));
  for (;;) {
    const n = await lockStep(() => {
      const now = deps.now();
      const due = deps.ledger.retention.dueUnqueued(now, batch);
      if (due.length === 0) return 0;
      const at = deps.iso(now);
      deps.ledger.tx(() => {
        for (const d of due) deps.ledger.retention.enqueue(d.id, now, at, d.retainUntilMs);
        deps.ledger.audit.append(now, 'dock', 'retention.queued', null, { recordingIds: due.map((d) => d.id) });
      });
      return due.length;
    });
    result.queued += n;
    if (n < batch) break;
    await yieldToIo();
  }
  for (;;) {
    const n = await lockStep(() => {
      const stale = deps.ledger.retention.staleQueued(deps.now(), batch);
      deps.ledger.tx(() => {
        for (const id of stale) deps.ledger.retention.dequeue(id);
      });
      return stale.length;
    });
    result.dequeued += n;
    if (n < batch) break;
    await yieldToIo();
  }
  if (!opts.autoPurge) return result;
  const reason = `automatic purge: ${opts.autoPurgeGraceDays} days in the review queue without a decision (retention.autoPurge)`;
  for (;;) {
    const r = await lockStep(async () => {
      const now = deps.now();
      const ids = deps.ledger.retention.autoPurgeCandidates(now, now - opts.autoPurgeGraceDays * DAY_MS, batch);
      return { asked: ids.length, res: ids.length ? await purgeLocked(deps, ids, reason, AUTO_PURGE_ACTOR) : null };
    });
    if (r.res) result.autoPurged.push(...r.res.purged);
    // Stop when a batch purges nothing (e.g. files that cannot be removed), so one bad file cannot spin the sweep.
    if (r.asked < batch || !r.res || r.res.purged.length === 0) break;
    await yieldToIo();
  }
  return result;
}
