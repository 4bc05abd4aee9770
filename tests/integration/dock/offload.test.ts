import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

let t: TestDock;
afterEach(async () => t?.stop());

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('offload pipeline', () => {
  it('docks a recorder: copies and hashes every file, signs a manifest, then erases the recorder', async () => {
    t = await testDock();
    await t.start();
    const r = await t.recorder('A000001', { plugged: false });
    const files = [...(await r.addRecording({ durationMs: 3000 })), ...(await r.addRecording({ durationMs: 4000, segmentMs: 2000 })), await r.addPhoto()];
    const hashes = new Map(files.map((f) => [f.seq, sha(r.pathOf(f.name))]));
    await r.replug();
    const slot = await t.slot('A000001');
    expect(slot.state).toBe('ready');
    expect(slot.progress).toMatchObject({ filesDone: files.length, filesTotal: files.length });

    const { ledger, config } = t.daemon!.ctx;
    const recs = ledger.recordings.all();
    expect(recs.map((x) => x.seq).sort()).toEqual(files.map((f) => f.seq).sort());
    for (const rec of recs) {
      const stored = join(config.dataDir, rec.storedPath);
      expect(sha(stored)).toBe(hashes.get(rec.seq));
      expect(rec.sha256).toBe(rec.deviceSha256);
      expect(statSync(stored).mode & 0o222).toBe(0);
      expect(rec.storedPath.startsWith('footage/A000001/')).toBe(true);
      expect(rec.manifestSessionId).toBe(slot.sessionId);
      expect(rec.erasedAtMs).not.toBeNull();
      expect(rec.correctedStart).toMatch(/\+08:00$/);
    }
    // The recorder no longer holds them (erased through the volume, confirmed by its catalog).
    expect(r.state.files).toEqual([]);
    // Their containers were probed in the background after they were stored (issue 14): each parses, lasts what
    // the catalog said, and a clip's creation_time is the recorder's clock at its start, as its catalog says.
    await t.daemon!.prober.whenIdle();
    for (const rec of ledger.recordings.all()) {
      const probe = ledger.mediaProbes.get(rec.id);
      expect(probe?.outcome, rec.name).toBe('parsed');
      expect(rec.flags, rec.name).not.toContain('container_unreadable');
      expect(rec.flags, rec.name).not.toContain('duration_mismatch');
      if (/\.jpe?g$/i.test(rec.name)) continue;
      expect(Math.abs(probe!.creationTimeMs! - rec.recordedStartMs!), rec.name).toBeLessThan(1000);
    }

    const mdir = join(config.dataDir, 'manifests');
    const json = join(mdir, `${slot.sessionId}.json`);
    const m = JSON.parse(readFileSync(json, 'utf8'));
    expect(m).toMatchObject({ dockId: 'test-dock', sessionId: slot.sessionId, prevManifestSha256: null, device: { serial: 'A000001' } });
    expect(m.files).toHaveLength(files.length);
    expect(m.auditHead).toMatch(/^[0-9a-f]{64}$/);
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(config.dataDir, 'keys/dock.pub.pem'), '-rawin', '-in', json, '-sigfile', `${json}.sig`], { encoding: 'utf8' });
    expect(out).toContain('Signature Verified Successfully');
    expect((await verifyDataDir(config.dataDir)).ok).toBe(true);
  });

  it('a flipped byte of stored footage is named by verify', async () => {
    t = await testDock({ offload: { minFreeBytes: 0, eraseAfterCommit: false } });
    await t.start();
    const r = await t.recorder('A000002', { plugged: false });
    await r.addRecording({ durationMs: 2000 });
    await r.addPhoto();
    await r.replug();
    await t.slot('A000002');
    const rec = t.daemon!.ctx.ledger.recordings.all()[0]!;
    const p = join(t.config.dataDir, rec.storedPath);
    chmodSync(p, 0o644);
    const b = readFileSync(p);
    b[Math.floor(b.length / 2)]! ^= 0x01;
    writeFileSync(p, b);
    const report = await verifyDataDir(t.config.dataDir);
    expect(report.ok).toBe(false);
    expect(report.findings.filter((f) => f.level === 'error').map((f) => f.what)).toEqual([expect.stringContaining(rec.storedPath)]);
    // With eraseAfterCommit false the recorder keeps everything.
    expect(r.state.files.length).toBe(2);
  });

  it('re-docking stores nothing twice and chains the next manifest to the first', async () => {
    t = await testDock({ offload: { minFreeBytes: 0, eraseAfterCommit: false } });
    await t.start();
    const r = await t.recorder('A000003', { plugged: false });
    await r.addRecording({ durationMs: 2000 });
    await r.replug();
    const first = await t.slot('A000003');
    await r.unplug();
    await waitFor('slot gone', () => !t.daemon!.ctx.slots.list().some((s) => s.serial === 'A000003'));
    await r.addRecording({ durationMs: 2000 });
    await r.replug();
    const second = await t.slot('A000003', (s) => s.sessionId !== first.sessionId && ['ready', 'failed', 'interrupted'].includes(s.state));
    expect(second).toMatchObject({ state: 'ready', error: null });
    const { ledger } = t.daemon!.ctx;
    expect(ledger.recordings.all()).toHaveLength(2);
    expect(ledger.sessions.get(second.sessionId)).toMatchObject({ filesSkipped: 1, filesStored: 1 });
    const m1 = readFileSync(join(t.config.dataDir, 'manifests', `${first.sessionId}.json`));
    const m2 = JSON.parse(readFileSync(join(t.config.dataDir, 'manifests', `${second.sessionId}.json`), 'utf8'));
    expect(m2.prevManifestSha256).toBe(createHash('sha256').update(m1).digest('hex'));
    expect(m2.files).toHaveLength(1);
    expect(readdirSync(join(t.config.dataDir, 'tmp'))).toEqual([]);
  });
});
