import type { Finding } from '../../ledger/findings.js';
import type { Ledger } from '../../ledger/index.js';
import { remoteDutyVerdict } from '../../policy/offload-deadline.js';
import { toIsoInZone } from '../../policy/time-format.js';
import { DEVICE_FINDINGS, type Scope } from '../rights.js';
import { ServiceError } from './errors.js';

import { reasonsFor, type JustificationReason } from '../../policy/justification-reasons.js';

export { JUSTIFICATION_REASONS, type JustificationReason } from '../../policy/justification-reasons.js';

interface Actor {
  username: string;
}

/** Whether a user with this `findings.read` scope sees a finding: officers their own only. */
export function canReadFinding(user: Actor, scope: Scope, f: Pick<Finding, 'officerNo'>): boolean {
  return scope === 'all' || (scope === 'own' && f.officerNo === user.username);
}

/** Whether a user with this `findings.justify` scope may justify a finding. */
function canJustify(user: Actor, scope: Scope, f: Pick<Finding, 'officerNo' | 'kind'>): boolean {
  if (scope === 'own') return f.officerNo === user.username;
  if (scope === 'device') return (DEVICE_FINDINGS as readonly string[]).includes(f.kind);
  return false;
}

/**
 * The justification workflow (R6, 004 §12): the officer (own recordings) or the equipment manager (device
 * findings) justifies; a supervisor other than the justifier approves or rejects; a rejected finding can be
 * justified again. Each step is audited in the transaction of the change.
 *
 * 004 §13: a late offload justified by `remote_duty` states when the officer returned to the unit
 * (`returnedAtMs`), and is approved only when the footage was stored within 24 h of that return.
 */
export class FindingWorkflow {
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number,
    /** The dock's zone (config `timezone`): where the recording's day ends, and how times are told back. */
    private readonly timezone: string,
  ) {}

  private load(id: number): Finding {
    const f = this.ledger.findings.get(id);
    if (!f) throw new ServiceError('not_found', `no finding ${id}`);
    return f;
  }

  /** `returnedAtMs`: with `remote_duty` only, and required with it (when the officer returned to the unit). */
  justify(id: number, user: Actor, scope: Scope, reason: JustificationReason, text: string, returnedAtMs: number | null = null): Finding {
    const f = this.load(id);
    if (!canJustify(user, scope, f)) throw new ServiceError('forbidden', scope === 'device' ? 'equipment managers justify device findings only (drift, clock_reset, hash_mismatch, no_checkout)' : 'officers justify findings of their own recordings only');
    if (reason === 'remote_duty' && f.kind !== 'late_offload') throw new ServiceError('invalid', 'body.reason: remote_duty justifies late_offload only', 'reason');
    if (reason === 'remote_duty' && returnedAtMs === null) throw new ServiceError('invalid', 'body.returnedAt: remote_duty states when the officer returned to the unit (004 §13)', 'returnedAt');
    if (reason !== 'remote_duty' && returnedAtMs !== null) throw new ServiceError('invalid', 'body.returnedAt: stated with remote_duty only', 'returnedAt');
    if (!reasonsFor(f.kind).includes(reason)) throw new ServiceError('invalid', `body.reason: ${reason} does not fit a ${f.kind} finding (one of ${reasonsFor(f.kind).join(', ')})`, 'reason');
    if (f.state !== 'open' && f.state !== 'rejected') throw new ServiceError('conflict', `finding ${id} is ${f.state}; only open or rejected findings are justified`);
    const at = this.now();
    if (returnedAtMs !== null) this.checkReturn(f, returnedAtMs, at);
    this.ledger.tx(() => {
      this.ledger.findings.justify(id, user.username, reason, text, at, returnedAtMs);
      this.ledger.audit.append(at, user.username, 'finding.justified', String(id), {
        kind: f.kind,
        reason,
        text,
        previousState: f.state,
        ...(returnedAtMs !== null ? { returnedAt: this.iso(returnedAtMs) } : {}),
      });
    });
    return this.load(id);
  }

  decide(id: number, user: Actor, decision: 'approved' | 'rejected', text: string | null): Finding {
    const f = this.load(id);
    if (f.state !== 'justified') throw new ServiceError('conflict', `finding ${id} is ${f.state}; only justified findings are approved or rejected`);
    if (f.justifiedBy === user.username) throw new ServiceError('forbidden', 'nobody approves or rejects their own justification');
    if (decision === 'approved' && f.kind === 'late_offload' && f.reason === 'remote_duty') this.checkRemoteDuty(f);
    const at = this.now();
    this.ledger.tx(() => {
      this.ledger.findings.decide(id, decision, user.username, text, at);
      this.ledger.audit.append(at, user.username, decision === 'approved' ? 'finding.approved' : 'finding.rejected', String(id), { kind: f.kind, text, justifiedBy: f.justifiedBy });
    });
    return this.load(id);
  }

  private iso(ms: number): string {
    return toIsoInZone(ms, this.timezone);
  }

  /** The recording a late-offload finding is about, with the end of its footage (null when its clock was lost). */
  private recordingOf(f: Finding): { offloadedAtMs: number; endMs: number | null } {
    const rec = f.recordingId !== null ? this.ledger.recordings.get(f.recordingId) : null;
    if (!rec) throw new ServiceError('conflict', `finding ${f.id} names no stored recording: the 24-hour rule cannot be checked`);
    const startMs = rec.correctedStartMs ?? (rec.flags.includes('clock_reset') ? null : rec.recordedStartMs);
    return { offloadedAtMs: rec.offloadedAtMs, endMs: startMs === null ? null : startMs + rec.durationMs };
  }

  /** A stated return must be possible: not in the future, not after the footage was stored at the dock (in the unit). */
  private checkReturn(f: Finding, returnedAtMs: number, nowMs: number): void {
    if (returnedAtMs > nowMs) throw new ServiceError('invalid', `body.returnedAt: ${this.iso(returnedAtMs)} is in the future`, 'returnedAt');
    const { offloadedAtMs } = this.recordingOf(f);
    if (returnedAtMs > offloadedAtMs) {
      throw new ServiceError('invalid', `body.returnedAt: ${this.iso(returnedAtMs)} is after the footage was stored at the dock (${this.iso(offloadedAtMs)}): the officer was back by then`, 'returnedAt');
    }
  }

  /** 004 §13: approved only when the footage was stored within 24 h of the officer's return. */
  private checkRemoteDuty(f: Finding): void {
    if (f.returnedAtMs === null) throw new ServiceError('conflict', `finding ${f.id}: the remote_duty justification does not say when the officer returned; reject it so it is justified again with the return time`);
    const rec = this.recordingOf(f);
    const v = remoteDutyVerdict({ recordingEndEpochMs: rec.endMs, offloadedAtEpochMs: rec.offloadedAtMs, returnedAtEpochMs: f.returnedAtMs, timezone: this.timezone });
    if (!v.covered) {
      throw new ServiceError(
        'conflict',
        `finding ${f.id}: the footage was stored ${this.iso(rec.offloadedAtMs)}, ${v.hoursAfterReturn} h after the officer's return (${this.iso(f.returnedAtMs)}); 004 §13 allows 24 h, so remote duty does not excuse it: reject the justification`,
      );
    }
  }
}
