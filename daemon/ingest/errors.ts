import { DockError } from '../errors.js';

/** Codes of everything that can stop the offload of a file or a session (the catalogue says what each means). */
export const INGEST_ERROR_CODES = ['disk_low', 'volume_gone', 'unreadable', 'not_regular', 'missing', 'bad_name', 'aborted'] as const;
export type IngestErrorCode = (typeof INGEST_ERROR_CODES)[number];

export class IngestError extends DockError<IngestErrorCode> {
  readonly domain = 'ingest';
}

/** Map a file-system errno from a copy to the ingest error it means. */
export function classifyErrno(code: string, path: string, message: string): IngestError {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new IngestError('disk_low', `dock storage full while writing ${path}`);
    case 'ENOENT':
      return new IngestError('missing', `${path} is not on the volume`);
    case 'ABORTED':
      return new IngestError('aborted', `copy of ${path} cancelled`);
    case 'STALLED':
      return new IngestError('volume_gone', `reading ${path} made no progress (device not answering)`);
    case 'ENOTCONN':
    case 'ENODEV':
    case 'ENXIO':
    case 'ESTALE':
      return new IngestError('volume_gone', `volume vanished while reading ${path}`);
    case 'ELOOP':
    case 'NOT_REGULAR':
    case 'EISDIR':
      return new IngestError('not_regular', `${path} is not a regular file (symlinks are never followed)`);
    default:
      return new IngestError('unreadable', `cannot read ${path}: ${message}`);
  }
}
