import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testDock, type TestDock } from '../../helpers/dock.js';

let t: TestDock;
let mounted: string | null = null;
afterEach(async () => {
  await t?.stop().catch(() => undefined);
  if (mounted) execFileSync('umount', ['-l', mounted]);
  mounted = null;
});

describe('the dock disk really full (ENOSPC on a size-limited tmpfs)', () => {
  it('a file larger than its catalog entry fills the disk: disk_low, the partial copy discarded, nothing recorded for it', async () => {
    t = await testDock();
    const dataDir = join(t.dir, 'small-data');
    mkdirSync(dataDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dataDir]);
    mounted = dataDir;
    t.config.dataDir = dataDir;
    t.config.offload.minFreeBytes = 0;
    await t.start();
    const r = await t.recorder('A000060', { plugged: false });
    await r.addRecording({ durationMs: 2000 });
    const [big] = await r.addRecording({ durationMs: 2000, segmentBytes: 96 * 1024 * 1024 });
    // The recorder's catalog understates the big file, so the floor check lets it start.
    big!.size = 1024n;
    await r.replug();
    const slot = await t.slot('A000060', undefined, 60_000);
    expect(slot.state).toBe('failed');
    expect(slot.error).toMatch(/full/);
    const { ledger } = t.daemon!.ctx;
    expect(ledger.findings.query({ limit: 10 }).map((f) => f.kind)).toContain('disk_low');
    expect(ledger.recordings.all().map((x) => x.seq)).not.toContain(big!.seq);
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
    const footage = join(dataDir, 'footage', 'A000060');
    const files = existsSync(footage) ? (readdirSync(footage, { recursive: true }) as string[]).filter((f) => f.endsWith('.MP4')) : [];
    expect(files).toHaveLength(ledger.recordings.all().length);
    // What was stored before the disk filled is signed now (a manifest with result "failed").
    const stored = ledger.recordings.all();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.manifestSessionId).toBe(slot.sessionId);
    // Nothing was erased: the recorder keeps both files.
    expect(r.state.files).toHaveLength(2);
  }, 120_000);
});
