import type { Ledger } from '../../ledger/index.js';
import type { Recording } from '../../ledger/recordings.js';
import type { AuthUser } from '../deps.js';
import type { Scope } from '../rights.js';
import { ServiceError } from './errors.js';

/** Requests of one playback (the same login session and recording) this close together are one view. */
export const VIEW_WINDOW_MS = 30 * 60_000;

/** The ground a user plays a recording on (`own` or `oversight`), or a refusal. */
export function playbackGround(user: Pick<AuthUser, 'username'>, scope: Scope, rec: Pick<Recording, 'officerNo'>): 'own' | 'oversight' {
  if (scope === 'own') {
    if (rec.officerNo !== user.username) throw new ServiceError('forbidden', 'officers play only their own recordings');
    return 'own';
  }
  if (scope === 'all') return rec.officerNo === user.username ? 'own' : 'oversight';
  throw new ServiceError('forbidden', 'needs an approved access request naming this recording');
}

/**
 * Write one playback (or thumbnail) request to the access register: a new entry (with an audit entry, same
 * transaction) unless it continues one of the same kind, login session and recording within {@link VIEW_WINDOW_MS}.
 * A thumbnail is a still of the footage, so it is a look on the register like a playback.
 */
export function registerView(
  ledger: Ledger,
  user: AuthUser,
  rec: Recording,
  ground: string,
  atMs: number,
  iso: (ms: number) => string,
  kind: 'view' | 'thumbnail' = 'view',
  requestId: number | null = null,
): { accessId: number; created: boolean } {
  return ledger.tx(() => {
    const { entry, created } = ledger.access.recordView({
      kind,
      recordingId: rec.id,
      username: user.username,
      role: user.role,
      ground,
      requestId,
      playbackKey: user.sessionKey,
      atMs,
      at: iso(atMs),
      windowMs: VIEW_WINDOW_MS,
    });
    if (created) {
      const action = kind === 'view' ? 'recording.viewed' : 'recording.thumbnail_viewed';
      ledger.audit.append(atMs, user.username, action, String(rec.id), { accessId: entry.id, ground, requestId, serial: rec.serial, seq: rec.seq, sha256: rec.sha256 });
    }
    return { accessId: entry.id, created };
  });
}
