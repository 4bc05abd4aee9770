import type { Config } from '../config.js';
import type { ManifestChain } from '../ingest/chain.js';
import type { CopyPool } from '../ingest/copy-pool.js';
import type { StorageOps } from '../ingest/storage.js';
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import type { VolumeWatcher } from '../transport/volumes.js';
import type { SlotBoard } from './slots.js';

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

/** Two recorders answering the same volume label: the second waits until the first's volume is gone. */
export class LabelLocks {
  private readonly held = new Map<string, Promise<void>>();

  isHeld(label: string): boolean {
    return this.held.has(label);
  }

  async acquire(label: string): Promise<() => void> {
    for (;;) {
      const cur = this.held.get(label);
      if (!cur) break;
      await cur;
    }
    let release!: () => void;
    this.held.set(label, new Promise<void>((r) => (release = r)));
    return () => {
      this.held.delete(label);
      release();
    };
  }
}
