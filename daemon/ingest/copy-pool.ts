import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CopyJob, CopyMessage } from './copy-worker.js';

export class CopyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CopyError';
  }
}

/** The compiled worker; when running from TypeScript sources (tests), the build's copy under dist/. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.replace(/copy-pool\.(ts|js)$/, 'copy-worker.js');
  if (existsSync(js)) return js;
  const built = js.replace(/\/daemon\/ingest\//, '/dist/daemon/ingest/');
  if (existsSync(built)) return built;
  throw new Error(`copy worker not found at ${js} or ${built}: run npm run build`);
}

interface Slot {
  worker: Worker;
  /** Copies this worker is running. */
  jobs: number;
}

interface Task {
  /** Who asked (a docking session): a free place goes to the owner with the fewest copies running. */
  owner: string;
  job: Omit<CopyJob, 'id' | 'cancel' | 'chunkNow'>;
  cancel: SharedArrayBuffer;
  onProgress: (bytes: number) => void;
  resolve: (r: { sha256: string; bytes: number }) => void;
  reject: (e: Error) => void;
}

interface Running {
  task: Task;
  slot: Slot;
  lastActivity: number;
}

/**
 * The chunk size of every copy's next read while `running` copies run: what keeps the buffers of all of them
 * (two each) within `CHUNK_BUDGET`, as a power of two between 256 KiB and 2 MiB. One recorder's two copies read
 * 2 MiB at a time (fewer requests and wake-ups per byte: 534 → 636-682 MB/s copying 3 GiB with 2 copies here),
 * twenty recorders' forty copies 256 KiB (20 MiB in all). All copies read the same size at any moment, so the
 * I/O thread pool's turns stay equal shares.
 */
export function chunkFor(running: number): number {
  const each = CHUNK_BUDGET / (2 * Math.max(1, running));
  let size = MAX_CHUNK;
  while (size > MIN_CHUNK && size > each) size /= 2;
  return size;
}
const MIN_CHUNK = 256 << 10;
const MAX_CHUNK = 2 << 20;
const CHUNK_BUDGET = 16 << 20;

/**
 * Copies and hashes files in a few worker threads (one per core, at most 4), `size` copies at once; more wait
 * in a queue, served round-robin between owners. Each worker runs many copies at once, interleaved chunk by
 * chunk (see copy-worker.ts), so a recorder docked while others copy starts at once instead of waiting for
 * their files to end.
 */
