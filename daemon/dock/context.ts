import type { Config } from '../config.js';
import { ManifestChain } from '../ingest/chain.js';
import type { CopyPool } from '../ingest/copy-pool.js';
import type { DockKey } from '../ingest/keys.js';
import type { StorageOps } from '../ingest/storage.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import type { VolumeWatcher } from '../transport/volumes.js';
import { toIsoInZone } from '../policy/time-format.js';
import { SlotBoard } from './slots.js';

/** The dock's reference clock: the time, and whether the system says it is synchronised. */
export interface DockClock {
  now(): number;
  synced(): boolean;
}

/** Everything a docking session needs, built once by the daemon and passed down. */
export interface DockContext {
  config: Config;
  ledger: Ledger;
  log: Logger;
  volumes: VolumeWatcher;
  pool: CopyPool;
  ops: StorageOps;
  chain: ManifestChain;
  slots: SlotBoard;
  clock: DockClock;
  labels: LabelLocks;
  /** ISO 8601 in the dock's `timezone`. */
  iso(ms: number): string;
}

/** The context from its parts: the chain signs with `key`; slots, label locks and times in the dock's zone are made here. */
export function makeDockContext(p: Pick<DockContext, 'config' | 'ledger' | 'log' | 'volumes' | 'pool' | 'ops' | 'clock'> & { key: DockKey }): DockContext {
  const { key, ...parts } = p;
  return {
    ...parts,
    chain: new ManifestChain(p.config.dataDir, p.ledger, p.ops, key),
    slots: new SlotBoard(),
    labels: new LabelLocks(),
    iso: (ms) => toIsoInZone(ms, p.config.timezone),
  };
}

/** Two recorders answering the same volume label: the second waits until the first's volume is gone. */
export class LabelLocks {
  private readonly held = new Map<string, Promise<void>>();

  isHeld(label: string): boolean {
    return this.held.has(label);
  }

  /** Wait until no one holds `label`, then hold it; `signal` gives up the wait at once. */
  async acquire(label: string, signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const cur = this.held.get(label);
      if (!cur) break;
      await (signal ? untilOrAborted(cur, signal) : cur);
    }
    let release!: () => void;
    this.held.set(label, new Promise<void>((r) => (release = r)));
    return () => {
      this.held.delete(label);
      release();
    };
  }
}

/** `p` settled, or a rejection once `signal` fires first; the abort listener is removed either way. */
function untilOrAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
