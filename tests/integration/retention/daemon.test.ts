import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { RetentionLock } from '../../../daemon/retention/lock.js';
import { signTombstones } from '../../../daemon/retention/purge.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

let t: TestDock;
afterEach(async () => t?.stop());

const MONTH = 31 * 86_400_000;

describe('retention in the running daemon', () => {
  it('footage already past its retention date when docked enters the queue right after the docking; a purge cut off is finished at the next start', async () => {
    t = await testDock();
    await t.start();
    const r = await t.recorder('A000001', { plugged: false });
    await r.addRecording({ durationMs: 3000, startAt: Date.now() - 11 * MONTH });
    await r.addRecording({ durationMs: 3000 });
    await r.replug();
    expect((await t.slot('A000001')).state).toBe('ready');
    const ctx = t.daemon!.ctx;
    const old = ctx.ledger.recordings.all().find((x) => x.retainUntilMs <= Date.now())!;
    expect(old).toBeDefined();
    const item = await waitFor('the sweep after the docking', () => ctx.ledger.retention.queue({ nowMs: Date.now(), limit: 10 }).find((i) => i.enteredAt !== null), 10_000);
    expect(item.recordingId).toBe(old.id);
    expect(ctx.ledger.retention.queue({ nowMs: Date.now(), limit: 10 })).toHaveLength(1);

    // Sign the tombstone as a purge does, then stop before the file is removed.
    const deps = { dataDir: ctx.config.dataDir, dockId: ctx.config.dockId, ledger: ctx.ledger, chain: ctx.chain, ops: ctx.ops, log: ctx.log, lock: new RetentionLock(), now: () => Date.now(), iso: ctx.iso };
    await signTombstones(deps, [ctx.ledger.recordings.get(old.id)!], 'reviewed', 'em1', Date.now());
    const file = join(ctx.config.dataDir, old.storedPath);
    expect(existsSync(file)).toBe(true);
    await t.restart();
    const ledger = t.daemon!.ctx.ledger;
    expect(existsSync(file)).toBe(false);
    expect(ledger.recordings.get(old.id)!.purgedAtMs).not.toBeNull();
    expect(ledger.tombstones.pending()).toEqual([]);
    const report = await verifyDataDir(ctx.config.dataDir);
    expect(report.findings.filter((f) => f.level === 'error')).toEqual([]);
    expect(report.purged).toBe(1);
  });
});
