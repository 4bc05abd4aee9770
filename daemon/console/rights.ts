import type { Role } from '../ledger/users.js';

/**
 * The contract's "Who may do what", as data. Each route names the action it serves; the guard refuses a role
 * without a scope for it. Scopes: `all`; `own` (an officer's own recordings: officerNo = username);
 * `device` (device findings only); `request` (only with an approved access request naming the recording).
 */
export type Action =
  | 'status' // dock status, health, own login session
  | 'registry.read' // officers, devices, ledger, sessions, manifests
  | 'registry.edit' // officers and devices, checkout, check-in, ledger export
  | 'recordings.search'
  | 'findings.read'
  | 'footage.play'
  | 'footage.export' // a verifiable copy (ZIP): only with an approved request
  | 'access.request' // file an access request; read one's own
  | 'access.read' // read all access requests and the register
  | 'access.decide' // approve or deny a request (which kinds: REQUEST_APPROVERS)
  | 'confidential.mark' // mark or unmark confidential (004 §14)
  | 'catalogue.edit' // open cases, link recordings, note what they show, attach case documents
  | 'custody.read' // a recording's chain of custody
  | 'findings.justify'
  | 'findings.decide'
  | 'activities.write'
  | 'retention.read' // the retention queue and tombstones
  | 'retention.decide' // purge or keep
  | 'holds.read' // holds and archive discs, read
  | 'holds.manage' // place or release a hold, make and take archive discs
  | 'spot-checks' // draw, review and score spot-checks (004 §17), units' last reviews
  | 'yearly-reports' // yearly statistics per unit and officer, their reminder (R14)
  | 'audit.read'
  | 'users.manage'
  | 'users.confirm'; // confirm or refuse a grant of a role that can see footage (made by someone else)

export const SCOPES = ['all', 'own', 'device', 'request'] as const;
export type Scope = (typeof SCOPES)[number];

const ALL_ROLES = { officer: 'all', equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all', admin: 'all' } as const;
const READERS = { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all', admin: 'all' } as const;
const SEARCHERS = { officer: 'own', equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' } as const;

const RIGHTS: Record<Action, Partial<Record<Role, Scope>>> = {
  status: ALL_ROLES,
  'registry.read': READERS,
  'registry.edit': { equipment_manager: 'all' },
  'recordings.search': SEARCHERS,
  'findings.read': SEARCHERS,
  'footage.play': { officer: 'own', equipment_manager: 'request', supervisor: 'all', legal: 'all', auditor: 'request' },
  'footage.export': { officer: 'request', equipment_manager: 'request', supervisor: 'request', legal: 'request' },
  'access.request': { officer: 'all', equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'access.read': { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'access.decide': { equipment_manager: 'all', supervisor: 'all', legal: 'all' },
  'confidential.mark': { supervisor: 'all', legal: 'all' },
  // Not in the contract's table, so at least privilege: the case handler notes their own footage (001 (二)2), the
  // head and legal any; the chain of custody is read by those who read the register.
  'catalogue.edit': { officer: 'own', supervisor: 'all', legal: 'all' },
  'custody.read': { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'findings.justify': { officer: 'own', equipment_manager: 'device' },
  'findings.decide': { supervisor: 'all' },
  'activities.write': { officer: 'own', equipment_manager: 'all', supervisor: 'all' },
  'retention.read': { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'retention.decide': { equipment_manager: 'all', supervisor: 'all' },
  'holds.read': { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'holds.manage': { supervisor: 'all', legal: 'all' },
  'spot-checks': { supervisor: 'all' },
  'yearly-reports': { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'audit.read': { supervisor: 'all', legal: 'all', auditor: 'all', admin: 'all' },
  'users.manage': { admin: 'all' },
  'users.confirm': { supervisor: 'all' },
};

export function scopeOf(role: Role, action: Action): Scope | null {
  return RIGHTS[action][role] ?? null;
}

/** Every action a role may perform, with its scope: what `/api/me` tells the console (which shows only those pages). */
export function rightsOf(role: Role): Partial<Record<Action, Scope>> {
  const out: Partial<Record<Action, Scope>> = {};
  for (const action of Object.keys(RIGHTS) as Action[]) {
    const scope = RIGHTS[action][role];
    if (scope) out[action] = scope;
  }
  return out;
}

/**
 * Who approves or denies each kind of access request (CONTRACT, 004 annex 1): `view` and `party` the head of the
 * unit (§5, §7), `copy` the legal head (§4), `agency` the records keeper or the head after checking the letter and
 * ID (§6); an `agency` request from another region only the head (§8). Never the one who filed it.
 */
export const REQUEST_APPROVERS: Record<'view' | 'copy' | 'agency' | 'party', readonly Role[]> = {
  view: ['supervisor'],
  party: ['supervisor'],
  copy: ['legal'],
  agency: ['equipment_manager', 'supervisor'],
};
export const OTHER_REGION_APPROVERS: readonly Role[] = ['supervisor'];

/** Roles that see confidential recordings without a request (CONTRACT; the own officer sees their own). */
export const SEES_CONFIDENTIAL: readonly Role[] = ['supervisor', 'legal'];

/** Findings an equipment manager justifies (CONTRACT "device findings"). */
export const DEVICE_FINDINGS = ['drift', 'clock_reset', 'hash_mismatch', 'no_checkout'] as const;
