import { describe, expect, it } from 'vitest';
import { mediaTypeOf, thumbnailArgs, thumbnailSeekMs } from '../../../daemon/ingest/media.js';
import { VIEW_WINDOW_MS, playbackGround } from '../../../daemon/console/services/playback.js';

describe('media types and thumbnail arguments', () => {
  it.each([
    ['A_1.MP4', 'video/mp4'],
    ['a.wav', 'audio/wav'],
    ['a.JPG', 'image/jpeg'],
    ['a.jpeg', 'image/jpeg'],
    ['a.bin', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('%s is %s', (name, type) => expect(mediaTypeOf(name).type).toBe(type));

  it('seeks into videos, not photos, and writes one scaled JPEG frame', () => {
    expect(thumbnailArgs('/f/a.mp4', '/c/t.jpg', { kind: 'video', seekMs: 1000, width: 320 })).toEqual([
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-ss', '1.000', '-i', '/f/a.mp4', '-frames:v', '1', '-vf', 'scale=320:-2', '-q:v', '4', '-f', 'image2', '-c:v', 'mjpeg', '/c/t.jpg',
    ]);
    expect(thumbnailArgs('/f/a.jpg', '/c/t.jpg', { kind: 'image', seekMs: 0, width: 320 })).not.toContain('-ss');
    expect(thumbnailSeekMs(60_000)).toBe(1000);
    expect(thumbnailSeekMs(1000)).toBe(500);
    expect(thumbnailSeekMs(0)).toBe(0);
  });
});

describe('playback ground', () => {
  it('own for an officer\'s own recording, refused for another\'s, oversight for supervisors and legal, refused on request scope', () => {
    expect(playbackGround({ username: '100001' }, 'own', { officerNo: '100001' })).toBe('own');
    expect(() => playbackGround({ username: '100001' }, 'own', { officerNo: '100002' })).toThrow(/own recordings/);
    expect(playbackGround({ username: 'sup1' }, 'all', { officerNo: '100002' })).toBe('oversight');
    expect(() => playbackGround({ username: 'em1' }, 'request', { officerNo: '100002' })).toThrow(/access request/);
    expect(VIEW_WINDOW_MS).toBe(30 * 60_000);
  });
});