export class CopyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<number, Running>();
  private stallTimer: NodeJS.Timeout | null = null;
  private readonly lastServed = new Map<string, number>();
  private serveCount = 0;
  private nextId = 1;
  private closed = false;
  /** The chunk size for every copy's next read (Int32, see `chunkFor`), shared with the workers. */
  private readonly chunkNow = new SharedArrayBuffer(4);
  readonly workers: number;

  constructor(
    /** Copies at once; the docking sessions bound it too (two files per recorder). */
    readonly size = 64,
    private readonly stallMs = 60_000,
    /** After a cancel, how long a copy may take to notice before its place is given to the next (a read blocked on a dead device). */
    private readonly cancelGraceMs = 2_000,
    workers = Math.max(1, Math.min(4, availableParallelism())),
    /**
     * Copies of one owner running at once; the rest of its copies wait here, while other owners' copies start.
     * A docking session asks for one file more than this, so that a file's fsync, link and ledger steps after its
     * copy never leave the recorder's copy place idle.
     */
    readonly perOwner = Number.POSITIVE_INFINITY,
  ) {
    this.workers = Math.max(1, Math.min(workers, size));
    Atomics.store(new Int32Array(this.chunkNow), 0, chunkFor(0));
  }

  /** The chunk size copies read now (those without a fixed `chunkBytes`). */
  get chunkBytes(): number {
    return Atomics.load(new Int32Array(this.chunkNow), 0);
  }

  /** Copies running now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Copy and hash one file in a worker. `signal` cancels it at once: a queued job never starts, a running
   * one rejects with ABORTED immediately while its worker stops within one chunk; the worker closes its
   * files and removes the temp file it made, and the caller removes it too.
   */
  copy(job: Omit<CopyJob, 'id' | 'cancel' | 'chunkNow'>, onProgress: (bytes: number) => void = () => undefined, owner = '', signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
    if (this.closed) return Promise.reject(new CopyError('CLOSED', 'copy pool closed'));
    if (signal?.aborted) return Promise.reject(new CopyError('ABORTED', 'copy cancelled'));
    return new Promise((resolve, reject) => {
      const task: Task = { owner, job, cancel: new SharedArrayBuffer(4), onProgress, resolve, reject };
      const onAbort = () => this.cancelTask(task);
      signal?.addEventListener('abort', onAbort, { once: true });
      const off = () => signal?.removeEventListener('abort', onAbort);
      task.resolve = (r) => (off(), resolve(r));
      task.reject = (e) => (off(), reject(e));
      this.queue.push(task);
      this.pump();
    });
  }

  private cancelTask(task: Task): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      task.reject(new CopyError('ABORTED', 'copy cancelled'));
      return;
    }
    for (const [id, r] of this.running) {
      if (r.task !== task) continue;
      this.abandon(id, r, new CopyError('ABORTED', 'copy cancelled'), this.cancelGraceMs);
      return;
    }
  }

  /**
   * Tell the worker to stop copy `id` and answer its caller with `error` now. The place stays taken until the
   * worker answers, or for `graceMs` at most: a read blocked on a dead device may never return, and one stuck
   * copy (an I/O thread and two descriptors, until the read returns) must not hold up the others.
   */
  private abandon(id: number, r: Running, error: CopyError, graceMs: number): void {
    Atomics.store(new Int32Array(r.task.cancel), 0, 1);
    const settle = r.task.reject;
    r.task.resolve = () => undefined;
    r.task.reject = () => undefined;
    r.task.onProgress = () => undefined;
    settle(error);
    const free = () => {
      if (this.running.get(id) !== r) return;
      this.running.delete(id);
      r.slot.jobs--;
      this.pump();
    };
    if (graceMs <= 0) return free();
    r.lastActivity = Infinity;
    setTimeout(free, graceMs).unref();
  }

  /**
   * The next task, round-robin between owners: the owner with the fewest copies running, then the one
   * served longest ago (never served first), then the earliest queued; none while every queued task's owner
   * runs `perOwner` copies already.
   */
  private nextTask(): Task | null {
    const running = new Map<string, number>();
    for (const { task: t } of this.running.values()) running.set(t.owner, (running.get(t.owner) ?? 0) + 1);
    const key = (t: Task): [number, number] => [running.get(t.owner) ?? 0, this.lastServed.get(t.owner) ?? -1];
    let best = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const [r, l] = key(this.queue[i]!);
      if (r >= this.perOwner) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const [br, bl] = key(this.queue[best]!);
      if (r < br || (r === br && l < bl)) best = i;
    }
    if (best < 0) return null;
    const task = this.queue.splice(best, 1)[0]!;
    this.lastServed.set(task.owner, this.serveCount++);
    if (this.lastServed.size > 256) {
      const active = new Set([...this.queue, ...[...this.running.values()].map((r) => r.task)].map((t) => t.owner));
      for (const o of this.lastServed.keys()) if (!active.has(o) && o !== task.owner) this.lastServed.delete(o);
    }
    return task;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(workerFile()), jobs: 0 };
    slot.worker.unref();
    slot.worker.on('message', (m: CopyMessage) => this.onMessage(slot, m));
    slot.worker.on('error', (e) => this.onWorkerDeath(slot, e));
    slot.worker.on('exit', (code) => this.onWorkerDeath(slot, new Error(`copy worker exited with ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  /** The worker with the fewest copies, a new one while there are fewer than `workers`. */
  private pickSlot(): Slot {
    if (this.slots.length < this.workers) return this.spawn();
    return this.slots.reduce((a, b) => (b.jobs < a.jobs ? b : a));
  }

  private pump(): void {
    while (this.queue.length > 0 && this.running.size < this.size) {
      const task = this.nextTask();
      if (!task) break;
      const slot = this.pickSlot();
      const id = this.nextId++;
      const job: CopyJob = { ...task.job, id, cancel: task.cancel, ...(task.job.chunkBytes === undefined ? { chunkNow: this.chunkNow } : {}) };
      slot.jobs++;
      this.running.set(id, { task, slot, lastActivity: Date.now() });
      slot.worker.postMessage(job);
    }
    // Every change of the running set passes here (a copy started, ended, or its place freed after a cancel).
    Atomics.store(new Int32Array(this.chunkNow), 0, chunkFor(this.running.size));
    this.watchStalls();
  }

  /**
   * A read blocked on a dying device never returns: a job without progress for `stallMs` fails with STALLED
   * and its place goes to the next (the worker drops it whenever its read returns).
   */
  private watchStalls(): void {
    if (this.stallTimer || this.running.size === 0) return;
    this.stallTimer = setInterval(() => {
      const now = Date.now();
      for (const [id, r] of this.running) {
        if (now - r.lastActivity > this.stallMs) this.abandon(id, r, new CopyError('STALLED', `no progress for ${this.stallMs} ms`), 0);
      }
      if (this.running.size === 0 && this.stallTimer) {
        clearInterval(this.stallTimer);
        this.stallTimer = null;
      }
    }, Math.min(1000, this.stallMs));
    this.stallTimer.unref();
  }

  private onMessage(slot: Slot, m: CopyMessage): void {
    const r = this.running.get(m.id);
    if (!r) return;
    if (r.lastActivity !== Infinity) r.lastActivity = Date.now();
    if (m.type === 'progress') return r.task.onProgress(m.bytes);
    this.running.delete(m.id);
    slot.jobs--;
    if (m.type === 'done') r.task.resolve({ sha256: m.sha256, bytes: m.bytes });
    else r.task.reject(new CopyError(m.code, m.message));
    this.pump();
  }

  private onWorkerDeath(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    for (const [id, r] of this.running) {
      if (r.slot === slot) {
        this.running.delete(id);
        r.task.reject(new CopyError('WORKER', e.message));
      }
    }
    if (!this.closed) this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.stallTimer) clearInterval(this.stallTimer);
    for (const t of this.queue.splice(0)) t.reject(new CopyError('CLOSED', 'copy pool closed'));
    for (const [id, r] of this.running) this.abandon(id, r, new CopyError('CLOSED', 'copy pool closed'), 0);
    // A worker ends only once its requests in the I/O thread pool return, and a read from a device that stopped
    // answering may never: wait for the workers no longer than a cancelled copy is given to notice.
    const ended = Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, this.cancelGraceMs)))]);
    clearTimeout(timer);
  }
}
