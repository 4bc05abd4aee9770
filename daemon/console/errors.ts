import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { CheckoutError } from '../dock/checkout.js';
import { catalogueEntry } from '../error-catalogue.js';
import { DockError } from '../errors.js';
import { UserError } from '../ledger/users.js';

/** The console's own refusals, those no service below it knows of. */
export const CONSOLE_ERROR_CODES = [
  'login_required', // no session, or it ended
  'purged', // the recording's file was purged (a tombstone remains)
  'too_many_streams', // too many live-status streams open
] as const;
export type ConsoleErrorCode = (typeof CONSOLE_ERROR_CODES)[number];

/** A refusal made by the console itself; its status comes from the catalogue like every other. */
export class ApiError extends DockError<ConsoleErrorCode> {
  readonly domain = 'console';
}

/** What the console answers for an error: the status, the `error` words and extra body fields. */
export interface ApiAnswer {
  status: number;
  error: string;
  extra: Record<string, unknown>;
}

/**
 * A coded error as an API answer, its status read from `daemon/error-catalogue.ts`; null for anything else and
 * for codes that never reach HTTP (then a bare 500, logged). A 500 carries the catalogue's plain words, never the
 * error's message (internals stay in the log); a 502 or 503 says what the recorder or the dock's load refused.
 */
export function toApiError(e: unknown): ApiAnswer | null {
  if (!(e instanceof DockError)) return null;
  const entry = catalogueEntry(e);
  if (!entry || entry.status === null) return null;
  if (entry.status === 500) return { status: entry.status, error: entry.reason ?? 'internal error', extra: {} };
  const extra: Record<string, unknown> = { code: e.key };
  if (e.field) extra.field = e.field;
  if (e instanceof CheckoutError && e.code === 'not_ready') extra.reasons = e.reasons;
  // A user error's message does not name its field (the CLI prints it after the option's name).
  const error = e instanceof UserError ? `body.${e.field}: ${e.message}` : e.message;
  return { status: entry.status, error, extra };
}

/** Schema errors name the field: `body.officerNo: must match pattern "^[0-9]{6}$"`. */
export function formatSchemaError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  if (!e) return new Error(`${dataVar}: invalid`);
  let path = dataVar + (e.instancePath ? e.instancePath.replace(/\//g, '.') : '');
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') return new Error(`${path}.${params.missingProperty}: is required`);
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') return new Error(`${path}.${params.additionalProperty}: is not a known field`);
  if (e.keyword === 'anyOf' || e.keyword === 'enum') {
    const allowed = Array.isArray(params.allowedValues) ? `: one of ${params.allowedValues.join(', ')}` : '';
    return new Error(`${path}: not an accepted value${allowed}`);
  }
  if (path === dataVar && e.keyword === 'type') path = dataVar;
  return new Error(`${path}: ${e.message ?? 'invalid'}`);
}

/** The field a schema error is about (its last path segment, or the missing or unknown property). */
function schemaField(errors: FastifySchemaValidationError[]): { field?: string } {
  const e = errors[0];
  if (!e) return {};
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') return { field: params.missingProperty };
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') return { field: params.additionalProperty };
  const last = e.instancePath.split('/').filter((x) => x !== '' && !/^\d+$/.test(x)).pop();
  return last ? { field: last } : {};
}

/** One error handler: intended answers as `{ error }`, schema errors 400, anything else a bare 500 (logged). */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const api = toApiError(err);
    if (api) {
      if (api.status === 500) req.log.error({ err }, 'request failed');
      if (api.status === 503) reply.header('retry-after', '2');
      return reply.code(api.status).send({ error: api.error, ...api.extra });
    }
    // The words stay for the API's users; `code` and `field` let the console say it in the user's language.
    if (err.validation) return reply.code(400).send({ error: err.message, code: 'invalid', ...schemaField(err.validation) });
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
}

export const ErrorBody = {
  type: 'object',
  properties: { error: { type: 'string' } },
  required: ['error'],
  additionalProperties: true,
} as const;
