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
  busy: boolean;
}

interface Task {
  /** Who asked (a docking session): free workers go to the owner with the fewest copies running. */
  owner: string;
  job: Omit<CopyJob, 'id' | 'cancel'>;
  cancel: SharedArrayBuffer;
  onProgress: (bytes: number) => void;
  resolve: (r: { sha256: string; bytes: number }) => void;
  reject: (e: Error) => void;
}

/** A small pool of copy+hash workers (one per core by default); jobs queue when all are busy. */
export class CopyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<number, { task: Task; slot: Slot; lastActivity: number }>();
  private stallTimer: NodeJS.Timeout | null = null;
  private readonly lastServed = new Map<string, number>();
  private serveCount = 0;
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size = Math.max(1, Math.min(4, availableParallelism())),
    private readonly stallMs = 60_000,
    /** After a cancel, how long a worker may take to notice before it is terminated (a read blocked on a dead device). */
    private readonly cancelGraceMs = 2_000,
  ) {}

  /**
   * Copy and hash one file in a worker. `signal` cancels it at once: a queued job never starts, a running
   * one rejects with ABORTED immediately while its worker stops within one chunk (or is terminated after
   * `cancelGraceMs`); the worker closes its files, the caller removes the temp file.
   */
  copy(job: Omit<CopyJob, 'id' | 'cancel'>, onProgress: (bytes: number) => void = () => undefined, owner = '', signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
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
    for (const [id, t] of this.running) {
      if (t.task !== task) continue;
      Atomics.store(new Int32Array(task.cancel), 0, 1);
      // The caller learns at once; the worker's own answer (ABORTED) then frees its slot.
      const settle = task.reject;
      task.resolve = () => undefined;
      task.reject = () => undefined;
      task.onProgress = () => undefined;
      settle(new CopyError('ABORTED', 'copy cancelled'));
      const timer = setTimeout(() => {
        if (this.running.get(id) !== t) return;
        this.onWorkerDeath(t.slot, new Error('cancelled copy did not stop'));
        void t.slot.worker.terminate();
      }, this.cancelGraceMs);
      timer.unref();
      return;
    }
  }

  /**
   * The next task, round-robin between owners: the owner with the fewest copies running, then the one
   * served longest ago (never served first), then the earliest queued. A recorder just docked gets its
   * first byte before another recorder gets its next file.
   */
  private nextTask(): Task {
    const running = new Map<string, number>();
    for (const { task: t } of this.running.values()) running.set(t.owner, (running.get(t.owner) ?? 0) + 1);
    const key = (t: Task): [number, number] => [running.get(t.owner) ?? 0, this.lastServed.get(t.owner) ?? -1];
    let best = 0;
    for (let i = 1; i < this.queue.length; i++) {
      const [r, l] = key(this.queue[i]!);
      const [br, bl] = key(this.queue[best]!);
      if (r < br || (r === br && l < bl)) best = i;
    }
    const task = this.queue.splice(best, 1)[0]!;
    this.lastServed.set(task.owner, this.serveCount++);
    if (this.lastServed.size > 256) {
      const active = new Set([...this.queue, ...[...this.running.values()].map((r) => r.task)].map((t) => t.owner));
      for (const o of this.lastServed.keys()) if (!active.has(o) && o !== task.owner) this.lastServed.delete(o);
    }
    return task;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(workerFile()), busy: false };
    slot.worker.unref();
    slot.worker.on('message', (m: CopyMessage) => this.onMessage(slot, m));
    slot.worker.on('error', (e) => this.onWorkerDeath(slot, e));
    slot.worker.on('exit', (code) => this.onWorkerDeath(slot, new Error(`copy worker exited with ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.nextTask();
      const id = this.nextId++;
      slot.busy = true;
      this.running.set(id, { task, slot, lastActivity: Date.now() });
      slot.worker.postMessage({ ...task.job, id, cancel: task.cancel } satisfies CopyJob);
    }
    this.watchStalls();
  }

  /**
   * A read blocked on a dying device never returns: a job without progress for `stallMs` is cancelled by
   * terminating its worker (the job fails with STALLED; a fresh worker takes the next job).
   */
  private watchStalls(): void {
    if (this.stallTimer || this.running.size === 0) return;
    this.stallTimer = setInterval(() => {
      const now = Date.now();
      for (const [, t] of this.running) {
        if (now - t.lastActivity > this.stallMs) {
          t.lastActivity = Infinity;
          this.onWorkerDeath(t.slot, Object.assign(new Error(`no progress for ${this.stallMs} ms`), { code: 'STALLED' }));
          void t.slot.worker.terminate();
        }
      }
      if (this.running.size === 0 && this.stallTimer) {
        clearInterval(this.stallTimer);
        this.stallTimer = null;
      }
    }, Math.min(1000, this.stallMs));
    this.stallTimer.unref();
  }

  private onMessage(slot: Slot, m: CopyMessage): void {
    const t = this.running.get(m.id);
    if (!t) return;
    t.lastActivity = Date.now();
    if (m.type === 'progress') return t.task.onProgress(m.bytes);
    this.running.delete(m.id);
    slot.busy = false;
    if (m.type === 'done') t.task.resolve({ sha256: m.sha256, bytes: m.bytes });
    else t.task.reject(new CopyError(m.code, m.message));
    this.pump();
  }

  private onWorkerDeath(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    for (const [id, t] of this.running) {
      if (t.slot === slot) {
        this.running.delete(id);
        t.task.reject(new CopyError((e as NodeJS.ErrnoException).code === 'STALLED' ? 'STALLED' : 'WORKER', e.message));
      }
    }
    if (!this.closed) this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.stallTimer) clearInterval(this.stallTimer);
    for (const t of this.queue.splice(0)) t.reject(new CopyError('CLOSED', 'copy pool closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}
