import { DockError } from '../errors.js';

/**
 * Errors of replication to the agency store (issue 16). None reaches a docking: ingest never waits for the
 * store; they show in `GET /api/upstream` (`lastError`), in the dock log, and from the `agency` commands.
 * - `no_object_lock`: the bucket has no S3 Object Lock: the dock refuses to start replicating into it;
 * - `store`: the object store refused or did not answer (down, wrong credentials, no such bucket);
 * - `not_confirmed`: the HEAD after a write did not show the size, `sha256` metadata, retention or legal hold written;
 * - `local_file`: the dock's own file is missing or no longer has the SHA-256 its ledger holds (nothing is sent);
 * - `delete_refused`: the store refused to delete an object version (its retention has not passed): a finding;
 * - `agency_ledger`: the agency's PostgreSQL refused or did not answer.
 */
export const UPSTREAM_ERROR_CODES = ['no_object_lock', 'store', 'not_confirmed', 'local_file', 'delete_refused', 'agency_ledger'] as const;
export type UpstreamErrorCode = (typeof UPSTREAM_ERROR_CODES)[number];

export class UpstreamError extends DockError<UpstreamErrorCode> {
  readonly domain = 'upstream';
}
