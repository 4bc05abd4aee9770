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
  job: Omit<CopyJob, 'id'>;
  onProgress: (bytes: number) => void;
  resolve: (r: { sha256: string; bytes: number }) => void;
  reject: (e: Error) => void;
}

/** A small pool of copy+hash workers (one per core by default); jobs queue when all are busy. */
export class CopyPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<number, Task & { slot: Slot; lastActivity: number }>();
  private stallTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size = Math.max(1, Math.min(4, availableParallelism())),
    private readonly stallMs = 60_000,
  ) {}

  copy(job: Omit<CopyJob, 'id'>, onProgress: (bytes: number) => void = () => undefined): Promise<{ sha256: string; bytes: number }> {
    if (this.closed) return Promise.reject(new CopyError('CLOSED', 'copy pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, onProgress, resolve, reject });
      this.pump();
    });
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
      const task = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy = true;
      this.running.set(id, { ...task, slot, lastActivity: Date.now() });
      slot.worker.postMessage({ ...task.job, id } satisfies CopyJob);
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
    if (m.type === 'progress') return t.onProgress(m.bytes);
    this.running.delete(m.id);
    slot.busy = false;
    if (m.type === 'done') t.resolve({ sha256: m.sha256, bytes: m.bytes });
    else t.reject(new CopyError(m.code, m.message));
    this.pump();
  }

  private onWorkerDeath(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    for (const [id, t] of this.running) {
      if (t.slot === slot) {
        this.running.delete(id);
        t.reject(new CopyError((e as NodeJS.ErrnoException).code === 'STALLED' ? 'STALLED' : 'WORKER', e.message));
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
