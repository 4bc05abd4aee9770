import { Command, Status } from './constants.js';

/** Every error the recorder link raises. `code` is stable and documented in firmware-protocol/README.md. */
export type LinkErrorCode =
  | 'PROTOCOL_STATUS'
  | 'TIMEOUT'
  | 'LINK_CLOSED'
  | 'BAD_RESPONSE'
  | 'ENCODE'
  | 'ABORTED';

export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

/** The recorder answered with a non-OK status. */
export class ProtocolError extends LinkError {
  constructor(
    readonly command: Command,
    readonly status: Status,
  ) {
    super('PROTOCOL_STATUS', `${Command[command] ?? `cmd 0x${command.toString(16)}`} answered ${Status[status] ?? `status 0x${status.toString(16)}`}`);
    this.name = 'ProtocolError';
  }
}

export class TimeoutError extends LinkError {
  constructor(
    readonly command: Command,
    readonly attempts: number,
  ) {
    super('TIMEOUT', `${Command[command]} got no answer after ${attempts} attempt(s)`);
    this.name = 'TimeoutError';
  }
}

export class LinkClosedError extends LinkError {
  constructor(message = 'recorder link closed') {
    super('LINK_CLOSED', message);
    this.name = 'LinkClosedError';
  }
}

/** A well-framed response whose payload does not match the spec (wrong length, bad field). */
export class BadResponseError extends LinkError {
  constructor(message: string) {
    super('BAD_RESPONSE', message);
    this.name = 'BadResponseError';
  }
}

/** A value that cannot be put on the wire: a name that is not GBK or too long, a time out of range. */
export class EncodeError extends LinkError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('ENCODE', `${field}: ${message}`);
    this.name = 'EncodeError';
  }
}

/** The host gave up on the request (an unplug, a stopping daemon): its `AbortSignal` fired. */
export class AbortedError extends LinkError {
  constructor(reason = 'request aborted') {
    super('ABORTED', reason);
    this.name = 'AbortedError';
  }
}
