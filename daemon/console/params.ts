import { parseQueryTime } from '../policy/time-format.js';
import { ServiceError } from './services/errors.js';

/** A `from`/`to` query value (ISO 8601 with or without offset; without: the dock's zone), or 400 naming it. */
export function timeParam(value: string | undefined, field: string, zone: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseQueryTime(value, zone);
  if (ms === null) throw new ServiceError('invalid', `querystring.${field}: not an ISO 8601 date or time`, field);
  return ms;
}

export const TimeQuery = { pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}', maxLength: 40 } as const;

/** preValidation for routes whose body is optional: no body is the empty object (then the schema still applies). */
export async function emptyBodyIsObject(req: { body: unknown }): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}
