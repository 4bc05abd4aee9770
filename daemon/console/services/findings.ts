import type { Finding } from '../../ledger/findings.js';
import type { Ledger } from '../../ledger/index.js';
import { DEVICE_FINDINGS, type Scope } from '../rights.js';
import { ServiceError } from './errors.js';

/** 004 §12 reasons, and §13 `remote_duty` for late offload only. */
export const JUSTIFICATION_REASONS = ['device_fault', 'battery', 'storage', 'weather', 'obstruction', 'force_majeure', 'remote_duty'] as const;
export type JustificationReason = (typeof JUSTIFICATION_REASONS)[number];

interface Actor {
  username: string;
}

/** Whether a user with this `findings.read` scope sees a finding: officers their own only. */
export function canReadFinding(user: Actor, scope: Scope, f: Pick<Finding, 'officerNo'>): boolean {
  return scope === 'all' || (scope === 'own' && f.officerNo === user.username);
}

/** Whether a user with this `findings.justify` scope may justify a finding. */
export function canJustify(user: Actor, scope: Scope, f: Pick<Finding, 'officerNo' | 'kind'>): boolean {
  if (scope === 'own') return f.officerNo === user.username;
  if (scope === 'device') return (DEVICE_FINDINGS as readonly string[]).includes(f.kind);
  return false;
}

/**
 * The justification workflow (R6, 004 §12): the officer (own recordings) or the equipment manager (device
 * findings) justifies; a supervisor other than the justifier approves or rejects; a rejected finding can be
 * justified again. Each step is audited in the transaction of the change.
 */
export class FindingWorkflow {
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number,
  ) {}

  private load(id: number): Finding {
    const f = this.ledger.findings.get(id);
    if (!f) throw new ServiceError('not_found', `no finding ${id}`);
    return f;
  }

  justify(id: number, user: Actor, scope: Scope, reason: JustificationReason, text: string): Finding {
    const f = this.load(id);
    if (!canJustify(user, scope, f)) throw new ServiceError('forbidden', scope === 'device' ? 'equipment managers justify device findings only (drift, clock_reset, hash_mismatch, no_checkout)' : 'officers justify findings of their own recordings only');
    if (reason === 'remote_duty' && f.kind !== 'late_offload') throw new ServiceError('invalid', 'body.reason: remote_duty justifies late_offload only', 'reason');
    if (f.state !== 'open' && f.state !== 'rejected') throw new ServiceError('conflict', `finding ${id} is ${f.state}; only open or rejected findings are justified`);
    const at = this.now();
    this.ledger.tx(() => {
      this.ledger.findings.justify(id, user.username, reason, text, at);
      this.ledger.audit.append(at, user.username, 'finding.justified', String(id), { kind: f.kind, reason, text, previousState: f.state });
    });
    return this.load(id);
  }

  decide(id: number, user: Actor, decision: 'approved' | 'rejected', text: string | null): Finding {
    const f = this.load(id);
    if (f.state !== 'justified') throw new ServiceError('conflict', `finding ${id} is ${f.state}; only justified findings are approved or rejected`);
    if (f.justifiedBy === user.username) throw new ServiceError('forbidden', 'nobody approves or rejects their own justification');
    const at = this.now();
    this.ledger.tx(() => {
      this.ledger.findings.decide(id, decision, user.username, text, at);
      this.ledger.audit.append(at, user.username, decision === 'approved' ? 'finding.approved' : 'finding.rejected', String(id), { kind: f.kind, text, justifiedBy: f.justifiedBy });
    });
    return this.load(id);
  }
}
