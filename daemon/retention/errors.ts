import { DockError } from '../errors.js';

/**
 * Refusals of the retention, hold and archive services. `code` says what kind of refusal it is; the console
 * maps it to a status (domain code never speaks HTTP).
 * - `invalid`: bad input, `field` names it;
 * - `not_found`: the hold, archive or recording does not exist;
 * - `conflict`: the state forbids it (hold already released, recording purged, no signed manifest yet);
 * - `archive_failed`: xorriso failed or an image did not verify after writing (nothing is kept of it).
 */
export const RETENTION_ERROR_CODES = ['invalid', 'not_found', 'conflict', 'archive_failed'] as const;
export type RetentionErrorCode = (typeof RETENTION_ERROR_CODES)[number];

export class RetentionError extends DockError<RetentionErrorCode> {
  readonly domain = 'retention';
}
