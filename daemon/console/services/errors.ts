import { DockError } from '../../errors.js';

/**
 * Refusals of the console's services; the catalogue maps `code` to an HTTP status (domain code never speaks HTTP).
 * `busy`: a bounded queue (password hashing, exports) is full: try again shortly.
 */
export const SERVICE_ERROR_CODES = ['invalid', 'not_found', 'forbidden', 'conflict', 'busy'] as const;
export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

export class ServiceError extends DockError<ServiceErrorCode> {
  readonly domain = 'service';
}
