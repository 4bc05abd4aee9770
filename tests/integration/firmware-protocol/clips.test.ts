import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Caps, EventCode, FileFlags } from '../../../firmware-protocol/codec/constants.js';
import { epochFromDeviceTime, parseDeviceTime } from '../../../firmware-protocol/codec/fields.js';
import type { RecorderHandle } from '../../../firmware-protocol/simulator/recorder.js';
import { makeSimEnv, type SimEnv } from '../../helpers/simulator.js';

let env: SimEnv;
let r: RecorderHandle;
beforeAll(async () => {
  env = makeSimEnv();
  r = await env.start({ serial: 'A000011', tz: 480, plugged: false, info: { userNo: '054321' } });
});
afterAll(async () => {
  await env.cleanup();
});

const probe = (file: string) =>
  JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]).toString()) as {
    format: { format_name: string; duration: string; tags?: Record<string, string> };
    streams: Array<{ codec_type: string }>;
  };
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('simulated recordings', () => {
  it('cuts a recording into real MP4 segments with consecutive seq, CONTINUES and creation_time in UTC', async () => {
    const t0 = Date.now();
    const files = await r.addRecording({ durationMs: 5000, segmentMs: 2000, gapMs: 300 });
    expect(files.map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(files.map((f) => f.durationMs)).toEqual([2000, 2000, 1000]);
    expect(files.map((f) => (f.flags & FileFlags.CONTINUES) !== 0)).toEqual([true, true, false]);
    for (let i = 1; i < files.length; i++) {
      const prevEnd = epochFromDeviceTime(parseDeviceTime(files[i - 1]!.start)!, 480) + files[i - 1]!.durationMs;
      const next = epochFromDeviceTime(parseDeviceTime(files[i]!.start)!, 480);
      expect(Math.abs(next - prevEnd)).toBeLessThan(1000 + 1000); // 1 s gap rule, plus whole-second names
    }
    for (const f of files) {
      expect(f.name).toMatch(/^DCIM\/100BWC\/A000011_054321_\d{14}_\d{4}\.MP4$/);
      expect(f.name).toContain(`_${f.start}_`);
      const path = r.pathOf(f.name);
      const p = probe(path);
      expect(p.format.format_name).toContain('mp4');
      expect(p.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      expect(Number(p.format.duration)).toBeCloseTo(f.durationMs / 1000, 0);
      const expected = new Date(epochFromDeviceTime(parseDeviceTime(f.start)!, 480)).toISOString().slice(0, 19);
      expect(p.format.tags?.creation_time?.slice(0, 19)).toBe(expected);
      expect(f.sha256).toBe(sha(path));
      expect(f.size).toBe(BigInt(fs.statSync(path).size));
    }
    expect(new Set(files.map((f) => f.sha256)).size).toBe(3);
    const codes = r.state.events.map((e) => [e.code, e.arg]);
    expect(codes).toEqual([
      [EventCode.REC_START, 1],
      [EventCode.REC_STOP, 3],
    ]);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('makes ten unique files from one cached template: encoded once, each clip a stream copy of it', async () => {
    const cache = path.join(env.root, 'clip-cache');
    const templates = () => fs.readdirSync(cache).map((n) => `${n} ${fs.statSync(path.join(cache, n)).mtimeMs}`).sort();
    await r.addRecording({ durationMs: 2000 });
    const before = templates();
    const made = [];
    for (let i = 0; i < 10; i++) made.push(...(await r.addRecording({ durationMs: 2000 })));
    expect(templates()).toEqual(before); // no template encoded again (the slow part), none rewritten
    expect(new Set(made.map((f) => f.sha256)).size).toBe(10);
  });

  it('makes WAV and JPG files, important names and a capture hash that disagrees', async () => {
    const [wav] = await r.addRecording({ kind: 'audio', durationMs: 1000, important: true, badHashSegments: [0] });
    expect(wav!.name).toMatch(/_IMP\.WAV$/);
    expect(wav!.flags).toBe(FileFlags.AUDIO_ONLY | FileFlags.IMPORTANT);
    expect(wav!.sha256).not.toBe(sha(r.pathOf(wav!.name)));
    expect(probe(r.pathOf(wav!.name)).streams.map((s) => s.codec_type)).toEqual(['audio']);
    const jpg = await r.addPhoto();
    expect(jpg.name).toMatch(/\.JPG$/);
    expect(jpg.flags).toBe(FileFlags.PHOTO);
    expect(jpg.durationMs).toBe(0);
    expect(jpg.sha256).toBe(sha(r.pathOf(jpg.name)));
    expect(probe(r.pathOf(jpg.name)).streams[0]!.codec_type).toBe('video');
  });

  it('skips seq numbers, optionally logging FILE_DELETED, and never reuses them', async () => {
    const before = r.state.nextSeq;
    const skipped = r.skipSeq(2, { logDeleted: true });
    expect(skipped).toEqual([before, before + 1]);
    expect(r.state.events.slice(-2).map((e) => [e.code, e.arg])).toEqual([
      [EventCode.FILE_DELETED, before],
      [EventCode.FILE_DELETED, before + 1],
    ]);
    const [f] = await r.addRecording({ durationMs: 1000 });
    expect(f!.seq).toBe(before + 2);
    r.deleteOnRecorder(f!.seq);
    expect(fs.existsSync(r.pathOf(f!.name))).toBe(false);
    expect(r.state.files.some((x) => x.seq === f!.seq)).toBe(false);
  });

  it('makes a large file that is still a real MP4 for benchmarks', async () => {
    const [f] = await r.addRecording({ durationMs: 1000, segmentBytes: 3 * 1024 * 1024 + 17 });
    const path = r.pathOf(f!.name);
    expect(fs.statSync(path).size).toBe(3 * 1024 * 1024 + 17);
    expect(f!.sha256).toBe(sha(path));
    expect(probe(path).streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
  });

  it('reports no capture hash without CAPTURE_HASH', async () => {
    const plain = await env.start({ serial: 'A000012', plugged: false, caps: Caps.COMPOSITE_MSC });
    const [f] = await plain.addRecording({ durationMs: 1000 });
    expect(f!.sha256).toBeNull();
  });
});
