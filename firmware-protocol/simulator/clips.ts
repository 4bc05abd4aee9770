import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export type ClipKind = 'video' | 'audio' | 'photo';

class ClipError extends Error {
  constructor(
    readonly code: 'FFMPEG_FAILED' | 'BAD_TEMPLATE',
    message: string,
  ) {
    super(message);
    this.name = 'ClipError';
  }
}

export interface ClipFactoryOptions {
  /** Where templates are kept between runs (one per kind and duration). */
  cacheDir: string;
  ffmpegPath?: string;
  /** ffmpeg processes at a time. Default 2. */
  concurrency?: number;
}

export interface ClipRequest {
  kind: ClipKind;
  /** Media length (ignored for photos). */
  durationMs: number;
  /** Absolute destination path; its folder is created. */
  dest: string;
  /** The recorder clock at start (an instant, ms since the epoch): the MP4's `creation_time`, in UTC. */
  createdAt: number;
  /** Makes the content unique: written into the file's comment. */
  unique: string;
  /**
   * Benchmarks: grow the file to this many bytes with a trailing ISO-BMFF `free` box of pseudo-random
   * bytes seeded by `unique` (video only; the MP4 stays valid and plays as the small clip it holds).
   */
  sizeBytes?: number;
}

export interface ClipResult {
  size: bigint;
  /** SHA-256 of the file as written, lowercase hex. */
  sha256: string;
}

const EXT: Record<ClipKind, string> = { video: 'mp4', audio: 'wav', photo: 'jpg' };
const TEMPLATE_VERSION = 1;

/**
 * Real media files for simulated recorders. ffmpeg encodes one template per (kind, duration) into the
 * cache (320x240 testsrc at 10 fps with a sine tone, H.264/AAC, moov first); every clip is a stream copy
 * of it with its own comment and creation_time (photos: a JPEG COM segment), so each file differs.
 */
export class ClipFactory {
  private readonly templates = new Map<string, Promise<string>>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly ffmpeg: string;
  private readonly concurrency: number;

  constructor(private readonly opts: ClipFactoryOptions) {
    this.ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
    this.concurrency = opts.concurrency ?? 2;
  }

  async make(req: ClipRequest): Promise<ClipResult> {
    await fsp.mkdir(path.dirname(req.dest), { recursive: true });
    const template = await this.template(req.kind, req.kind === 'photo' ? 0 : req.durationMs);
    const iso = new Date(req.createdAt).toISOString().replace('Z', '000Z');
    if (req.kind === 'photo') {
      await fsp.writeFile(req.dest, withJpegComment(await fsp.readFile(template), `${req.unique} ${iso}`));
    } else {
      const fmt = req.kind === 'video' ? ['-movflags', '+faststart', '-f', 'mp4'] : ['-f', 'wav'];
      await this.run(['-i', template, '-map', '0', '-c', 'copy', '-metadata', `comment=${req.unique}`, '-metadata', `creation_time=${iso}`, ...fmt, req.dest]);
    }
    if (req.sizeBytes !== undefined && req.kind === 'video') return appendFreeBox(req.dest, req.sizeBytes, req.unique);
    return hashFile(req.dest);
  }

  /** The cached template for a kind and duration, encoded once (atomically, so parallel runs may share the cache). */
  template(kind: ClipKind, durationMs: number): Promise<string> {
    const file = path.join(this.opts.cacheDir, `template-v${TEMPLATE_VERSION}-${kind}-${durationMs}.${EXT[kind]}`);
    let p = this.templates.get(file);
    if (!p) {
      p = this.encodeTemplate(kind, durationMs, file);
      this.templates.set(file, p);
      p.catch(() => this.templates.delete(file));
    }
    return p;
  }

  private async encodeTemplate(kind: ClipKind, durationMs: number, file: string): Promise<string> {
    if (fs.existsSync(file)) return file;
    await fsp.mkdir(this.opts.cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const d = (durationMs / 1000).toFixed(3);
    const args =
      kind === 'video'
        ? ['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=10:duration=${d}`, '-f', 'lavfi', '-i', `sine=frequency=1000:duration=${d}`,
           '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '32k', '-shortest',
           '-movflags', '+faststart', '-f', 'mp4', tmp]
        : kind === 'audio'
          ? ['-f', 'lavfi', '-i', `sine=frequency=800:duration=${d}`, '-c:a', 'pcm_s16le', '-ar', '16000', '-f', 'wav', tmp]
          : ['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=1', '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', tmp];
    try {
      await this.run(args);
      await fsp.rename(tmp, file);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    return file;
  }

  private async run(args: string[]): Promise<void> {
    await this.acquire();
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(this.ffmpeg, ['-v', 'error', '-nostdin', '-y', ...args], { maxBuffer: 1 << 20 }, (err, _out, stderr) => {
          if (err) reject(new ClipError('FFMPEG_FAILED', `ffmpeg ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
          else resolve();
        });
      });
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

/** Insert a COM segment right after the JPEG's SOI marker. */
function withJpegComment(jpeg: Buffer, comment: string): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new ClipError('BAD_TEMPLATE', 'photo template is not a JPEG');
  const text = Buffer.from(comment, 'utf8').subarray(0, 65000);
  const seg = Buffer.alloc(4);
  seg[0] = 0xff;
  seg[1] = 0xfe;
  seg.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), seg, text, jpeg.subarray(2)]);
}

async function hashFile(file: string): Promise<ClipResult> {
  const h = createHash('sha256');
  let size = 0n;
  for await (const chunk of fs.createReadStream(file)) {
    h.update(chunk as Buffer);
    size += BigInt((chunk as Buffer).length);
  }
  return { size, sha256: h.digest('hex') };
}

/** Grow an MP4 to `total` bytes with a trailing `free` box of seeded pseudo-random bytes; hash as it goes. */
async function appendFreeBox(file: string, total: number, seed: string): Promise<ClipResult> {
  const have = (await fsp.stat(file)).size;
  const large = total - have > 0xffffffff;
  const headerSize = large ? 16 : 8;
  if (total < have + headerSize) return hashFile(file);
  const boxSize = total - have;
  const header = Buffer.alloc(headerSize);
  if (large) {
    header.writeUInt32BE(1, 0);
    header.write('free', 4, 'latin1');
    header.writeBigUInt64BE(BigInt(boxSize), 8);
  } else {
    header.writeUInt32BE(boxSize, 0);
    header.write('free', 4, 'latin1');
  }
  const h = createHash('sha256');
  h.update(await fsp.readFile(file));
  const fh = await fsp.open(file, 'a');
  try {
    h.update(header);
    await fh.write(header);
    let state = fnv(seed) || 1;
    const chunk = Buffer.alloc(1 << 20);
    const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length / 4);
    for (let left = boxSize - headerSize; left > 0; ) {
      for (let i = 0; i < words.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      const n = Math.min(left, chunk.length);
      const part = chunk.subarray(0, n);
      h.update(part);
      await fh.write(part);
      left -= n;
    }
  } finally {
    await fh.close();
  }
  return { size: BigInt(total), sha256: h.digest('hex') };
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
