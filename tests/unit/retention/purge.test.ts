import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import type { PurgeManifest } from '../../../daemon/ingest/manifest.js';
import { at, fixture, opensslVerifyAll, type Fixture } from './fixture.js';

let f: Fixture;
afterEach(() => f?.close());

const START = at('2026-01-31T10:00:00+08:00');
const AFTER_DUE = at('2026-12-01T09:00:00+08:00');

describe('purge (004 §15, R9)', () => {
  it('signs a purge manifest with the tombstone before removing the file, then marks it purged and audits it', async () => {
    f = await fixture(at('2026-02-01T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 3, startMs: START });
    const rec = f.ledger.recordings.get(id)!;
    f.clock.t = AFTER_DUE;
    f.ops.calls.length = 0;
    const res = await f.service().purge([id], 'no value to keep', 'em1');
    expect(res).toEqual({ purged: [id], refused: [] });
    const full = join(f.dataDir, rec.storedPath);
    expect(existsSync(full)).toBe(false);
    // The manifest (written through the same ops) comes before the unlink, the folder fsync right after it.
    const unlinkAt = f.ops.calls.indexOf(`unlink ${full}`);
    expect(f.ops.calls.findIndex((c) => c.startsWith('fsyncDir') && c.endsWith('manifests'))).toBeLessThan(unlinkAt);
    expect(f.ops.calls[unlinkAt + 1]).toBe(`fsyncDir ${join(f.dataDir, 'footage/SN000001/2026')}`);

    const t = f.ledger.tombstones.get(id)!;
    expect(t).toMatchObject({ serial: 'SN000001', seq: 3, name: rec.name, size: rec.size, sha256: rec.sha256, approvedBy: 'em1', reason: 'no value to keep', at: '2026-12-01T09:00:00.000+08:00' });
    expect(t.fileRemovedAtMs).toBe(AFTER_DUE);
    expect(f.ledger.recordings.get(id)!.purgedAtMs).toBe(AFTER_DUE);
    const m = JSON.parse(readFileSync(join(f.dataDir, 'manifests', `${t.manifestSessionId}.json`), 'utf8')) as PurgeManifest;
    expect(m.kind).toBe('purge');
    expect(m.tombstones).toEqual([{ serial: 'SN000001', seq: 3, name: rec.name, storedPath: rec.storedPath, size: rec.size, sha256: rec.sha256, approvedBy: 'em1', at: t.at, reason: 'no value to keep' }]);
    expect(m.prevManifestSha256).toBe(f.ledger.manifests.get(rec.manifestSessionId!)!.sha256);
    const audit = f.ledger.audit.list({ limit: 1, action: 'recording.purged' })[0]!;
    expect(audit).toMatchObject({ actor: 'em1', subject: 'SN000001/3' });
    expect(audit.detail).toMatchObject({ recordingId: id, sha256: rec.sha256, reason: 'no value to keep', manifest: t.manifestSessionId });
    expect(f.ledger.retention.decisions(id).map((d) => d.decision)).toEqual(['purge']);
    expect(f.ledger.audit.verify().ok).toBe(true);
  });

  it('leaves verify green after purges: "purged with tombstone", chain intact, every signature openssl-verified', async () => {
    f = await fixture(at('2026-02-01T09:00:00+08:00'));
    const a = await f.addRecording({ seq: 1, startMs: START });
    await f.addRecording({ seq: 2, startMs: START });
    f.clock.t = AFTER_DUE;
    await f.service().purge([a], 'reviewed', 'em1');
    await f.addRecording({ seq: 3, startMs: AFTER_DUE }); // a docking after the purge extends the same chain
    const report = await verifyDataDir(f.dataDir);
    expect(report.findings.filter((x) => x.level === 'error')).toEqual([]);
    expect(report).toMatchObject({ ok: true, manifests: 4, files: 2, purged: 1 });
    expect(report.findings.some((x) => x.level === 'note' && /purged with tombstone .*by em1 \(reviewed\)/.test(x.what))).toBe(true);
    expect(opensslVerifyAll(f.dataDir)).toBe(4);
  });

  it('verify tells a purged file apart from a missing one, and catches a tombstoned file that is still there', async () => {
    f = await fixture(at('2026-02-01T09:00:00+08:00'));
    const a = await f.addRecording({ seq: 1, startMs: START });
    const b = await f.addRecording({ seq: 2, startMs: START });
    f.clock.t = AFTER_DUE;
    const svc = f.service();
    f.ops.failUnlink.add(join(f.dataDir, f.ledger.recordings.get(a)!.storedPath));
    expect(await svc.purge([a], 'reviewed', 'em1')).toEqual({ purged: [], refused: [{ id: a, reason: 'io_error' }] });
    let report = await verifyDataDir(f.dataDir);
    expect(report.findings).toContainEqual({ level: 'error', what: expect.stringMatching(/tombstone says purged, but the file is still there/) });
    // The next sweep finishes it.
    f.ops.failUnlink.clear();
    expect((await svc.sweep()).finished).toBe(1);
    const { rmSync } = await import('node:fs');
    rmSync(join(f.dataDir, f.ledger.recordings.get(b)!.storedPath), { force: true });
    report = await verifyDataDir(f.dataDir);
    expect(report.findings.filter((x) => x.level === 'error').map((x) => x.what)).toEqual([expect.stringMatching(/SN000001_000002\.mp4: MISSING .*no tombstone/)]);
    expect(report.findings.filter((x) => x.level === 'note').map((x) => x.what)).toEqual([expect.stringMatching(/SN000001_000001\.mp4: purged with tombstone/)]);
  });

  it('refuses item by item: held, not due, already purged, unknown; purges the rest', async () => {
    f = await fixture(at('2026-02-01T09:00:00+08:00'));
    const due = await f.addRecording({ seq: 1, startMs: START });
    const held = await f.addRecording({ seq: 2, startMs: START });
    const young = await f.addRecording({ seq: 3, startMs: at('2026-06-01T00:00:00+08:00') });
    const svc = f.service();
    await svc.placeHold({ recordingIds: [held], reason: 'dispute', caseRef: '舞环罚〔2026〕12号' }, 'sup1');
    f.clock.t = AFTER_DUE;
    const res = await svc.purge([due, held, young, 999, due], 'reviewed', 'em1');
    expect(res.purged).toEqual([due]);
    expect(res.refused).toEqual([
      { id: held, reason: 'hold' },
      { id: young, reason: 'not_due' },
      { id: 999, reason: 'not_found' },
    ]);
    expect(await svc.purge([due], 'again', 'em1')).toEqual({ purged: [], refused: [{ id: due, reason: 'purged' }] });
    expect(existsSync(join(f.dataDir, f.ledger.recordings.get(held)!.storedPath))).toBe(true);
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 }).map((i) => [i.recordingId, i.held])).toEqual([[held, true]]);
    await expect(svc.purge([due], '  ', 'em1')).rejects.toMatchObject({ code: 'invalid', field: 'reason' });
  });

  it('a case hold (kept with the written records) blocks purge until released with a reason', async () => {
    f = await fixture(at('2026-02-01T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 1, startMs: START });
    const svc = f.service();
    const hold = await svc.placeHold({ recordingIds: [id], reason: 'case', caseRef: 'C-2026-7', note: '听证全过程' }, 'legal1');
    f.clock.t = AFTER_DUE;
    expect((await svc.purge([id], 'reviewed', 'em1')).refused).toEqual([{ id, reason: 'hold' }]);
    await expect(svc.releaseHold(hold.id, '', 'legal1')).rejects.toMatchObject({ code: 'invalid' });
    const released = await svc.releaseHold(hold.id, 'case closed, file archived', 'legal1');
    expect(released).toMatchObject({ releasedBy: 'legal1', releaseReason: 'case closed, file archived' });
    await expect(svc.releaseHold(hold.id, 'again', 'legal1')).rejects.toMatchObject({ code: 'conflict' });
    expect((await svc.purge([id], 'reviewed', 'em1')).purged).toEqual([id]);
    await expect(svc.placeHold({ recordingIds: [id], reason: 'dispute', caseRef: 'X' }, 'sup1')).rejects.toMatchObject({ code: 'conflict' });
    expect(f.ledger.audit.list({ limit: 10 }).map((e) => e.action)).toEqual(expect.arrayContaining(['hold.placed', 'hold.released', 'recording.purged']));
  });
});
