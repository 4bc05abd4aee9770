import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { at, fixture, type Fixture } from './fixture.js';

let f: Fixture;
afterEach(() => f?.close());

describe('verify and purge manifests', () => {
  it('a purge manifest altered after signing fails its signature; deleting it breaks the chain and turns the purge into MISSING', async () => {
    f = await fixture(at('2026-12-01T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 1, startMs: at('2026-01-31T10:00:00+08:00') });
    await f.addRecording({ seq: 2, startMs: at('2026-11-01T10:00:00+08:00') });
    await f.service().purge([id], 'reviewed', 'em1');
    await f.addRecording({ seq: 3, startMs: at('2026-11-02T10:00:00+08:00') });
    const t = f.ledger.tombstones.get(id)!;
    const p = join(f.dataDir, 'manifests', `${t.manifestSessionId}.json`);
    const original = readFileSync(p);
    rmSync(p);
    writeFileSync(p, original.toString('utf8').replace('"reviewed"', '"whatever"'));
    let report = await verifyDataDir(f.dataDir);
    expect(report.ok).toBe(false);
    expect(report.findings.map((x) => x.what)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`${t.manifestSessionId}.json: signature does not verify`))]));

    rmSync(p);
    rmSync(`${p}.sig`);
    report = await verifyDataDir(f.dataDir);
    const errors = report.findings.filter((x) => x.level === 'error').map((x) => x.what);
    expect(errors).toEqual(expect.arrayContaining([expect.stringMatching(/not in the chain/), expect.stringMatching(/SN000001_000001\.mp4: MISSING/)]));
  });
});
