/**
 * Worker thread: copy one file from a recorder volume into a temp file on the dock, hashing in the
 * same pass. Runs off the main thread so hashing uses the second core and the console stays live.
 * It never follows a symlink and never writes anywhere but the temp path it is given (O_EXCL).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export interface CopyJob {
  id: number;
  src: string;
  temp: string;
  chunkBytes: number;
  progressEveryBytes: number;
  /** st_dev of the volume root: a file opened on any other device (a symlinked folder swapped in) is refused. */
  expectDev?: number;
  /** One Int32 the pool sets to 1 to cancel the copy: checked before every chunk, so a copy stops within one chunk. */
  cancel?: SharedArrayBuffer;
}

export type CopyMessage =
  | { id: number; type: 'progress'; bytes: number }
  | { id: number; type: 'done'; sha256: string; bytes: number }
  | { id: number; type: 'error'; code: string; message: string };

function run(job: CopyJob): void {
  const post = (m: CopyMessage) => parentPort!.postMessage(m);
  let inFd = -1;
  let outFd = -1;
  let answer: CopyMessage;
  try {
    inFd = openSync(job.src, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(inFd);
    if (!st.isFile()) throw Object.assign(new Error(`${job.src} is not a regular file`), { code: 'NOT_REGULAR' });
    if (job.expectDev !== undefined && st.dev !== job.expectDev) throw Object.assign(new Error(`${job.src} is not on the recorder's volume`), { code: 'NOT_REGULAR' });
    outFd = openSync(job.temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(job.chunkBytes);
    let total = 0;
    let lastReport = 0;
    const cancel = job.cancel ? new Int32Array(job.cancel) : null;
    for (;;) {
      if (cancel && Atomics.load(cancel, 0) !== 0) throw Object.assign(new Error(`copy of ${job.src} cancelled`), { code: 'ABORTED' });
      const n = readSync(inFd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      for (let off = 0; off < n; ) off += writeSync(outFd, chunk, off, n - off);
      total += n;
      if (total - lastReport >= job.progressEveryBytes) {
        lastReport = total;
        post({ id: job.id, type: 'progress', bytes: total });
      }
    }
    answer = { id: job.id, type: 'done', sha256: hash.digest('hex'), bytes: total };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    answer = { id: job.id, type: 'error', code: err.code ?? 'EIO', message: err.message };
  } finally {
    // Close before answering: an unlinked temp file frees its space only once no descriptor holds it.
    if (inFd >= 0) closeSync(inFd);
    if (outFd >= 0) closeSync(outFd);
  }
  // A failed copy removes the temp file it made (O_EXCL: it is this job's own). The caller removes it too, but a
  // cancelled caller is answered at once and may do so before this worker has even opened it.
  if (answer.type === 'error' && outFd >= 0) {
    try {
      unlinkSync(job.temp);
    } catch {
      // already removed by the caller
    }
  }
  post(answer);
}

parentPort?.on('message', (job: CopyJob) => run(job));
