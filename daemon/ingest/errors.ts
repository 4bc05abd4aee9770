/** Codes of everything that can stop the offload of a file or a session; listed in the README. */
export type IngestErrorCode =
  | 'disk_low' // the dock's storage is below its floor or full (ENOSPC)
  | 'volume_gone' // the recorder's volume vanished mid-file (unplug)
  | 'unreadable' // the file could not be read (I/O error), or changed while being read
  | 'not_regular' // a symlink, folder or device where a file was catalogued
  | 'missing' // the catalogued file is not on the volume
  | 'bad_name' // a name that would leave the volume or the dock's folder
  | 'aborted'; // the session was stopped (daemon shutdown)

export class IngestError extends Error {
  constructor(
    readonly code: IngestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

/** Map a file-system errno from a copy to the ingest error it means. */
export function classifyErrno(code: string, path: string, message: string): IngestError {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new IngestError('disk_low', `dock storage full while writing ${path}`);
    case 'ENOENT':
      return new IngestError('missing', `${path} is not on the volume`);
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
