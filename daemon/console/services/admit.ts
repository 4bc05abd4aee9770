import type { Recording } from '../../ledger/recordings.js';
import type { AuthUser, ConsoleDeps } from '../deps.js';
import type { Scope } from '../rights.js';
import { footageGround, recordRefusal, type FootageGround, type FootageUse } from './access.js';
import { ServiceError } from './errors.js';

/**
 * Admit a user to a recording's footage, or refuse with 403 and put the refusal on record (audit, and a finding
 * after repeated refusals). Every footage route (playback, thumbnail, export) goes through here.
 */
export function admitFootage(deps: Pick<ConsoleDeps, 'ledger' | 'config' | 'clock'>, user: AuthUser, scope: Scope, rec: Recording, use: FootageUse): FootageGround {
  const now = deps.clock.now();
  try {
    return footageGround(deps.ledger, user, scope, rec, now, use);
  } catch (e) {
    if (e instanceof ServiceError && e.code === 'forbidden') recordRefusal(deps, user, { recordingId: rec.id, use, why: e.message }, now);
    throw e;
  }
}
