import type { RetentionDeps } from './deps.js';
import { RetentionError } from './errors.js';

export type KeepRefusal = 'not_found' | 'purged' | 'not_later';

export interface KeepResult {
  kept: number[];
  refused: { id: number; reason: KeepRefusal }[];
}

/**
 * Keep longer (CONTRACT `POST /api/retention/keep`): move each recording's retention date to `untilMs`, with a
 * reason, a decision row and an audit entry. Refused per item when unknown, purged, or when `untilMs` is not
 * later than its current date. Callers hold the retention lock.
 */
export function keepLocked(deps: RetentionDeps, ids: readonly number[], reason: string, untilMs: number, by: string): KeepResult {
  const now = deps.now();
  if (!Number.isFinite(untilMs) || untilMs <= now) throw new RetentionError('invalid', 'body.until: must be a time in the future', 'until');
  const until = deps.iso(untilMs);
  const at = deps.iso(now);
  const result: KeepResult = { kept: [], refused: [] };
  for (const id of new Set(ids)) {
    const rec = deps.ledger.recordings.get(id);
    if (!rec) result.refused.push({ id, reason: 'not_found' });
    else if (rec.purgedAtMs !== null || deps.ledger.tombstones.get(id)) result.refused.push({ id, reason: 'purged' });
    else if (untilMs <= rec.retainUntilMs) result.refused.push({ id, reason: 'not_later' });
    else {
      deps.ledger.tx(() => {
        deps.ledger.retention.setRetainUntil(id, until, untilMs);
        deps.ledger.retention.addDecision({ recordingId: id, decision: 'keep', reason, previousUntil: rec.retainUntil, until, untilMs, decidedBy: by, decidedAt: at, decidedAtMs: now });
        deps.ledger.audit.append(now, by, 'retention.kept', `${rec.serial}/${rec.seq}`, { recordingId: id, reason, previousUntil: rec.retainUntil, until });
      });
      result.kept.push(id);
    }
  }
  return result;
}
