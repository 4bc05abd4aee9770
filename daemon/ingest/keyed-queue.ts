/**
 * Jobs run at most `concurrency` at a time, in the order they were added, except that two jobs of one key never
 * run at once: a job whose key is busy waits and a later job of a free key goes first. No timers: a job starts
 * the moment a running one ends. (The idea of zigbee-herdsman's `src/utils/queue.ts`.)
 */
export class KeyedQueue {
  private readonly waiting: Array<{ key: string; start: () => void; fail: (e: unknown) => void }> = [];
  private readonly busyKeys = new Set<string>();
  private running = 0;
  private closedBy: unknown = null;

  constructor(readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  /** Jobs waiting to start. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Run `job` when a place and its key are free; resolves or rejects with it. */
  execute<T>(key: string | number, job: () => Promise<T>): Promise<T> {
    if (this.closedBy !== null) return Promise.reject(this.closedBy);
    const k = String(key);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        key: k,
        fail: reject,
        start: () => {
          this.running++;
          this.busyKeys.add(k);
          let p: Promise<T>;
          try {
            p = job();
          } catch (e) {
            p = Promise.reject(e);
          }
          p.then(resolve, reject).finally(() => {
            this.running--;
            this.busyKeys.delete(k);
            this.pump();
          });
        },
      });
      this.pump();
    });
  }

  /** Start nothing more: every waiting job rejects with `reason`; running ones end on their own. */
  close(reason: unknown): void {
    if (this.closedBy === null) this.closedBy = reason;
    for (const w of this.waiting.splice(0)) w.fail(reason);
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const i = this.waiting.findIndex((w) => !this.busyKeys.has(w.key));
      if (i < 0) return;
      this.waiting.splice(i, 1)[0]!.start();
    }
  }
}
