import { Transform, type TransformCallback } from 'node:stream';
import { crc16ccittFalse } from './crc.js';
import { CRC_SIZE, HEADER_SIZE, MAGIC0, MAGIC1, MAX_FRAME, MAX_PAYLOAD, PROTOCOL_VERSION } from './constants.js';
import type { Frame } from './frame.js';

export type DropReason = 'bad_crc' | 'bad_version' | 'too_long' | 'bad_kind' | 'noise';

export interface DeframerStats {
  frames: number;
  dropped: Record<DropReason, number>;
}

/**
 * Bytes in, frames out. Resynchronises on the next magic after noise or a frame it drops; never
 * buffers more than one maximal frame plus one chunk, never throws out of the stream.
 */
export class Deframer extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  readonly stats: DeframerStats = { frames: 0, dropped: { bad_crc: 0, bad_version: 0, too_long: 0, bad_kind: 0, noise: 0 } };

  constructor(private readonly onDrop?: (reason: DropReason, bytes: number) => void) {
    super({ readableObjectMode: true });
  }

  /** Bytes held back as the possible start of a frame (never more than one maximal frame). */
  get buffered(): number {
    return this.buf.length;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.drain();
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.buf.length > 0) this.discard('noise', this.buf.length);
    this.buf = Buffer.alloc(0);
    cb();
  }

  private discard(reason: DropReason, bytes: number): void {
    this.stats.dropped[reason]++;
    this.onDrop?.(reason, bytes);
  }

  /** Extract every complete frame in `buf`; keep the tail that may be the start of one. */
  private drain(): void {
    let pos = 0;
    const b = this.buf;
    for (;;) {
      const m = findMagic(b, pos);
      if (m < 0) {
        // Keep a trailing 0xA5: it may be the first half of the next magic.
        const keepFrom = b.length > 0 && b[b.length - 1] === MAGIC0 ? b.length - 1 : b.length;
        if (keepFrom > pos) this.discard('noise', keepFrom - pos);
        pos = keepFrom;
        break;
      }
      if (m > pos) this.discard('noise', m - pos);
      pos = m;
      if (b.length - pos < HEADER_SIZE) break;
      if (b[pos + 2] !== PROTOCOL_VERSION) {
        this.discard('bad_version', 1);
        pos += 1;
        continue;
      }
      const len = b.readUInt16LE(pos + 8);
      if (len > MAX_PAYLOAD) {
        this.discard('too_long', 1);
        pos += 1;
        continue;
      }
      const total = HEADER_SIZE + len + CRC_SIZE;
      if (b.length - pos < total) break;
      const crc = b.readUInt16LE(pos + HEADER_SIZE + len);
      if (crc !== crc16ccittFalse(b, pos + 2, pos + HEADER_SIZE + len)) {
        // A corrupted frame: skip its magic only, a real frame may start inside it.
        this.discard('bad_crc', 1);
        pos += 1;
        continue;
      }
      const kind = b[pos + 3]!;
      if (kind !== 0x01 && kind !== 0x02) {
        this.discard('bad_kind', total);
        pos += total;
        continue;
      }
      const frame: Frame = {
        kind,
        seq: b.readUInt16LE(pos + 4),
        command: b[pos + 6]!,
        status: b[pos + 7]!,
        payload: Buffer.from(b.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + len)),
      };
      pos += total;
      this.stats.frames++;
      this.push(frame);
    }
    this.buf = pos >= b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(pos));
    // Bound memory even against a peer that streams one endless partial frame (cannot happen past MAX_FRAME).
    if (this.buf.length > MAX_FRAME) {
      this.discard('noise', this.buf.length - MAX_FRAME);
      this.buf = Buffer.from(this.buf.subarray(this.buf.length - MAX_FRAME));
    }
  }
}

function findMagic(b: Buffer, from: number): number {
  for (let i = b.indexOf(MAGIC0, from); i >= 0 && i + 1 < b.length; i = b.indexOf(MAGIC0, i + 1)) {
    if (b[i + 1] === MAGIC1) return i;
  }
  return -1;
}
