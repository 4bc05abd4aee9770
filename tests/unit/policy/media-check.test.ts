import { describe, expect, it } from 'vitest';
import { checkContainer, durationToleranceMs, type ContainerCheckInput } from '../../../daemon/policy/media-check.js';

const video = (o: Partial<ContainerCheckInput> = {}): ContainerCheckInput => ({ kind: 'video', catalogDurationMs: 600_000, parsed: true, durationMs: 600_000, videoStreams: 1, audioStreams: 1, ...o });

describe('durationToleranceMs', () => {
  it.each([
    [0, 2000],
    [3000, 2000],
    [200_000, 2000],
    [600_000, 6000], // a 10-minute segment: 1 %
    [3_600_000, 36_000],
  ])('catalog %i ms: %i ms', (catalog, tol) => expect(durationToleranceMs(catalog)).toBe(tol));
});

describe('checkContainer', () => {
  it.each<[string, ContainerCheckInput, string[]]>([
    ['agrees exactly', video(), []],
    ['AAC priming and the last frame (+46 ms on a 3 s clip)', video({ catalogDurationMs: 3000, durationMs: 3046 }), []],
    ['a segment cut at a key frame 2 s early', video({ catalogDurationMs: 3000, durationMs: 1000 }), []],
    ['2.001 s short of a 3 s catalog', video({ catalogDurationMs: 3000, durationMs: 999 }), ['duration_mismatch']],
    ['10-minute segment, 6 s off', video({ durationMs: 606_000 }), []],
    ['10-minute segment, 7 s off', video({ durationMs: 607_000 }), ['duration_mismatch']],
    ['another file: 2 s where 10 minutes were catalogued', video({ durationMs: 2000 }), ['duration_mismatch']],
    ['does not parse', video({ parsed: false, error: 'moov atom not found', durationMs: null, videoStreams: 0, audioStreams: 0 }), ['container_unreadable']],
    ['a video with no video stream', video({ videoStreams: 0 }), ['container_unreadable']],
    ['a sound recording with no sound', { kind: 'audio', catalogDurationMs: 2500, parsed: true, durationMs: 2500, videoStreams: 1, audioStreams: 0 }, ['container_unreadable']],
    ['a sound recording that agrees', { kind: 'audio', catalogDurationMs: 2500, parsed: true, durationMs: 2500, videoStreams: 0, audioStreams: 1 }, []],
    ['a photo: no duration to compare', { kind: 'image', catalogDurationMs: 0, parsed: true, durationMs: 40, videoStreams: 1, audioStreams: 0 }, []],
    ['a container that states no duration', video({ durationMs: null }), []],
    ['a catalog without a duration', video({ catalogDurationMs: 0, durationMs: 5000 }), []],
    ['a file of no media kind is not judged', { kind: 'other', catalogDurationMs: 0, parsed: false, durationMs: null, videoStreams: 0, audioStreams: 0 }, []],
  ])('%s', (_name, input, flags) => {
    const out = checkContainer(input);
    expect(out.flags).toEqual(flags);
    expect(out.detail === null).toBe(flags.length === 0);
  });

  it('says what it found in words', () => {
    expect(checkContainer(video({ durationMs: 2000 })).detail).toBe("the container lasts 2.0 s, the recorder's catalog says 600.0 s (−598.0 s, more than the 6.0 s allowed)");
    expect(checkContainer(video({ parsed: false, error: 'moov atom not found' })).detail).toBe('the container does not parse: moov atom not found');
  });
});
