/** Refusals of the console's services; the console maps `code` to an HTTP status (domain code never speaks HTTP). */
export type ServiceErrorCode = 'invalid' | 'not_found' | 'forbidden' | 'conflict';

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
