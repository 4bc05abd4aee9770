import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FfmpegMedia, normaliseProbe, parseCreationTime, probeErrorText } from '../../../daemon/ingest/media.js';
import { makeMp4 } from '../../helpers/console.js';

/**
 * The media repository's probe (issue 14): ffprobe's answer normalised by a pure function, tested on answers
 * fluent-ffmpeg gave for real files (tests/fixtures/ffprobe/, made from ffmpeg's test sources: a recorder-like
 * H.264/AAC MP4 with creation_time, a WAV, a JPEG, an MP4 without creation_time); then real ffprobe on real files.
 */

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/ffprobe/${name}.json`, import.meta.url), 'utf8'));

describe('normaliseProbe', () => {
  it.each([
    ['video', { format: 'mov,mp4,m4a,3gp,3g2,mj2', durationMs: 3000, creationTime: '2026-11-24T13:05:00.000Z', creationTimeMs: Date.parse('2026-11-24T13:05:00Z'), videoStreams: 1, audioStreams: 1 }],
    ['audio', { format: 'wav', durationMs: 2500, creationTime: null, creationTimeMs: null, videoStreams: 0, audioStreams: 1 }],
    ['photo', { format: 'image2', durationMs: 40, creationTime: null, creationTimeMs: null, videoStreams: 1, audioStreams: 0 }],
    ['no-creation-time', { format: 'mov,mp4,m4a,3gp,3g2,mj2', durationMs: 2000, creationTime: null, creationTimeMs: null, videoStreams: 1, audioStreams: 0 }],
  ])('%s', (name, facts) => {
    expect(normaliseProbe(fixture(name))).toEqual(facts);
  });

  it("takes a stream's creation_time when the format has none, and 'N/A' or a missing duration as none", () => {
    const d = fixture('video');
    delete d.format.tags.creation_time;
    delete d.streams[0].tags.creation_time;
    d.streams[1].tags.creation_time = '2026-11-24T13:05:02.500000Z';
    d.format.duration = 'N/A';
    expect(normaliseProbe(d)).toMatchObject({ durationMs: null, creationTime: '2026-11-24T13:05:02.500Z' });
    expect(normaliseProbe({ format: {}, streams: [] } as never)).toEqual({ format: 'unknown', durationMs: null, creationTime: null, creationTimeMs: null, videoStreams: 0, audioStreams: 0 });
  });
});

describe('parseCreationTime', () => {
  it.each([
    ['2026-11-24T13:05:00.000000Z', '2026-11-24T13:05:00.000Z'],
    ['2026-11-24T13:05:00Z', '2026-11-24T13:05:00.000Z'],
    ['2026-11-24 13:05:00', '2026-11-24T13:05:00.000Z'], // QuickTime style, no zone: UTC as mvhd counts it
    ['2026-11-24T21:05:00+08:00', '2026-11-24T13:05:00.000Z'],
    ['2026-11-24T21:05:00+0800', '2026-11-24T13:05:00.000Z'],
    ['2026-11-24T13:05:00.123456789Z', '2026-11-24T13:05:00.123Z'],
  ])('%s is %s', (s, iso) => {
    expect(new Date(parseCreationTime(s)!).toISOString()).toBe(iso);
  });

  it.each([['1904-01-01T00:00:00.000000Z'], ['1970-01-01T00:00:00.000000Z'], ['yesterday'], [''], [42], [null], ['2026-13-45T99:00:00Z']])('%s is no time', (s) => {
    expect(parseCreationTime(s)).toBeNull();
  });
});

describe('probeErrorText', () => {
  it("keeps ffprobe's complaint, not fluent-ffmpeg's prefix", () => {
    expect(probeErrorText('ffprobe exited with code 1\n[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55] moov atom not found\n/x/clip.mp4: Invalid data found when processing input\n')).toBe(
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55] moov atom not found; /x/clip.mp4: Invalid data found when processing input',
    );
    expect(probeErrorText('ffprobe exited with code 1')).toBe('ffprobe exited with code 1');
  });
});

describe('FfmpegMedia.probe with the real ffprobe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const media = new FfmpegMedia();

  it('reads a real MP4: its duration and the creation_time the recorder wrote', async () => {
    const clip = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', makeMp4(), '-c', 'copy', '-metadata', 'creation_time=2026-11-24T13:05:00.000000Z', clip]);
    const out = await media.probe(clip);
    expect(out).toEqual({ kind: 'parsed', facts: expect.objectContaining({ durationMs: 2000, creationTime: '2026-11-24T13:05:00.000Z', videoStreams: 1 }) });
  });

  it('a file that is not a container, an empty one and one cut before its moov do not parse', async () => {
    const garbage = join(dir, 'garbage.mp4');
    writeFileSync(garbage, Buffer.alloc(64 * 1024, 0x5a));
    const empty = join(dir, 'empty.mp4');
    writeFileSync(empty, '');
    // Moov at the end (as a recorder writes while recording), cut off before it: a recording cut short.
    const whole = join(dir, 'moov-last.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=160x120:rate=10', '-pix_fmt', 'yuv420p', whole]);
    const cut = join(dir, 'cut.mp4');
    writeFileSync(cut, readFileSync(whole).subarray(0, 4000));
    for (const f of [garbage, empty, cut]) {
      const out = await media.probe(f);
      expect(out.kind, f).toBe('unparsed');
      if (out.kind === 'unparsed') expect(out.error, f).toMatch(/Invalid data|moov atom not found|End of file/);
    }
  });

  it('a stored file that is not there is missing (nothing said of a container)', async () => {
    expect(await media.probe(join(dir, 'nowhere.mp4'))).toEqual({ kind: 'missing' });
    copyFileSync(makeMp4(), join(dir, 'later.mp4'));
    expect((await media.probe(join(dir, 'later.mp4'))).kind).toBe('parsed');
  });
});
