import type { Config } from '../../config.js';
import { ACCESS_REQUEST_KINDS, type AccessRequest, type AccessRequestKind } from '../../ledger/access-requests.js';
import type { Ledger } from '../../ledger/index.js';
import type { Recording } from '../../ledger/recordings.js';
import type { Role } from '../../ledger/users.js';
import type { AuthUser } from '../deps.js';
import { OTHER_REGION_APPROVERS, REQUEST_APPROVERS, SEES_CONFIDENTIAL, type Scope } from '../rights.js';
import { ServiceError } from './errors.js';
import { playbackGround } from './playback.js';

/** What a user wants to do with footage: play it (or a still of it), or take a verifiable copy. */
export type FootageUse = 'play' | 'export';

/**
 * The request kinds that admit each use. Any approved request shows the footage it names; a copy leaves the
 * dock only on a `copy` request (approved by legal, 004 annex 1 §4) or an `agency` request (§6: checked
 * authorities may view, print and copy).
 */
const KINDS_FOR: Record<FootageUse, readonly AccessRequestKind[]> = {
  play: ACCESS_REQUEST_KINDS,
  export: ['copy', 'agency'],
};

export interface FootageGround {
  /** `own`, `oversight`, or `request/<id>`. */
  ground: string;
  requestId: number | null;
}

type Who = Pick<AuthUser, 'username' | 'role'>;

/**
 * The ground on which `user` may use the recording, or a ServiceError `forbidden`. Without a request: an officer
 * plays their own, the roles whose scope is `all` play any, except a confidential recording (004 §14), which only
 * its own officer, supervisors and legal see; everything else (and every export) needs an approved, unexpired
 * request of this user naming this recording.
 */
export function footageGround(ledger: Ledger, user: Who, scope: Scope, rec: Pick<Recording, 'id' | 'officerNo' | 'confidential'>, nowMs: number, use: FootageUse): FootageGround {
  if (use === 'play') {
    try {
      const ground = playbackGround(user, scope, rec);
      if (ground === 'own' || rec.confidential === null || SEES_CONFIDENTIAL.includes(user.role)) return { ground, requestId: null };
    } catch (e) {
      if (!(e instanceof ServiceError)) throw e;
    }
  }
  const grant = ledger.accessRequests.grant(user.username, rec.id, nowMs, KINDS_FOR[use]);
  if (grant) return { ground: `request/${grant.id}`, requestId: grant.id };
  const what = use === 'export' ? 'a copy needs an approved copy or agency request' : 'needs an approved access request';
  throw new ServiceError('forbidden', `${what} naming recording ${rec.id} (none, or it expired)`);
}

/** Whether the user may see a recording's catalogue entry at all (detail, custody, case pages). */
export function canSeeRecording(ledger: Ledger, user: Who, scope: Scope, rec: Pick<Recording, 'id' | 'officerNo' | 'confidential'>, nowMs: number): boolean {
  const own = rec.officerNo === user.username;
  if (scope === 'all' && (rec.confidential === null || own || SEES_CONFIDENTIAL.includes(user.role))) return true;
  if (scope === 'own' && own) return true;
  return ledger.accessRequests.grant(user.username, rec.id, nowMs, ACCESS_REQUEST_KINDS) !== null;
}

/** Whether search must leave out confidential recordings for this role (it sees them only through a request). */
export const hidesConfidential = (role: Role): boolean => !SEES_CONFIDENTIAL.includes(role);

/**
 * Record a refused look at footage in the audit trail (`access.refused`), and when the same user has been refused
 * `access.refusalsForFinding` times within `access.refusalWindowHours`, raise one `access_refused` finding for the
 * supervisor (004 annex 1 §12). Written in its own transaction: the refusal is on record whatever the answer.
 */
export function recordRefusal(
  deps: { ledger: Ledger; config: Pick<Config, 'access'> },
  user: Who,
  what: { recordingId: number | null; use: string; why: string },
  nowMs: number,
): void {
  const { ledger } = deps;
  const { refusalsForFinding, refusalWindowHours } = deps.config.access;
  ledger.tx(() => {
    ledger.audit.append(nowMs, user.username, 'access.refused', what.recordingId === null ? null : String(what.recordingId), { role: user.role, use: what.use, why: what.why });
    const windowMs = refusalWindowHours * 3_600_000;
    const n = ledger.accessRequests.refusalsSince(user.username, nowMs - windowMs);
    if (n >= refusalsForFinding) {
      const bucket = Math.floor(nowMs / windowMs);
      ledger.findings.raise(
        {
          kind: 'access_refused',
          detail: `${user.username} (${user.role}) was refused footage ${n} times within ${refusalWindowHours} h; last: ${what.use} of recording ${what.recordingId ?? '-'}: ${what.why}`,
          fromMs: nowMs - windowMs,
          toMs: nowMs,
          ...(what.recordingId !== null && ledger.recordings.get(what.recordingId) ? { recordingId: what.recordingId } : {}),
          dedupeKey: `access_refused:${user.username}:${bucket}`,
        },
        nowMs,
      );
    }
  });
}

/** Can this user decide this request? A reason when not (403). */
export function decisionRefusal(user: Who, rq: AccessRequest): string | null {
  if (rq.filedBy === user.username) return 'nobody approves or denies their own access request';
  const roles = rq.kind === 'agency' && rq.otherRegion ? OTHER_REGION_APPROVERS : REQUEST_APPROVERS[rq.kind];
  if (!roles.includes(user.role)) return `a ${rq.kind} request${rq.otherRegion ? ' from another region' : ''} is decided by ${roles.join(' or ')}, not ${user.role}`;
  return null;
}
