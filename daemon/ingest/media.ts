import { spawn } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DockError } from '../errors.js';

/**
 * The only file that runs ffmpeg (STYLE §6): thumbnails of stored recordings, written under the cache, never
 * under footage/. The argument list is a pure function so it is testable without ffmpeg.
 * @module
 */

export type MediaKind = 'video' | 'audio' | 'image' | 'other';

const KINDS: Record<string, { kind: MediaKind; type: string }> = {
  mp4: { kind: 'video', type: 'video/mp4' },
  mov: { kind: 'video', type: 'video/mp4' },
  m4v: { kind: 'video', type: 'video/mp4' },
  wav: { kind: 'audio', type: 'audio/wav' },
  jpg: { kind: 'image', type: 'image/jpeg' },
  jpeg: { kind: 'image', type: 'image/jpeg' },
};

/** The media kind and content type of a recording by its file name's extension. */
export function mediaTypeOf(name: string): { kind: MediaKind; type: string } {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return KINDS[ext] ?? { kind: 'other', type: 'application/octet-stream' };
}

/** Why ffmpeg made nothing (a container that does not parse at offload is a flag, not an error). */
export const MEDIA_ERROR_CODES = ['no_picture', 'ffmpeg_failed', 'ffmpeg_missing'] as const;
export type MediaErrorCode = (typeof MEDIA_ERROR_CODES)[number];

export class MediaError extends DockError<MediaErrorCode> {
  readonly domain = 'media';
}

/** Where thumbnails (derived copies of footage) are cached: outside `footage/`, one file per recording and hash. */
export const thumbnailsDir = (dataDir: string) => join(dataDir, 'cache', 'thumbnails');
export const thumbnailPath = (dataDir: string, rec: { id: number; sha256: string }) => join(thumbnailsDir(dataDir), `${rec.id}-${rec.sha256.slice(0, 16)}.jpg`);
/** Whether a cached file name is a thumbnail of recording `id` (any hash). */
export const isThumbnailOf = (name: string, id: number) => name.startsWith(`${id}-`) && name.endsWith('.jpg');

/** ffmpeg arguments for a JPEG thumbnail `width` wide: a frame at `seekMs` of a video, or the photo scaled. */
export function thumbnailArgs(src: string, dest: string, opts: { kind: MediaKind; seekMs: number; width: number }): string[] {
  const seek = opts.kind === 'video' ? ['-ss', (opts.seekMs / 1000).toFixed(3)] : [];
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...seek, '-i', src, '-frames:v', '1', '-vf', `scale=${opts.width}:-2`, '-q:v', '4', '-f', 'image2', '-c:v', 'mjpeg', dest];
}

/** Where to seek for a representative frame: a second in, or the middle of a short clip. */
export function thumbnailSeekMs(durationMs: number): number {
  return durationMs >= 2000 ? 1000 : Math.max(0, Math.floor(durationMs / 2));
}

export interface MediaRepository {
  /** Make (once) the thumbnail of `src` at `dest`; resolves when `dest` exists. */
  thumbnail(src: string, dest: string, opts: { name: string; durationMs: number }): Promise<void>;
}

/** Thumbnails with the system's ffmpeg; concurrent requests for the same thumbnail share one run. */
export class FfmpegMedia implements MediaRepository {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly ffmpegPath = 'ffmpeg',
    private readonly width = 320,
    private readonly timeoutMs = 30_000,
  ) {}

  async thumbnail(src: string, dest: string, opts: { name: string; durationMs: number }): Promise<void> {
    if (await exists(dest)) return;
    const cur = this.running.get(dest);
    if (cur) return cur;
    const p = this.make(src, dest, opts).finally(() => this.running.delete(dest));
    this.running.set(dest, p);
    return p;
  }

  private async make(src: string, dest: string, opts: { name: string; durationMs: number }): Promise<void> {
    const { kind } = mediaTypeOf(opts.name);
    if (kind !== 'video' && kind !== 'image') throw new MediaError('no_picture', `${opts.name} has no picture`);
    await mkdir(dirname(dest), { recursive: true, mode: 0o750 });
    const tmp = `${dest}.${process.pid}.${Date.now()}.tmp.jpg`;
    try {
      await this.run(thumbnailArgs(src, tmp, { kind, seekMs: thumbnailSeekMs(opts.durationMs), width: this.width }));
      if (!(await exists(tmp))) throw new MediaError('ffmpeg_failed', 'ffmpeg wrote no picture');
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private run(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new MediaError(e.code === 'ENOENT' ? 'ffmpeg_missing' : 'ffmpeg_failed', `cannot run ffmpeg: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new MediaError('ffmpeg_failed', `ffmpeg exited ${code ?? signal}: ${err.trim()}`));
      });
    });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).size > 0;
  } catch {
    return false;
  }
}
