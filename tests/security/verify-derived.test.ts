/**
 * Issue 13 item 8 (the verify half): a derived copy of a purged file (a cached thumbnail, an archive disc image that
 * holds it) is footage too; `bwc-dock verify` names every one still on the dock.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../daemon/cli.js';
import { thumbnailPath } from '../../daemon/ingest/media.js';
import { verifyDataDir } from '../../daemon/ingest/verify.js';
import { ArchiveService } from '../../daemon/retention/archive/service.js';
import { at, fixture, type Fixture } from '../unit/retention/fixture.js';

let f: Fixture;
const tmp: string[] = [];
afterEach(() => {
  f?.close();
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = at('2026-12-01T09:00:00+08:00');
const errorsOf = (r: { findings: { level: string; what: string }[] }) => r.findings.filter((x) => x.level === 'error').map((x) => x.what);

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) };
  return { code: await main(args, { stdout: sink, stderr: sink }), out };
}

describe('verify names derived copies of purged files', () => {
  it('a cached thumbnail of a purged recording', async () => {
    f = await fixture(T0);
    const gone = await f.addRecording({ seq: 1, startMs: at('2026-01-10T10:00:00+08:00') });
    const kept = await f.addRecording({ seq: 2, startMs: at('2026-11-10T10:00:00+08:00') });
    const goneRec = f.ledger.recordings.get(gone)!;
    const keptThumb = thumbnailPath(f.dataDir, f.ledger.recordings.get(kept)!);
    mkdirSync(dirname(keptThumb), { recursive: true });
    writeFileSync(keptThumb, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    expect((await f.service().purge([gone], 'reviewed, nothing of note', 'em1')).purged).toEqual([gone]);
    expect((await verifyDataDir(f.dataDir)).ok).toBe(true); // a thumbnail of a live recording is fine

    // A thumbnail of the purged recording on the dock (a job that finished after the purge, a restored cache).
    const thumb = thumbnailPath(f.dataDir, goneRec);
    writeFileSync(thumb, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    const report = await verifyDataDir(f.dataDir);
    expect(errorsOf(report)).toEqual([expect.stringMatching(new RegExp(`^cache/thumbnails/${gone}-${goneRec.sha256.slice(0, 16)}\\.jpg: a thumbnail of purged ${goneRec.storedPath} \\(tombstone in purge-`))]);
    const r = await cli(['verify', '--data', f.dataDir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL  cache/thumbnails/${gone}-`);
  });

  it('an archive disc image that holds a purged file, found from the ledger and from the image itself', async () => {
    f = await fixture(T0);
    const a = await f.addRecording({ seq: 1, startMs: at('2026-01-10T10:00:00+08:00') });
    const b = await f.addRecording({ seq: 2, startMs: at('2026-01-11T10:00:00+08:00') });
    const c = await f.addRecording({ seq: 3, startMs: at('2026-01-12T10:00:00+08:00') });
    const hold = await f.service().placeHold({ recordingIds: [a, b], reason: 'dispute', caseRef: 'case-7' }, 'sup1');
    const archive = await new ArchiveService(f.deps).create({ holdId: hold.id }, 'sup1');
    const dir = join(f.dataDir, 'archives', archive.id);
    const saved = mkdtempSync(join(tmpdir(), 'zh-archive-'));
    tmp.push(saved);
    cpSync(dir, saved, { recursive: true });
    expect((await verifyDataDir(f.dataDir)).ok).toBe(true); // an archive of live footage is fine

    await f.service().releaseHold(hold.id, 'case closed', 'sup1');
    const res = await f.service().purge([a, c], 'reviewed, case closed', 'em1');
    expect(res.purged.sort()).toEqual([a, c]);
    // The images stay (an older purge, a copy put back from a backup): every image holding a purged file is named.
    cpSync(saved, dir, { recursive: true });
    expect(existsSync(join(dir, `${archive.id}-1.iso`))).toBe(true);
    const aPath = f.ledger.recordings.get(a)!.storedPath;
    const withLedger = await verifyDataDir(f.dataDir, { ledgerFile: join(f.dataDir, 'ledger.sqlite') });
    expect(errorsOf(withLedger)).toEqual([expect.stringMatching(new RegExp(`^archives/${archive.id}/: disc images ${archive.id}-1\\.iso, ${archive.id}-2\\.iso hold purged ${aPath} \\(tombstone in purge-`))]);

    // Without the ledger (or with its archive rows gone), the image's own SHA256SUMS still tells.
    const alone = await verifyDataDir(f.dataDir);
    expect(errorsOf(alone)).toEqual([expect.stringMatching(new RegExp(`^archives/${archive.id}/: .* hold purged ${aPath}`))]);
    const r = await cli(['verify', '--data', f.dataDir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`FAIL  archives/${archive.id}/`);
  });
});
