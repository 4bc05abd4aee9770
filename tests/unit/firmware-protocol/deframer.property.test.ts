import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameKind, MAX_FRAME } from '../../../firmware-protocol/codec/constants.js';
import { Deframer } from '../../../firmware-protocol/codec/deframer.js';
import { encodeFrame, type Frame } from '../../../firmware-protocol/codec/frame.js';

/** Bytes that never contain the magic A5 5A and never end in A5 (so they cannot fake or hide a frame start). */
const noise = fc.uint8Array({ maxLength: 64 }).map((a) => {
  const b = Buffer.from(a);
  for (let i = 1; i < b.length; i++) if (b[i - 1] === 0xa5 && b[i] === 0x5a) b[i] = 0;
  if (b.length > 0 && b[b.length - 1] === 0xa5) b[b.length - 1] = 0;
  return b;
});

const frame = fc.record({
  kind: fc.constantFrom(FrameKind.Request, FrameKind.Response),
  seq: fc.integer({ min: 0, max: 0xffff }),
  command: fc.integer({ min: 0, max: 255 }),
  status: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

/** Split a buffer at random cut points. */
function chunk(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    if (p > prev) out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

function run(chunks: Buffer[]): { frames: Frame[]; maxBuffered: number; maxChunk: number } {
  const d = new Deframer();
  const frames: Frame[] = [];
  d.on('data', (f: Frame) => frames.push(f));
  let maxBuffered = 0;
  let maxChunk = 0;
  for (const c of chunks) {
    d.write(c);
    maxBuffered = Math.max(maxBuffered, d.buffered);
    maxChunk = Math.max(maxChunk, c.length);
  }
  return { frames, maxBuffered, maxChunk };
}

describe('Deframer properties', () => {
  it('never throws and stays bounded on arbitrary bytes in arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const r = run(chunk(Buffer.from(bytes), cuts));
        expect(r.maxBuffered).toBeLessThanOrEqual(MAX_FRAME + r.maxChunk);
      }),
      { numRuns: 200 },
    );
  });

  it('finds every valid frame embedded in noise, truncated and corrupted frames', () => {
    const item = fc.oneof(
      frame.map((f) => ({ type: 'good' as const, f })),
      fc.tuple(frame, fc.nat()).map(([f, n]) => ({ type: 'truncated' as const, f, n })),
      fc.tuple(frame, fc.nat()).map(([f, n]) => ({ type: 'corrupt' as const, f, n })),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(noise, item), { maxLength: 8 }), noise, fc.array(fc.nat(), { maxLength: 30 }), (items, tail, cuts) => {
        const parts: Buffer[] = [];
        const good: Frame[] = [];
        for (const [n, it] of items) {
          parts.push(n);
          const b = encodeFrame(it.f);
          if (it.type === 'good') {
            parts.push(b);
            good.push(it.f);
          } else if (it.type === 'truncated') {
            // Cut before the end; what follows (noise, next frame) must not be swallowed for long.
            parts.push(b.subarray(0, 1 + (it.n % (b.length - 1))));
          } else {
            const c = Buffer.from(b);
            const i = 2 + (it.n % (c.length - 2));
            c[i] = c[i]! ^ 0x40;
            parts.push(c);
          }
        }
        parts.push(tail);
        // A corrupted length field makes the deframer wait for that many bytes before it can judge the CRC and
        // resynchronise: the stream going on (here zeros) settles it, as a live link does.
        parts.push(Buffer.alloc(MAX_FRAME));
        const all = Buffer.concat(parts);
        const r = run(chunk(all, cuts));
        expect(r.maxBuffered).toBeLessThanOrEqual(MAX_FRAME + r.maxChunk);
        // Every good frame must come out, in order (a subsequence: broken frames may, rarely, not be noise).
        const key = (f: Frame) => encodeFrame(f).toString('hex');
        const found = r.frames.map(key);
        let i = 0;
        for (const g of good.map(key)) {
          while (i < found.length && found[i] !== g) i++;
          expect(i).toBeLessThan(found.length);
          i++;
        }
      }),
      { numRuns: 300 },
    );
  });
});
