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

/**
 * Recordings a purge would follow for once the hold is released: live, past their retention date, and under no
 * other active hold (the sweep queues them at once, and a purge may be decided).
 */
function purgeFollowsRelease(deps: RetentionDeps, hold: Hold, nowMs: number): number[] {
  const elsewhere = deps.ledger.holds.heldElsewhere(hold.recordingIds, hold.id);
  return hold.recordingIds.filter((id) => {
    const r = deps.ledger.recordings.get(id);
    return r !== null && r.purgedAtMs === null && r.retainUntilMs <= nowMs && !elsewhere.has(id);
  });
}

function activeHold(deps: RetentionDeps, id: number): Hold {
  const hold = deps.ledger.holds.get(id);
  if (!hold) throw new RetentionError('not_found', `no hold ${id}`);
  if (hold.releasedAtMs !== null) throw new RetentionError('conflict', `hold ${id} was released ${hold.releasedAt} by ${hold.releasedBy}`);
  return hold;
}

/**
 * Release a hold, with a reason (audited). Releasing a hold someone else placed, when a purge would follow,
 * is not one person's decision (004 §16): it becomes a release request that a second supervisor or legal
 * reviewer confirms (`confirmReleaseLocked`); the hold stays active meanwhile. Callers hold the retention lock.
 */
export function releaseHoldLocked(deps: RetentionDeps, id: number, reason: string, by: string): Hold {
  const why = reason.trim();
  if (!why) throw new RetentionError('invalid', 'body.reason: must not be empty', 'reason');
  const hold = activeHold(deps, id);
  const now = deps.now();
  const exposed = hold.placedBy === by ? [] : purgeFollowsRelease(deps, hold, now);
  return deps.ledger.tx(() => {
    if (exposed.length > 0) {
      deps.ledger.holds.requestRelease(id, { by, at: deps.iso(now), atMs: now, reason: why });
      deps.ledger.audit.append(now, by, 'hold.release_requested', `hold/${id}`, { reason: why, caseRef: hold.caseRef, placedBy: hold.placedBy, purgeWouldFollow: exposed });
    } else {
      deps.ledger.holds.release(id, by, why, now, deps.iso(now));
      deps.ledger.audit.append(now, by, 'hold.released', `hold/${id}`, { reason: why, caseRef: hold.caseRef, recordingIds: hold.recordingIds });
    }
    return deps.ledger.holds.get(id)!;
  });
}

/** A second supervisor or legal reviewer confirms a release someone else asked for. Callers hold the retention lock. */
export function confirmReleaseLocked(deps: RetentionDeps, id: number, by: string): Hold {
  const hold = activeHold(deps, id);
  const rq = hold.releaseRequest;
  if (!rq) throw new RetentionError('conflict', `hold ${id} has no release waiting for confirmation`);
  if (rq.by === by) throw new RetentionError('conflict', 'a release is confirmed by a supervisor or legal reviewer other than the one who asked');
  const now = deps.now();
  return deps.ledger.tx(() => {
    deps.ledger.holds.release(id, rq.by, rq.reason, now, deps.iso(now), by);
    deps.ledger.audit.append(now, by, 'hold.released', `hold/${id}`, { reason: rq.reason, requestedBy: rq.by, confirmedBy: by, caseRef: hold.caseRef, recordingIds: hold.recordingIds });
    return deps.ledger.holds.get(id)!;
  });
}

/** A second supervisor or legal reviewer refuses a release someone else asked for: the hold stays. */
export function declineReleaseLocked(deps: RetentionDeps, id: number, reason: string, by: string): Hold {
  const why = reason.trim();
  if (!why) throw new RetentionError('invalid', 'body.reason: must not be empty', 'reason');
  const hold = activeHold(deps, id);
  const rq = hold.releaseRequest;
  if (!rq) throw new RetentionError('conflict', `hold ${id} has no release waiting for confirmation`);
  if (rq.by === by) throw new RetentionError('conflict', 'a release request is decided by someone other than the one who asked');
  const now = deps.now();
  return deps.ledger.tx(() => {
    deps.ledger.holds.dropReleaseRequest(id);
    deps.ledger.audit.append(now, by, 'hold.release_declined', `hold/${id}`, { reason: why, requestedBy: rq.by, requestReason: rq.reason });
    return deps.ledger.holds.get(id)!;
  });
}
