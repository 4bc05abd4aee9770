import type { ManifestChain } from '../ingest/chain.js';
import type { StorageOps } from '../ingest/storage.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import type { RetentionLock } from './lock.js';

/** What the retention services need, passed in (the daemon builds it from its DockContext). */
export interface RetentionDeps {
  dataDir: string;
  dockId: string;
  ledger: Ledger;
  chain: ManifestChain;
  ops: StorageOps;
  log: Logger;
  lock: RetentionLock;
  now(): number;
  /** ISO 8601 in the dock's timezone. */
  iso(ms: number): string;
}

/** Compact UTC stamp for ids: 20261124T211300Z. */
export const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** Let ingest and the console run between batches. */
export const yieldToIo = () => new Promise<void>((r) => setImmediate(r));
