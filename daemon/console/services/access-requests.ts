import type { Config } from '../../config.js';
import type { AccessRequest, AccessRequestKind } from '../../ledger/access-requests.js';
import type { Ledger } from '../../ledger/index.js';
import type { AuthUser } from '../deps.js';
import { decisionRefusal } from './access.js';
import { ServiceError } from './errors.js';

export interface FileRequest {
  recordingIds: number[];
  kind: AccessRequestKind;
  purpose: string;
  requester?: string | undefined;
  authority?: string | undefined;
  otherRegion?: boolean | undefined;
  letterRef?: string | undefined;
  idDocument?: string | undefined;
  lawyer?: boolean | undefined;
  powerOfAttorney?: string | undefined;
  lawyerLicence?: string | undefined;
}

interface Deps {
  ledger: Ledger;
  config: Pick<Config, 'access'>;
  now(): number;
  iso(ms: number): string;
}

const clean = (s: string | undefined): string | null => (s === undefined ? null : s.trim() || null);

/** What a kind of request must carry (004 annex 1 §6, §7): a 400 naming the first missing field. */
function requireFields(r: FileRequest): void {
  const need = (field: keyof FileRequest, why: string) => {
    const v = r[field];
    if (typeof v !== 'string' || !v.trim()) throw new ServiceError('invalid', `body.${field}: required for a ${r.kind} request (${why})`, field);
  };
  if (r.kind === 'agency') {
    need('authority', 'the authority asking, 004 annex 1 §6');
    need('requester', 'who comes for it');
    need('letterRef', "the authority's letter");
    need('idDocument', "the requester's valid ID");
  }
  if (r.kind === 'party') {
    need('requester', 'the party or their lawyer');
    need('letterRef', 'the letter, 004 annex 1 §7');
    need('idDocument', "the requester's valid ID");
    if (r.lawyer) {
      need('authority', 'the party the lawyer acts for');
      need('powerOfAttorney', 'the power of attorney (委托书、授权书)');
      need('lawyerLicence', "the lawyer's licence (律师执业证)");
    }
  }
  if (r.kind !== 'party' && r.lawyer) throw new ServiceError('invalid', 'body.lawyer: only a party request comes from a lawyer', 'lawyer');
  if (r.kind !== 'agency' && r.otherRegion) throw new ServiceError('invalid', 'body.otherRegion: only an agency request comes from another region', 'otherRegion');
}

/** File an access request (查阅登记簿): it names existing recordings that are still on the dock. Audited. */
export function fileRequest(deps: Deps, user: Pick<AuthUser, 'username' | 'role'>, r: FileRequest): AccessRequest {
  if (!r.purpose.trim()) throw new ServiceError('invalid', 'body.purpose: must not be empty', 'purpose');
  requireFields(r);
  const ids = [...new Set(r.recordingIds)];
  for (const id of ids) {
    const rec = deps.ledger.recordings.get(id);
    if (!rec) throw new ServiceError('not_found', `body.recordingIds: no recording ${id}`, 'recordingIds');
    if (rec.purgedAtMs !== null) throw new ServiceError('conflict', `body.recordingIds: recording ${id} was purged`, 'recordingIds');
  }
  const now = deps.now();
  return deps.ledger.tx(() => {
    const id = deps.ledger.accessRequests.file({
      kind: r.kind,
      purpose: r.purpose.trim(),
      recordingIds: ids,
      filedBy: user.username,
      filedByRole: user.role,
      filedAt: deps.iso(now),
      filedAtMs: now,
      requester: clean(r.requester),
      authority: clean(r.authority),
      otherRegion: r.otherRegion === true,
      letterRef: clean(r.letterRef),
      idDocument: clean(r.idDocument),
      lawyer: r.lawyer === true,
      powerOfAttorney: clean(r.powerOfAttorney),
      lawyerLicence: clean(r.lawyerLicence),
    });
    const rq = deps.ledger.accessRequests.get(id)!;
    deps.ledger.audit.append(now, user.username, 'access_request.filed', `access-request/${id}`, { kind: rq.kind, recordingIds: ids, purpose: rq.purpose, requester: rq.requester, authority: rq.authority });
    return rq;
  });
}

/**
 * Approve or deny a pending request. The contract's roles decide each kind, never the one who filed it; an
 * `agency` or `party` request is approved only once its papers were checked (`documentsChecked`). An approval
 * is valid `access.requestValidDays` days. Refusals of the decision itself are 403; a decided request 409.
 */
export function decideRequest(
  deps: Deps,
  user: Pick<AuthUser, 'username' | 'role'>,
  id: number,
  d: { approve: boolean; reason?: string | undefined; documentsChecked?: boolean | undefined },
): AccessRequest {
  const rq = deps.ledger.accessRequests.get(id);
  if (!rq) throw new ServiceError('not_found', `no access request ${id}`);
  const refusal = decisionRefusal(user, rq);
  if (refusal) throw new ServiceError('forbidden', refusal);
  if (rq.state !== 'pending') throw new ServiceError('conflict', `access request ${id} was ${rq.state} by ${rq.decidedBy} at ${rq.decidedAt}`);
  const reason = clean(d.reason);
  if (!d.approve && !reason) throw new ServiceError('invalid', 'body.reason: must not be empty', 'reason');
  const outside = rq.kind === 'agency' || rq.kind === 'party';
  if (d.approve && outside && d.documentsChecked !== true) {
    throw new ServiceError('invalid', `body.documentsChecked: confirm that the letter and ID${rq.lawyer ? ", the power of attorney and the lawyer's licence" : ''} were checked`, 'documentsChecked');
  }
  const now = deps.now();
  const expiresAtMs = d.approve ? now + Math.round(deps.config.access.requestValidDays * 86_400_000) : null;
  return deps.ledger.tx(() => {
    const ok = deps.ledger.accessRequests.decide(id, {
      state: d.approve ? 'approved' : 'denied',
      by: user.username,
      role: user.role,
      atMs: now,
      at: deps.iso(now),
      reason,
      documentsChecked: d.approve && d.documentsChecked === true,
      expiresAtMs,
      expiresAt: expiresAtMs === null ? null : deps.iso(expiresAtMs),
    });
    if (!ok) throw new ServiceError('conflict', `access request ${id} was decided meanwhile`);
    const action = d.approve ? 'access_request.approved' : 'access_request.denied';
    deps.ledger.audit.append(now, user.username, action, `access-request/${id}`, {
      kind: rq.kind,
      filedBy: rq.filedBy,
      recordingIds: rq.recordingIds,
      reason,
      documentsChecked: d.documentsChecked === true,
      expiresAt: expiresAtMs === null ? null : deps.iso(expiresAtMs),
    });
    return deps.ledger.accessRequests.get(id)!;
  });
}
