import { LinkError, type LinkErrorCode } from '../firmware-protocol/codec/errors.js';
import type { ConsoleErrorCode } from './console/errors.js';
import type { ServiceErrorCode } from './console/services/errors.js';
import type { CheckoutErrorCode } from './dock/checkout.js';
import type { SessionFailureCode } from './dock/session.js';
import { DockError } from './errors.js';
import type { IngestErrorCode } from './ingest/errors.js';
import type { MediaErrorCode } from './ingest/media.js';
import type { UserErrorCode } from './ledger/users.js';
import type { RetentionErrorCode } from './retention/errors.js';
import type { SetupErrorCode } from './setup/errors.js';
import type { UpstreamErrorCode } from './upstream/errors.js';

/**
 * The one catalogue of the dock's errors (STYLE §11): each `<domain>.<code>` with the HTTP status the console
 * answers (null: it never reaches HTTP), the words a slot shows an equipment manager when a docking ends on it
 * (null: it never ends a docking), and one line saying what it means. The README's "Errors" section lists the
 * same keys; `tests/unit/errors.test.ts` holds the two together. Each folder's union is imported as a type, so a
 * code missing here (or one here that no folder has) fails the type check.
 * @module
 */

export interface CatalogueEntry {
  /** What the console answers with; null when the error never reaches HTTP. */
  status: number | null;
  /** Plain words for the slot (or a 500's body); null when the error never ends a docking. */
  reason: string | null;
  /** What it means, in one line. */
  doc: string;
}

/** Every key of the catalogue: one per code of every folder's union. */
export type ErrorKey =
  | `session.${SessionFailureCode}`
  | `ingest.${IngestErrorCode}`
  | `media.${MediaErrorCode}`
  | `retention.${RetentionErrorCode}`
  | `service.${ServiceErrorCode}`
  | `console.${ConsoleErrorCode}`
  | `checkout.${CheckoutErrorCode}`
  | `user.${UserErrorCode}`
  | `link.${LinkErrorCode}`
  | `upstream.${UpstreamErrorCode}`
  | `setup.${SetupErrorCode}`;

const e = (status: number | null, reason: string | null, doc: string): CatalogueEntry => ({ status, reason, doc });

