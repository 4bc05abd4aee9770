/**
 * Issue 18: the flag search found nothing for clock drift, missing files or interrupted dockings that the
 * findings list shows. Those are findings of a docking, not flags of a file: the search answers the recordings
 * of the dockings that raised them, through the findings' kind index and the recordings' session index.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../../daemon/ledger/index.js';
import { DOCKING_FINDINGS, type NewRecording } from '../../../daemon/ledger/recordings.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-03-02T00:00:00Z');

function rec(i: number, sessionId: string, serial: string): NewRecording {
  return {
    serial,
    seq: i,
    name: `f${i}.mp4`,
    devicePath: `DCIM/f${i}.mp4`,
    storedPath: `footage/f${i}.mp4`,
    size: 1000 + i,
    sha256: i.toString(16).padStart(64, '0'),
    deviceSha256: null,
    fileFlags: 0,
    recordedStart: null,
    recordedStartMs: T0 + i * 60_000,
    correctedStart: null,
    correctedStartMs: T0 + i * 60_000,
    driftMs: null,
    driftUncertaintyMs: null,
    durationMs: 1000,
    offloadedAt: 'x',
    offloadedAtMs: T0 + 86_400_000,
    delayMs: null,
    sessionId,
    officerNo: '100001',
    unitNo: null,
    checkoutId: null,
    retainUntil: 'x',
    retainUntilMs: T0 + 1e10,
    flags: [],
  };
}

describe('a flag search by what a docking found', () => {
  it('finds the recordings of the dockings with a drift, a missing file or an interruption, and nothing else', () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-fsearch-'));
    const l = Ledger.open(join(dir, 'l.sqlite'), (ms) => new Date(ms).toISOString());
    const ids: Record<string, number[]> = { S1: [], S2: [], S3: [], S4: [] };
    l.tx(() => {
      let i = 0;
      for (const s of ['S1', 'S2', 'S3', 'S4']) {
        l.sessions.create(s, '/dev/x', T0);
        for (let k = 0; k < 3; k++) ids[s]!.push(l.recordings.insert(rec(++i, s, 'SN000001')));
      }
      l.findings.raise({ kind: 'drift', detail: 'clock 95 s fast', serial: 'SN000001', sessionId: 'S1' }, T0);
      l.findings.raise({ kind: 'seq_missing', detail: 'file 7 missing', serial: 'SN000001', sessionId: 'S2', seqFrom: 7, seqTo: 7 }, T0);
      l.findings.raise({ kind: 'interrupted', detail: 'unplugged', serial: 'SN000001', sessionId: 'S3' }, T0);
    });
    const found = (flag: string, extra = {}) => l.recordings.query({ flag, limit: 100, ...extra }).map((r) => r.id).sort((a, b) => a - b);
    expect(found('drift')).toEqual(ids.S1);
    expect(found('seq_missing')).toEqual(ids.S2);
    expect(found('interrupted')).toEqual(ids.S3);
    expect(found('drift', { serial: 'SN000001' })).toEqual(ids.S1);
    expect(found('drift', { officerNo: '100002' })).toEqual([]);
    expect(found('gap')).toEqual([]);
    // Paged: the cursor still applies.
    const first = l.recordings.query({ flag: 'drift', limit: 2 });
    const last = first.at(-1)!;
    const rest = l.recordings.query({ flag: 'drift', limit: 2, after: { sortMs: last.correctedStartMs!, id: last.id } });
    expect([...first, ...rest].map((r) => r.id).sort((a, b) => a - b)).toEqual(ids.S1);
    // Newest first through the finding's own index (issue 19), not every recording of every such docking sorted.
    for (const q of [{ flag: 'drift', limit: 10 }, { flag: 'drift', limit: 10, fromMs: 1, toMs: 2 }, { flag: 'drift', limit: 10, after: { sortMs: 5, id: 3 } }]) {
      const plan = l.recordings.planOf(q).join('\n');
      expect(plan).toMatch(/SEARCH fl USING COVERING INDEX docking_finding_recordings_sort \(kind=\?/);
      expect(plan).not.toMatch(/TEMP B-TREE|SCAN r\b/);
    }
    l.close();
  });

  it('finds them whether the docking raised its finding before or after storing the files, for every kind of DOCKING_FINDINGS', () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-fsearch-'));
    const l = Ledger.open(join(dir, 'l.sqlite'), (ms) => new Date(ms).toISOString());
    let i = 0;
    for (const kind of DOCKING_FINDINGS) {
      const before = `${kind}-before`;
      const after = `${kind}-after`;
      const ids: number[] = [];
      l.tx(() => {
        l.sessions.create(before, '/dev/x', T0);
        l.sessions.create(after, '/dev/x', T0);
        l.sessions.create(`${kind}-other`, '/dev/x', T0);
        // Raised first (a drift is measured before any file is copied), then the docking's files stored.
        l.findings.raise({ kind, detail: kind, serial: 'SN000002', sessionId: before }, T0);
        for (let k = 0; k < 2; k++) ids.push(l.recordings.insert(rec(++i, before, 'SN000002')));
        // Files stored first, then the finding raised; and a recording the finding names from another docking.
        for (let k = 0; k < 2; k++) ids.push(l.recordings.insert(rec(++i, after, 'SN000002')));
        const named = l.recordings.insert(rec(++i, `${kind}-other`, 'SN000002'));
        l.findings.raise({ kind, detail: kind, serial: 'SN000002', sessionId: after }, T0);
        l.findings.raise({ kind, detail: kind, serial: 'SN000002', recordingId: named }, T0);
        ids.push(named);
      });
      const newestFirst = [...ids].sort((a, b) => b - a); // start times grow with ids here
      expect(l.recordings.query({ flag: kind, limit: 100 }).map((r) => r.id), kind).toEqual(newestFirst);
      expect(l.recordings.query({ flag: kind, serial: 'SN000002', limit: 100 }).map((r) => r.id), kind).toEqual(newestFirst);
    }
    l.close();
  });
});
