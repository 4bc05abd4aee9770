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
  | 'findings.justify'
  | 'findings.decide'
  | 'activities.write'
  | 'retention.read' // the retention queue and tombstones
  | 'retention.decide' // purge or keep
  | 'holds.read' // holds and archive discs, read
  | 'holds.manage' // place or release a hold, make and take archive discs
  | 'audit.read'
  | 'users.manage'
  | 'users.confirm'; // confirm or refuse a grant of a role that can see footage (made by someone else)

export type Scope = 'all' | 'own' | 'device' | 'request';

const ALL_ROLES = { officer: 'all', equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all', admin: 'all' } as const;
const READERS = { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all', admin: 'all' } as const;
const SEARCHERS = { officer: 'own', equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' } as const;

export const RIGHTS: Record<Action, Partial<Record<Role, Scope>>> = {
  status: ALL_ROLES,
  'registry.read': READERS,
  'registry.edit': { equipment_manager: 'all' },
  'recordings.search': SEARCHERS,
  'findings.read': SEARCHERS,
  'footage.play': { officer: 'own', equipment_manager: 'request', supervisor: 'all', legal: 'all', auditor: 'request' },
  'findings.justify': { officer: 'own', equipment_manager: 'device' },
  'findings.decide': { supervisor: 'all' },
  'activities.write': { officer: 'own', equipment_manager: 'all', supervisor: 'all' },
  'retention.read': { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'retention.decide': { equipment_manager: 'all', supervisor: 'all' },
  'holds.read': { equipment_manager: 'all', supervisor: 'all', legal: 'all', auditor: 'all' },
  'holds.manage': { supervisor: 'all', legal: 'all' },
  'audit.read': { supervisor: 'all', legal: 'all', auditor: 'all', admin: 'all' },
  'users.manage': { admin: 'all' },
  'users.confirm': { supervisor: 'all' },
};

export function scopeOf(role: Role, action: Action): Scope | null {
  return RIGHTS[action][role] ?? null;
}

/** Findings an equipment manager justifies (CONTRACT "device findings"). */
export const DEVICE_FINDINGS = ['drift', 'clock_reset', 'hash_mismatch', 'no_checkout'] as const;
