import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegMedia, MediaError, type ContainerFacts, type MediaProbe, type ProbeOutcome } from '../../../daemon/ingest/media.js';
import { MediaProber } from '../../../daemon/ingest/prober.js';
import { Ledger } from '../../../daemon/ledger/index.js';
import type { NewRecording } from '../../../daemon/ledger/recordings.js';
import { createLogger } from '../../../daemon/log.js';
import { makeMp4 } from '../../helpers/console.js';

/**
 * The background prober (issue 14): one probe at a time, oldest unprobed first; what it finds is kept with its
 * flags and an audit entry; a stop never waits for a probe; without ffprobe nothing is recorded and the files
 * wait for a later start. The probe is injected (a fake that the test releases by hand), the ledger is real.
 */

const T0 = Date.parse('2026-11-24T13:00:00Z');
let dir: string;
let ledger: Ledger;
const log = createLogger({ level: 'silent' });
afterEach(() => {
  ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});
const setUp = () => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-prober-'));
  ledger = Ledger.open(join(dir, 'ledger.sqlite'), (ms) => new Date(ms).toISOString());
  ledger.sessions.create('S1', '/dev/ttyFAKE', T0);
};

let seq = 0;
function addRecording(o: { name?: string; durationMs?: number } = {}): number {
  const n = ++seq;
  const name = o.name ?? `SN000001_${String(n).padStart(6, '0')}.mp4`;
  const r: NewRecording = {
    serial: 'SN000001',
    seq: n,
    name,
    devicePath: `DCIM/${name}`,
    storedPath: `footage/SN000001/${name}`,
    size: 1000,
    sha256: n.toString(16).padStart(64, '0'),
    deviceSha256: null,
    fileFlags: 0,
    recordedStart: new Date(T0 + n * 60_000).toISOString(),
    recordedStartMs: T0 + n * 60_000,
    correctedStart: null,
    correctedStartMs: null,
    driftMs: null,
    driftUncertaintyMs: null,
    durationMs: o.durationMs ?? 2000,
    offloadedAt: 'x',
    offloadedAtMs: T0 + 3_600_000,
    delayMs: null,
    sessionId: 'S1',
    officerNo: '100001',
    unitNo: null,
    checkoutId: null,
    retainUntil: 'x',
    retainUntilMs: T0 + 1e10,
    flags: [],
  };
  return ledger.tx(() => ledger.recordings.insert(r));
}

const facts = (o: Partial<ContainerFacts> = {}): ContainerFacts => ({ format: 'mov,mp4', durationMs: 2000, creationTime: null, creationTimeMs: null, videoStreams: 1, audioStreams: 1, ...o });

/** A probe the test answers by hand, counting how many run at once. */
class HandProbe implements MediaProbe {
  readonly asked: string[] = [];
  running = 0;
  peak = 0;
  private readonly waiting: Array<{ path: string; answer: (o: ProbeOutcome | Error) => void }> = [];
  private arrived: (() => void) | null = null;

  probe(path: string): Promise<ProbeOutcome> {
    this.asked.push(path.slice(path.lastIndexOf('/') + 1));
    this.peak = Math.max(this.peak, ++this.running);
    return new Promise((resolve, reject) => {
      this.waiting.push({ path, answer: (o) => (this.running--, o instanceof Error ? reject(o) : resolve(o)) });
      this.arrived?.();
    });
  }

  /** Wait for the next probe to be asked, then answer it. */
  async answer(o: ProbeOutcome | Error): Promise<string> {
    while (this.waiting.length === 0) await new Promise<void>((r) => (this.arrived = r));
    const w = this.waiting.shift()!;
    w.answer(o);
    return w.path.slice(w.path.lastIndexOf('/') + 1);
  }
}

const prober = (media: MediaProbe, now = () => T0 + 7_200_000) => new MediaProber({ ledger, media, dataDir: dir, log, now });
const flagsOf = (id: number) => ledger.recordings.get(id)!.flags.sort();

