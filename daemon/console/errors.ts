import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { CheckoutError, type CheckoutErrorCode } from '../dock/checkout.js';
import { MediaError } from '../ingest/media.js';
import { UserError } from '../ledger/users.js';
import { ServiceError, type ServiceErrorCode } from './services/errors.js';

/** An answer the console gives on purpose: status, message, extra body fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const SERVICE_STATUS: Record<ServiceErrorCode, number> = { invalid: 400, not_found: 404, forbidden: 403, conflict: 409 };
const CHECKOUT_STATUS: Record<CheckoutErrorCode, number> = {
  unknown_device: 404,
  unknown_officer: 400,
  bad_officer: 409,
  unavailable: 409,
  already_checked_out: 409,
  not_checked_out: 409,
  not_docked: 409,
  busy: 409,
  not_ready: 409,
  bad_status: 400,
  recorder: 502,
};

/** Domain errors as API answers; null for anything unexpected (then a bare 500). */
export function toApiError(e: unknown): ApiError | null {
  if (e instanceof ApiError) return e;
  if (e instanceof ServiceError) return new ApiError(SERVICE_STATUS[e.code], e.message, e.field ? { field: e.field } : {});
  if (e instanceof CheckoutError) {
    const extra: Record<string, unknown> = {};
    if (e.code === 'not_ready') extra.reasons = e.reasons;
    if (e.field) extra.field = e.field;
    return new ApiError(CHECKOUT_STATUS[e.code], e.message, extra);
  }
  if (e instanceof UserError) return new ApiError(/exists/.test(e.message) ? 409 : 400, `body.${e.field}: ${e.message}`, { field: e.field });
  if (e instanceof MediaError && e.code === 'no_picture') return new ApiError(404, e.message);
  return null;
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

/** One error handler: intended answers as `{ error }`, schema errors 400, anything else a bare 500 (logged). */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const api = toApiError(err);
    if (api) {
      if (api.status === 503) reply.header('retry-after', '2');
      return reply.code(api.status).send({ error: api.message, ...api.extra });
    }
    if (err.validation) return reply.code(400).send({ error: err.message });
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
