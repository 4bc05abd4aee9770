/**
 * One queue for every change to what may be purged (purges, keeps, holds): a hold placed while a purge is
 * being signed waits for it, so no signed tombstone ever names a recording that became held meanwhile.
 */
export class RetentionLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