describe('MediaProber', () => {
  it('probes one file at a time, oldest first, and keeps each outcome with its flags and an audit entry', async () => {
    setUp();
    const ok = addRecording();
    const bad = addRecording();
    const long = addRecording({ durationMs: 600_000 });
    const probe = new HandProbe();
    const p = prober(probe);
    p.start();
    expect(await probe.answer({ kind: 'parsed', facts: facts({ creationTime: '2026-11-24T13:01:00.000Z', creationTimeMs: T0 + 60_000 }) })).toMatch(/_000001\.mp4$/);
    expect(probe.running).toBe(0);
    expect(await probe.answer({ kind: 'unparsed', error: 'moov atom not found' })).toMatch(/_000002\.mp4$/);
    expect(await probe.answer({ kind: 'parsed', facts: facts({ durationMs: 2000 }) })).toMatch(/_000003\.mp4$/);
    await p.whenIdle();
    expect(probe.peak).toBe(1);
    expect(ledger.mediaProbes.get(ok)).toMatchObject({ outcome: 'parsed', durationMs: 2000, creationTime: '2026-11-24T13:01:00.000Z', probedAtMs: T0 + 7_200_000 });
    expect(ledger.mediaProbes.get(bad)).toMatchObject({ outcome: 'unparsed', error: 'moov atom not found', creationTime: null });
    expect(flagsOf(ok)).toEqual([]);
    expect(flagsOf(bad)).toEqual(['container_unreadable']);
    expect(flagsOf(long)).toEqual(['duration_mismatch']);
    const audit = ledger.audit.list({ limit: 10, action: 'recording.flagged' });
    expect(audit.map((a) => a.subject).sort()).toEqual(['SN000001/2', 'SN000001/3']);
    expect(ledger.mediaProbes.pending(0, 10)).toEqual([]);
    p.stop();
  });

  it('a nudge after a file is committed probes it; nothing is probed twice', async () => {
    setUp();
    const probe = new HandProbe();
    const p = prober(probe);
    p.start();
    await p.whenIdle();
    const id = addRecording();
    p.nudge();
    await probe.answer({ kind: 'parsed', facts: facts() });
    await p.whenIdle();
    p.nudge();
    await p.whenIdle();
    expect(probe.asked).toEqual([ledger.recordings.get(id)!.name]);
    expect(ledger.mediaProbes.get(id)?.outcome).toBe('parsed');
    p.stop();
  });

  it('stops at once with a probe under way and keeps nothing of it; the next start probes what is left', async () => {
    setUp();
    const a = addRecording();
    const b = addRecording();
    const probe = new HandProbe();
    const p = prober(probe);
    p.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(probe.running).toBe(1);
    p.stop();
    await p.whenIdle();
    await probe.answer({ kind: 'unparsed', error: 'late' });
    await new Promise((r) => setTimeout(r, 20));
    expect(ledger.mediaProbes.get(a)).toBeNull();
    expect(probe.asked).toHaveLength(1);

    const again = new HandProbe();
    const q = prober(again);
    q.start();
    await again.answer({ kind: 'parsed', facts: facts() });
    await again.answer({ kind: 'parsed', facts: facts() });
    await q.whenIdle();
    expect([ledger.mediaProbes.get(a)?.outcome, ledger.mediaProbes.get(b)?.outcome]).toEqual(['parsed', 'parsed']);
    q.stop();
  });

  it('without ffprobe it records nothing and stops; a failed probe is skipped until the next start', async () => {
    setUp();
    const a = addRecording();
    const b = addRecording();
    const c = addRecording();
    const probe = new HandProbe();
    const p = prober(probe);
    p.start();
    await probe.answer(new MediaError('ffmpeg_failed', 'ffprobe took more than 30000 ms'));
    await probe.answer({ kind: 'parsed', facts: facts() });
    await probe.answer(new MediaError('ffmpeg_missing', 'cannot run ffprobe: spawn ffprobe ENOENT'));
    await p.whenIdle();
    await new Promise((r) => setTimeout(r, 20));
    expect(probe.asked).toHaveLength(3);
    expect([ledger.mediaProbes.get(a), ledger.mediaProbes.get(c)]).toEqual([null, null]);
    expect(ledger.mediaProbes.get(b)?.outcome).toBe('parsed');
    expect(ledger.mediaProbes.pending(0, 10).map((t) => t.id)).toEqual([a, c]);
    p.stop();
  });

  it('a stored file that is gone is noted as missing, without a flag', async () => {
    setUp();
    const id = addRecording();
    const probe = new HandProbe();
    const p = prober(probe);
    p.start();
    await probe.answer({ kind: 'missing' });
    await p.whenIdle();
    expect(ledger.mediaProbes.get(id)?.outcome).toBe('missing');
    expect(flagsOf(id)).toEqual([]);
    p.stop();
  });

  it('with the real ffprobe: a real MP4 is read, a file that is not one is flagged', async () => {
    setUp();
    const good = addRecording({ durationMs: 2000 });
    const garbage = addRecording({ durationMs: 2000 });
    const wrongLength = addRecording({ durationMs: 60_000 });
    const place = (id: number, from: string | Buffer) => {
      const dest = join(dir, ledger.recordings.get(id)!.storedPath);
      mkdirSync(dirname(dest), { recursive: true });
      if (typeof from === 'string') copyFileSync(from, dest);
      else writeFileSync(dest, from);
    };
    const mp4 = makeMp4();
    place(good, mp4);
    place(garbage, Buffer.alloc(32 * 1024, 7));
    place(wrongLength, mp4);
    const p = prober(new FfmpegMedia());
    p.start();
    await p.whenIdle();
    expect(ledger.mediaProbes.get(good)).toMatchObject({ outcome: 'parsed', durationMs: 2000 });
    expect(flagsOf(good)).toEqual([]);
    expect(flagsOf(garbage)).toEqual(['container_unreadable']);
    expect(ledger.mediaProbes.get(garbage)?.error).toMatch(/Invalid data|moov atom/);
    expect(flagsOf(wrongLength)).toEqual(['duration_mismatch']);
    p.stop();
  });
});