export const ERROR_CATALOGUE: Readonly<Record<ErrorKey, CatalogueEntry>> = {
  // A docking session that stops (daemon/dock/session.ts, SessionFailure).
  'session.protocol': e(null, "the recorder's firmware does not follow the dock's protocol: its firmware may need an update", 'another protocol version, or a serial or volume label that is not a plain name'),
  'session.duplicate': e(null, 'a recorder with the same serial number is already in another slot: take one out and report the duplicate', 'a recorder with this serial is already docked on another port'),
  'session.auth': e(null, "the recorder refused the dock's password: the administrator sets it in the dock's configuration", 'the recorder refused the admin password (recorders.passwords)'),
  'session.locked': e(null, 'the recorder is locked after wrong passwords: wait a minute and dock it again', 'the recorder is locked after failed logins'),
  'session.busy': e(null, 'the recorder is recording: stop the recording and dock it again', 'the recorder is recording and will not enter mass storage'),
  'session.label_changed': e(null, 'the recorder changed the name of its storage during the docking: dock it again; if it happens again, send it for repair', 'two ENTER_MSC answered two volume labels'),
  'session.identity_mismatch': e(null, 'the recorder gives different serial numbers for itself: nothing was copied; send it for repair (see its finding)', "HELLO, the INFO block and the catalog's file names name different serials"),
  'session.volume_missing': e(null, "the recorder's storage did not appear: check the udev rule", "the recorder's volume did not appear (or stayed an empty folder) within detect.volumeTimeoutMs"),
  'session.volume_mismatch': e(null, "this volume is not the recorder's", "the volume holds none of the recorder's catalogued files"),
  'session.unplugged': e(null, 'the recorder was taken out before the docking finished: dock it again', 'the recorder left the dock during the session'),
  'session.aborted': e(null, 'the dock stopped during the docking: dock the recorder again', 'the daemon stopped during the session'),

  // The offload of a file or a session (daemon/ingest/errors.ts).
  'ingest.disk_low': e(null, "the dock's storage is full: footage stays on the recorder; tell the administrator", "the dock's storage is below its floor or full (ENOSPC)"),
  'ingest.volume_gone': e(null, "the recorder's storage went away during the copy (unplugged?): dock it again", "the recorder's volume vanished mid-file, or a read made no progress"),
  'ingest.unreadable': e(null, 'a file on the recorder could not be read: it stays on the recorder; the recorder may need repair', 'the file could not be read (I/O error), or changed while being read'),
  'ingest.not_regular': e(null, 'the recorder holds something that is not a plain file where a recording should be: it was left alone', 'a symlink, folder or device where a file was catalogued'),
  'ingest.missing': e(null, "a recording the recorder lists is not on its storage: it stays listed; the recorder may need repair", 'the catalogued file is not on the volume'),
  'ingest.bad_name': e(null, 'a file on the recorder has a name the dock does not accept: it was left on the recorder', "a name that would leave the volume or the dock's folder"),
  'ingest.aborted': e(null, 'the dock stopped during the docking: dock the recorder again', 'the session was stopped (daemon shutdown)'),

  // ffmpeg and ffprobe (daemon/ingest/media.ts). A container that does not parse at offload is a flag, not an error.
  'media.no_picture': e(404, null, 'a thumbnail was asked of a recording without a picture (audio, other)'),
  'media.ffmpeg_failed': e(500, 'the dock could not make a picture of this recording', 'ffmpeg or ffprobe ran and failed, or timed out'),
  'media.ffmpeg_missing': e(500, 'ffmpeg is not installed on the dock', 'ffmpeg or ffprobe is not installed'),

  // Retention, holds and archive discs (daemon/retention/errors.ts).
  'retention.invalid': e(400, null, 'bad input; `field` names it'),
  'retention.not_found': e(404, null, 'the hold, archive or recording does not exist'),
  'retention.conflict': e(409, null, 'the state forbids it: hold already released, recording purged, no signed manifest yet'),
  'retention.archive_failed': e(
    500,
    'archive disc images could not be made or did not verify; nothing was kept (see the dock log and bwc-dock verify)',
    'xorriso failed or an image did not verify after writing (nothing is kept of it); details only in the log',
  ),

  // The console's services (daemon/console/services/errors.ts).
  'service.invalid': e(400, null, 'bad input; `field` names it'),
  'service.not_found': e(404, null, 'the thing asked for does not exist (or its stored file is missing)'),
  'service.forbidden': e(403, null, 'the role or the ownership does not allow it, or a wrong current password'),
  'service.conflict': e(409, null, 'the state forbids it (a finding already decided, a request already answered)'),
  'service.busy': e(503, null, 'a bounded queue (password hashing, exports) is full: try again shortly (Retry-After)'),

  // The console itself (daemon/console/errors.ts).
  'console.login_required': e(401, null, 'no login session, or it ended'),
  'console.purged': e(410, null, "the recording's file was purged (its tombstone remains)"),
  'console.too_many_streams': e(429, null, 'too many live-status streams open at once'),

  // Checkout, check-in, registry status (daemon/dock/checkout.ts).
  'checkout.unknown_device': e(404, null, 'no such recorder in the registry'),
  'checkout.unknown_officer': e(400, null, 'no such officer in the registry'),
  'checkout.bad_officer': e(409, null, "the officer's registry entry cannot be written to a recorder (`field` names what)"),
  'checkout.unavailable': e(409, null, 'the recorder is retired or in repair'),
  'checkout.already_checked_out': e(409, null, 'the recorder is checked out already: check it in first'),
  'checkout.not_checked_out': e(409, null, 'a check-in of a recorder that is not checked out'),
  'checkout.not_docked': e(409, null, 'the recorder is not in a slot, or its link is gone'),
  'checkout.busy': e(409, null, 'its docking session still works, or another checkout of it runs'),
  'checkout.not_ready': e(409, null, 'readiness refused it: `reasons` says why (battery, storage, pending_files, dock_unsynced)'),
  'checkout.bad_status': e(400, null, 'a status the registry may not be set to by hand'),
  'checkout.recorder': e(502, null, 'the recorder refused or did not answer'),

  // Console accounts and passwords (daemon/ledger/users.ts, passwords.ts); `field` names the input.
  'user.unknown_role': e(400, null, 'not one of the roles'),
  'user.officer_username': e(400, null, "an officer's username is not their 6-digit officer number"),
  'user.bad_username': e(400, null, 'a username that is not 2-64 letters, digits, dot, dash or underscore'),
  'user.reserved': e(400, null, "one of the dock's own names in the audit trail (dock, cli, system, anonymous, …)"),
  'user.exists': e(409, null, 'an account of that name exists'),
  'user.password_short': e(400, null, 'a password shorter than 12 characters'),
  'user.password_long': e(400, null, 'a password longer than the maximum'),
  'user.common_password': e(400, null, 'a password on the list of common passwords'),
  'user.contains_username': e(400, null, 'a password containing the username'),
  'user.repeated_character': e(400, null, 'a password of one character repeated'),

  // The recorder link (firmware-protocol/codec/errors.ts, LinkError): never HTTP (a checkout wraps them in `checkout.recorder`).
  'link.PROTOCOL_STATUS': e(null, 'the recorder refused a request of the dock: dock it again; if it fails again, the recorder may need repair', "the recorder answered with a non-OK status (the error says which)"),
  'link.TIMEOUT': e(null, 'the recorder stopped answering: dock it again', 'no answer after the retries'),
  'link.LINK_CLOSED': e(null, 'the recorder was unplugged', 'the serial link closed'),
  'link.BAD_RESPONSE': e(null, "the recorder's answers do not follow the protocol: its firmware may need an update", "a well-framed response whose payload does not match the spec"),
  'link.ENCODE': e(null, 'a value could not be written to the recorder (a name not in GBK or too long)', 'a value that cannot be put on the wire'),
  'link.ABORTED': e(null, 'the docking was cancelled (the recorder left or the dock stopped)', 'a request cancelled by its AbortSignal'),

  // Replication to the agency store (daemon/upstream/errors.ts): never HTTP, never a docking's end; shown by
  // GET /api/upstream (`lastError`), the dock log and the `agency` commands.
  'upstream.no_object_lock': e(null, null, 'the bucket has no S3 Object Lock: the dock refuses to start replicating into it'),
  'upstream.store': e(null, null, 'the object store refused or did not answer (down, wrong credentials, no such bucket); retried with backoff'),
  'upstream.not_confirmed': e(null, null, 'the HEAD after a write did not show the size, sha256 metadata, retention or legal hold written; retried'),
  'upstream.local_file': e(null, null, "the dock's own file is missing or no longer has its ledger's SHA-256: nothing is sent (finding upstream_file_bad)"),
  'upstream.delete_refused': e(null, null, 'the store refused to delete a purged file\'s version while its retention lasts (finding delete_refused); tried again after it'),
  'upstream.agency_ledger': e(null, null, "the agency's PostgreSQL refused or did not answer; retried with backoff"),

  // The first-start dialogue (daemon/setup/errors.ts): never HTTP, never a docking's end; `bwc-dock setup` exits 2 (130 on
  // Ctrl-C) and writes nothing. At a terminal a refused answer is asked again instead.
  'setup.config_exists': e(null, null, 'the config file exists and --force was not given: it is left as it was'),
  'setup.input_ended': e(null, null, 'stdin ended (Ctrl-D, too few lines) before every question had its answer'),
  'setup.interrupted': e(null, null, 'Ctrl-C before the setup was written (exit 130)'),
  'setup.invalid': e(null, null, 'an answer refused (with answers on stdin); the message names the question and why'),
  'setup.tls_unreadable': e(null, null, "the agency's certificate or key is not a readable PEM, or the key needs a passphrase"),
  'setup.tls_mismatch': e(null, null, "the agency's key is not the key of its certificate"),
  'setup.tls_expired': e(null, null, "the agency's certificate has expired or is not valid yet"),
  'setup.openssl_failed': e(null, null, 'openssl is missing or failed to make the self-signed certificate'),
  'setup.service_user': e(null, null, 'the --service-user does not exist, or setup is not run as root to give it the files'),
};

/** The catalogue key of an error: a DockError's `key`, a recorder link error's `link.<code>`; null for anything else. */
export function errorKeyOf(err: unknown): string | null {
  if (err instanceof DockError) return err.key;
  if (err instanceof LinkError) return `link.${err.code}`;
  return null;
}

/** The catalogue entry of an error, or null when it is not a coded error of the dock. */
export function catalogueEntry(err: unknown): CatalogueEntry | null {
  const key = errorKeyOf(err);
  return key !== null && Object.hasOwn(ERROR_CATALOGUE, key) ? ERROR_CATALOGUE[key as ErrorKey] : null;
}

/**
 * What a slot shows when a docking ends on `err`: the catalogue's words for its code, then the error's own
 * message (which names the file or the recorder); a bare message for anything uncatalogued.
 */
export function slotReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = catalogueEntry(err)?.reason;
  if (!reason || message.includes(reason)) return message;
  return `${reason} (${message})`;
}
