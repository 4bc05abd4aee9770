import type { Config } from '../config.js';
import type { DockClock } from '../dock/context.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import { Replicator } from './replicator.js';
import { ObjectStore } from './store.js';

export { Replicator } from './replicator.js';
export { UpstreamError } from './errors.js';

/** Replication of a dock with `upstream` configured: checks the bucket's Object Lock, then drains in the background. */
export async function startReplication(config: Config, ledger: Ledger, log: Logger, clock: Pick<DockClock, 'now' | 'synced'>): Promise<Replicator> {
  const u = config.upstream!;
  const store = new ObjectStore(u.s3);
  const r = new Replicator({
    dockId: config.dockId,
    dataDir: config.dataDir,
    ledger,
    store,
    postgres: u.postgres,
    log,
    now: () => clock.now(),
    clockSynced: () => clock.synced(),
    concurrency: u.concurrency,
    backoffBaseMs: u.retryBaseMs,
    backoffMaxMs: u.retryMaxMs,
    heartbeatMs: u.heartbeatMs,
    minLockMs: u.minLockSeconds * 1000,
    manifestLockMs: u.manifestLockDays * 86_400_000,
  });
  try {
    await r.start();
  } catch (e) {
    store.close();
    throw e;
  }
  return r;
}
