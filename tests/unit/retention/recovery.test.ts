import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSignedManifest } from '../../../daemon/ingest/manifest.js';
import { recover } from '../../../daemon/ingest/recovery.js';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { signTombstones } from '../../../daemon/retention/purge.js';
import { at, fixture, opensslVerifyAll, type Fixture } from './fixture.js';

let f: Fixture;
afterEach(() => f?.close());

const START = at('2026-01-31T10:00:00+08:00');

describe('a purge cut off after its signed manifest', () => {
  it('is finished at start: file removed, recording purged, audit says recovered', async () => {
    f = await fixture(at('2026-12-01T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 1, startMs: START });
    const rec = f.ledger.recordings.get(id)!;
    await signTombstones(f.deps, [rec], 'reviewed', 'em1', f.clock.t); // then the power went
    expect(existsSync(join(f.dataDir, rec.storedPath))).toBe(true);
    expect(f.ledger.tombstones.pending().map((t) => t.recordingId)).toEqual([id]);
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 })).toEqual([]); // no second purge of it
    f.clock.t += 60_000;
    expect(await f.service().recover()).toBe(1);
    expect(existsSync(join(f.dataDir, rec.storedPath))).toBe(false);
    expect(f.ledger.recordings.get(id)!.purgedAtMs).toBe(f.clock.t);
    expect(f.ledger.tombstones.pending()).toEqual([]);
    expect(f.ledger.audit.list({ limit: 1, action: 'recording.purged' })[0]).toMatchObject({ actor: 'dock', detail: expect.objectContaining({ recovered: true, approvedBy: 'em1' }) });
    expect((await verifyDataDir(f.dataDir)).ok).toBe(true);
  });

  it('also when the stop came before the ledger recorded the manifest: ingest recovery adopts it, retention recovery purges', async () => {
    f = await fixture(at('2026-12-01T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 1, startMs: START });
    const rec = f.ledger.recordings.get(id)!;
    const head = f.ledger.manifests.head()!;
    // What ManifestChain.append writes before its ledger transaction.
    await writeSignedManifest(f.ops, f.dataDir, f.key, {
      version: 1, kind: 'purge', dockId: 'dock-test', sessionId: 'purge-cut', createdAt: f.deps.iso(f.clock.t), prevManifestSha256: head.sha256,
      auditHead: f.ledger.audit.head(), keyFingerprint: f.key.fingerprint,
      tombstones: [{ serial: rec.serial, seq: rec.seq, name: rec.name, storedPath: rec.storedPath, size: rec.size, sha256: rec.sha256, approvedBy: 'em1', at: f.deps.iso(f.clock.t), reason: 'reviewed' }],
    });
    await recover({ dataDir: f.dataDir, ledger: f.ledger, ops: f.ops, key: f.key, log: f.deps.log, now: f.deps.now });
    expect(f.ledger.manifests.get('purge-cut')?.kind).toBe('purge');
    expect(await f.service().recover()).toBe(1);
    expect(f.ledger.tombstones.get(id)).toMatchObject({ manifestSessionId: 'purge-cut', approvedBy: 'em1', reason: 'reviewed' });
    expect(existsSync(join(f.dataDir, rec.storedPath))).toBe(false);
    const report = await verifyDataDir(f.dataDir);
    expect(report).toMatchObject({ ok: true, purged: 1 });
    expect(opensslVerifyAll(f.dataDir)).toBe(2);
  });
});
