import { describe, expect, it } from 'vitest';
import { readinessReasons, type ReadinessInput } from '../../../daemon/dock/checkout.js';

const base = (over: Partial<ReadinessInput> = {}): ReadinessInput => ({
  status: { battery: 80, freeMiB: 8000, totalMiB: 10000 },
  catalog: [],
  isStored: () => true,
  dockSynced: true,
  thresholds: { minBatteryPct: 30, minFreeStoragePct: 20 },
  ...over,
});

describe('readinessReasons', () => {
  it('is empty for a charged, empty recorder on a synchronised dock', () => {
    expect(readinessReasons(base())).toEqual([]);
  });

  it('battery below the threshold; exactly at it is ready', () => {
    expect(readinessReasons(base({ status: { battery: 29, freeMiB: 8000, totalMiB: 10000 } }))).toEqual(['battery']);
    expect(readinessReasons(base({ status: { battery: 30, freeMiB: 8000, totalMiB: 10000 } }))).toEqual([]);
  });

  it('free storage as a share of the total; a recorder reporting no total is not ready', () => {
    expect(readinessReasons(base({ status: { battery: 80, freeMiB: 1999, totalMiB: 10000 } }))).toEqual(['storage']);
    expect(readinessReasons(base({ status: { battery: 80, freeMiB: 2000, totalMiB: 10000 } }))).toEqual([]);
    expect(readinessReasons(base({ status: { battery: 80, freeMiB: 0, totalMiB: 0 } }))).toEqual(['storage']);
  });

  it('pending_files when any catalog entry is not already stored', () => {
    const catalog = [
      { seq: 1, size: 10, sha256: null },
      { seq: 2, size: 20, sha256: 'ab'.repeat(32) },
    ];
    expect(readinessReasons(base({ catalog, isStored: (e) => e.seq === 1 }))).toEqual(['pending_files']);
    expect(readinessReasons(base({ catalog, isStored: () => true }))).toEqual([]);
  });

  it('dock_unsynced, and every reason at once in the contract order', () => {
    expect(readinessReasons(base({ dockSynced: false }))).toEqual(['dock_unsynced']);
    expect(
      readinessReasons({
        status: { battery: 5, freeMiB: 10, totalMiB: 10000 },
        catalog: [{ seq: 1, size: 1, sha256: null }],
        isStored: () => false,
        dockSynced: false,
        thresholds: { minBatteryPct: 30, minFreeStoragePct: 20 },
      }),
    ).toEqual(['battery', 'storage', 'pending_files', 'dock_unsynced']);
  });
});
