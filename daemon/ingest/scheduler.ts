import { IngestError } from './errors.js';
import { KeyedQueue } from './keyed-queue.js';

/**
 * Copy `items`, `concurrency` at a time (one per core: hashing is what bounds a copy), two items of one key
 * never at once (a recorder listing one seq twice: the second must see the first one's ledger row). The first
 * error stops every item not yet started; those running finish or fail on their own (an abort of `signal`
 * cancels them), then that first error is thrown.
 */
export async function copyEach<T>(
  items: ReadonlyArray<T>,
  o: { concurrency: number; keyOf: (item: T) => string | number; copy: (item: T) => Promise<void>; signal?: AbortSignal },
): Promise<void> {
  const q = new KeyedQueue(o.concurrency);
  let failure: { error: unknown } | null = null;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    q.close(error);
  };
  const aborted = () => new IngestError('aborted', `offload stopped: ${o.signal!.reason instanceof Error ? o.signal!.reason.message : String(o.signal!.reason)}`);
  const onAbort = () => fail(aborted());
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted) fail(aborted());
    await Promise.all(items.map((item) => q.execute(o.keyOf(item), () => o.copy(item)).catch(fail)));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw (failure as { error: unknown }).error;
}
