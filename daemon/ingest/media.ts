import { spawn } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import ffmpeg, { type FfprobeData } from 'fluent-ffmpeg';
import { DockError } from '../errors.js';

/**
 * The only file that runs ffmpeg (STYLE §6): thumbnails of stored recordings, written under the cache, never
 * under footage/, and the probe of a stored file's container (fluent-ffmpeg's ffprobe, kept here so the archived
 * package can be swapped). The argument list and the normalisation of ffprobe's answer are pure functions, so
 * they are testable without ffmpeg.
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

/** What a stored file's container says of itself (ffprobe's answer, normalised). */
export interface ContainerFacts {
  /** ffprobe's `format_name` (`mov,mp4,m4a,3gp,3g2,mj2`, `wav`, `image2`). */
  format: string;
  /** The container's duration, ms; null when it states none. */
  durationMs: number | null;
  /** `creation_time` as the container states it (the recorder's clock when it wrote the file), ISO 8601 UTC; else null. */
  creationTime: string | null;
  creationTimeMs: number | null;
  videoStreams: number;
  audioStreams: number;
}

/**
 * A probe's outcome: the container parsed; it did not (ffprobe's own words); or the stored file is not there
 * (nothing is said of a container then: `bwc-dock verify` reports a missing file).
 */
export type ProbeOutcome = { kind: 'parsed'; facts: ContainerFacts } | { kind: 'unparsed'; error: string } | { kind: 'missing' };

export interface MediaProbe {
  /**
   * Probe a stored file's container. A file that does not parse is an outcome, not an error; a MediaError
   * (`ffmpeg_missing`, `ffmpeg_failed` for a time-out) means nothing was learnt of the file.
   */
  probe(path: string): Promise<ProbeOutcome>;
}

const finite = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};

/**
 * A container's `creation_time` as an instant: ISO 8601 with `Z` or an offset as ffmpeg writes it
 * (`2026-11-24T13:05:00.000000Z`); a time without a zone is UTC, as the MP4 `mvhd` box counts it. Null for
 * anything else, and for the MP4 epoch (1904-01-01) or 1970-01-01 that a recorder without a clock writes.
 */
export function parseCreationTime(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(v.trim());
  if (!m) return null;
  const frac = (m[3] ?? '').padEnd(3, '0').slice(0, 3);
  const zone = !m[4] || m[4] === 'Z' ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4];
  const ms = Date.parse(`${m[1]}T${m[2]}.${frac}${zone}`);
  if (!Number.isFinite(ms) || ms <= Date.UTC(1970, 0, 2)) return null;
  return ms;
}

/** ffprobe's answer (as fluent-ffmpeg gives it) as the few facts the dock keeps: a pure function (STYLE §7). */
export function normaliseProbe(data: Pick<FfprobeData, 'format' | 'streams'>): ContainerFacts {
  const streams = Array.isArray(data.streams) ? data.streams : [];
  const format = data.format ?? {};
  const seconds = finite(format.duration);
  const tagged = [format.tags?.creation_time, ...streams.map((s) => (s.tags as Record<string, unknown> | undefined)?.creation_time)];
  let creationTimeMs: number | null = null;
  for (const t of tagged) {
    creationTimeMs = parseCreationTime(t);
    if (creationTimeMs !== null) break;
  }
  return {
    format: typeof format.format_name === 'string' ? format.format_name : 'unknown',
    durationMs: seconds !== null && seconds >= 0 ? Math.round(seconds * 1000) : null,
    creationTime: creationTimeMs !== null ? new Date(creationTimeMs).toISOString() : null,
    creationTimeMs,
    videoStreams: streams.filter((s) => s.codec_type === 'video').length,
    audioStreams: streams.filter((s) => s.codec_type === 'audio').length,
  };
}

/** ffprobe's complaint without fluent-ffmpeg's prefix: the last lines it wrote (`moov atom not found`, …). */
export function probeErrorText(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l && !/^ffprobe exited with code/.test(l));
  return (lines.slice(-2).join('; ') || message.split('\n')[0] || 'ffprobe failed').slice(0, 300);
}

/**
 * Thumbnails with the system's ffmpeg (concurrent requests for the same thumbnail share one run) and probes with
 * its ffprobe through fluent-ffmpeg. fluent-ffmpeg finds ffprobe on the PATH (or FFPROBE_PATH) once per process,
 * and gives no handle on the process it starts: a probe past `timeoutMs` is given up (`ffmpeg_failed`), its
 * ffprobe left to finish reading the file.
 */
export class FfmpegMedia implements MediaRepository, MediaProbe {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly ffmpegPath = 'ffmpeg',
    private readonly width = 320,
    private readonly timeoutMs = 30_000,
  ) {}

  async probe(path: string): Promise<ProbeOutcome> {
    try {
      if (!(await stat(path)).isFile()) return { kind: 'unparsed', error: 'not a regular file' };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw e;
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const timer = setTimeout(() => settle(() => reject(new MediaError('ffmpeg_failed', `ffprobe took more than ${this.timeoutMs} ms on ${path}`))), this.timeoutMs);
      ffmpeg(path).ffprobe(['-v', 'error'], (err: unknown, data: FfprobeData) => {
        if (!err) return settle(() => resolve({ kind: 'parsed', facts: normaliseProbe(data) }));
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT' || /Cannot find ffprobe/.test(e.message ?? '')) return settle(() => reject(new MediaError('ffmpeg_missing', `cannot run ffprobe: ${e.message}`)));
        // ffprobe ran and refused the file; killed by a signal (out of memory, a stop) says nothing of the file.
        if (/^ffprobe exited with code/.test(e.message ?? '')) return settle(() => resolve({ kind: 'unparsed', error: probeErrorText(e.message) }));
        settle(() => reject(new MediaError('ffmpeg_failed', `ffprobe failed on ${path}: ${e.message ?? String(err)}`)));
      });
    });
  }

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
