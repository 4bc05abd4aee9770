import { HOLD_REASONS, type Hold, type HoldReason } from '../ledger/holds.js';
import type { RetentionDeps } from './deps.js';
import { RetentionError } from './errors.js';

export interface PlaceHold {
  recordingIds: number[];
  reason: string;
  caseRef: string;
  note?: string | null;
}

const isReason = (r: string): r is HoldReason => (HOLD_REASONS as readonly string[]).includes(r);

/**
 * Place a preservation hold (004 §16; `case`: kept with the case file, 004 annex 3). Every recording must exist
 * and still be there (not purged, no purge under way). Callers hold the retention lock.
 */
export function placeHoldLocked(deps: RetentionDeps, h: PlaceHold, by: string): Hold {
  if (!isReason(h.reason)) throw new RetentionError('invalid', `body.reason: one of ${HOLD_REASONS.join(', ')}`, 'reason');
  const caseRef = h.caseRef.trim();
  if (!caseRef) throw new RetentionError('invalid', 'body.caseRef: must not be empty', 'caseRef');
  const ids = [...new Set(h.recordingIds)];
  if (ids.length === 0) throw new RetentionError('invalid', 'body.recordingIds: name at least one recording', 'recordingIds');
  const missing = ids.filter((id) => !deps.ledger.recordings.get(id));
  if (missing.length) throw new RetentionError('not_found', `body.recordingIds: no recording ${missing.join(', ')}`, 'recordingIds');
  const gone = ids.filter((id) => deps.ledger.recordings.get(id)!.purgedAtMs !== null || deps.ledger.tombstones.get(id));
  if (gone.length) throw new RetentionError('conflict', `body.recordingIds: recording ${gone.join(', ')} was purged (tombstone kept)`, 'recordingIds');
  const now = deps.now();
  const note = h.note?.trim() || null;
  return deps.ledger.tx(() => {
    const id = deps.ledger.holds.place({ reason: h.reason as HoldReason, caseRef, note, recordingIds: ids, placedBy: by, placedAt: deps.iso(now), placedAtMs: now });
    deps.ledger.audit.append(now, by, 'hold.placed', `hold/${id}`, { reason: h.reason, caseRef, note, recordingIds: ids });
    return deps.ledger.holds.get(id)!;
  });
}

/** Release a hold, with a reason (audited). Callers hold the retention lock. */
export function releaseHoldLocked(deps: RetentionDeps, id: number, reason: string, by: string): Hold {
  const why = reason.trim();
  if (!why) throw new RetentionError('invalid', 'body.reason: must not be empty', 'reason');
  const hold = deps.ledger.holds.get(id);
  if (!hold) throw new RetentionError('not_found', `no hold ${id}`);
  if (hold.releasedAtMs !== null) throw new RetentionError('conflict', `hold ${id} was released ${hold.releasedAt} by ${hold.releasedBy}`);
  const now = deps.now();
  return deps.ledger.tx(() => {
    deps.ledger.holds.release(id, by, why, now, deps.iso(now));
    deps.ledger.audit.append(now, by, 'hold.released', `hold/${id}`, { reason: why, caseRef: hold.caseRef, recordingIds: hold.recordingIds });
    return deps.ledger.holds.get(id)!;
  });
}
