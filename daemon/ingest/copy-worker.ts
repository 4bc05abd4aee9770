/**
 * Worker thread: copy files from recorder volumes into temp files on the dock, hashing in the same pass. Runs off
 * the main thread so hashing uses another core and the console stays live. One worker serves many copies at once:
 * each copy reads and writes through the process's I/O thread pool with two buffers (the next chunk is read while
 * this one is hashed and written), and the pool's FIFO order of requests interleaves the copies chunk by chunk, so
 * a recorder docked last gets its first byte after at most one chunk of each other copy, never after whole files;
 * a recorder slowed by its USB link holds an I/O thread, not the others. Every read is of the size the pool sets
 * for all copies at that moment (larger while few copies run), so equal turns stay equal shares.
 * It never follows a symlink and never writes anywhere but the temp path it is given (O_EXCL).
 */
import { createHash } from 'node:crypto';
import { constants, unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';

export interface CopyJob {
  id: number;
  src: string;
  temp: string;
  /** A fixed chunk size; without it, each read takes the size in `chunkNow`. */
  chunkBytes?: number;
  /** One Int32 the pool keeps at the chunk size for every copy's next read (see CopyPool.chunkFor). */
  chunkNow?: SharedArrayBuffer;
  progressEveryBytes: number;
  /** st_dev of the volume root: a file opened on any other device (a symlinked folder swapped in) is refused. */
  expectDev?: number;
  /** One Int32 the pool sets to 1 to cancel the copy: checked after every read and write, so a copy stops within one chunk. */
  cancel?: SharedArrayBuffer;
}

export type CopyMessage =
  | { id: number; type: 'progress'; bytes: number }
  | { id: number; type: 'done'; sha256: string; bytes: number }
  | { id: number; type: 'error'; code: string; message: string };

/**
 * A chunk of the pool's shared size is read into pieces of `PIECE` bytes (the pool's smallest chunk size; the
 * larger ones are multiples of it), as many as the size of now takes, with one vectored read (preadv): when the
 * size moves, a copy gives pieces back or takes more, all of one size, so the pieces one move lets go are those the
 * next one takes. Buffers swapped for ones of the new size at every move were left to the garbage collector: 80 MiB
 * allocated for sixteen copies of 16 MiB whose size moved at every read, 16 MiB this way. A job with a fixed
 * `chunkBytes` reads into one piece of that size.
 */
const PIECE = 256 << 10;

/**
 * Pieces kept for the next reads of this worker, by size, up to `FREE_CAP` bytes in all: a copy reuses memory the
 * last one touched instead of growing the heap's external memory until a garbage collection.
 */
const FREE_CAP = 16 << 20;
const free = new Map<number, Buffer[]>();
let freeBytes = 0;

function takeBuffer(size: number): Buffer {
  const b = free.get(size)?.pop();
  if (b) {
    freeBytes -= size;
    return b;
  }
  return Buffer.allocUnsafeSlow(size);
}

function giveBuffer(b: Buffer): void {
  if (freeBytes + b.length > FREE_CAP) return;
  const list = free.get(b.length) ?? [];
  list.push(b);
  free.set(b.length, list);
  freeBytes += b.length;
}

/** The first `n` bytes of `pieces` from byte `from` on, as views. */
function span(pieces: Buffer[], from: number, n: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const p of pieces) {
    const start = Math.max(from - at, 0);
    const end = Math.min(n - at, p.length);
    if (end > start) out.push(start === 0 && end === p.length ? p : p.subarray(start, end));
    at += p.length;
    if (at >= n) break;
  }
  return out;
}

/** Swallow a rejection for now (it is awaited later): a rejected promise nobody listens to yet would end the worker. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function writeAll(out: FileHandle, pieces: Buffer[], n: number, position: number): Promise<void> {
  for (let off = 0; off < n; ) off += (await out.writev(span(pieces, off, n), position + off)).bytesWritten;
}

async function run(job: CopyJob): Promise<CopyMessage> {
  const cancel = job.cancel ? new Int32Array(job.cancel) : null;
  const check = () => {
    if (cancel && Atomics.load(cancel, 0) !== 0) throw Object.assign(new Error(`copy of ${job.src} cancelled`), { code: 'ABORTED' });
  };
  const chunkNow = job.chunkNow ? new Int32Array(job.chunkNow) : null;
  const chunk = () => job.chunkBytes ?? Atomics.load(chunkNow!, 0);
  let input: FileHandle | null = null;
  let output: FileHandle | null = null;
  const piece = job.chunkBytes ?? PIECE;
  const chunks: Buffer[][] = [[], []];
  /** Chunk `i` for the next read, as many pieces as the chunk size of now takes (it is free: its last write is done). */
  const chunkAt = (i: number): Buffer[] => {
    const c = chunks[i]!;
    const want = Math.max(1, Math.ceil(chunk() / piece));
    while (c.length < want) c.push(takeBuffer(piece));
    while (c.length > want) giveBuffer(c.pop()!);
    return c;
  };
  // Requests still in flight when the copy fails: the buffers go back (and the files close) only once they settle.
  let reading: Promise<unknown> = Promise.resolve();
  let writing: Promise<void> = Promise.resolve();
  let failed = true;
  try {
    // O_NONBLOCK: a fifo swapped in for a recording opens at once (and is refused below) instead of holding an I/O
    // thread until some writer comes; reads of a regular file ignore the flag (GNU tar opens its inputs so).
    input = await open(job.src, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    check();
    const st = await input.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${job.src} is not a regular file`), { code: 'NOT_REGULAR' });
    if (job.expectDev !== undefined && st.dev !== job.expectDev) throw Object.assign(new Error(`${job.src} is not on the recorder's volume`), { code: 'NOT_REGULAR' });
    output = await open(job.temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const hash = createHash('sha256');
    let total = 0;
    let lastReport = 0;
    let k = 0;
    let next = quiet(input.readv(chunkAt(0), 0));
    reading = next;
    for (;;) {
      const { bytesRead: n } = await next;
      check();
      if (n === 0) break;
      const read = chunks[k & 1]!;
      // The other chunk is free once its write is done: read into it while this one is hashed and written.
      await writing;
      check();
      next = quiet(input.readv(chunkAt((k + 1) & 1), total + n));
      reading = next;
      for (const p of span(read, 0, n)) hash.update(p);
      writing = quiet(writeAll(output, read, n, total));
      total += n;
      k++;
      if (total - lastReport >= job.progressEveryBytes) {
        lastReport = total;
        parentPort!.postMessage({ id: job.id, type: 'progress', bytes: total } satisfies CopyMessage);
      }
    }
    await writing;
    failed = false;
    return { id: job.id, type: 'done', sha256: hash.digest('hex'), bytes: total };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { id: job.id, type: 'error', code: err.code ?? 'EIO', message: err.message };
  } finally {
    await Promise.allSettled([reading, writing]);
    // Close before answering: an unlinked temp file frees its space only once no descriptor holds it.
    await input?.close().catch(() => undefined);
    await output?.close().catch(() => undefined);
    for (const c of chunks) for (const p of c) giveBuffer(p);
    // A failed copy removes the temp file it made (O_EXCL: it is this job's own). The caller removes it too, but a
    // cancelled caller is answered at once and may do so before this worker has even opened it.
    if (failed && output) {
      try {
        unlinkSync(job.temp);
      } catch {
        // already removed by the caller
      }
    }
  }
}

parentPort?.on('message', (job: CopyJob) => {
  void run(job).then((answer) => parentPort!.postMessage(answer));
});
