import { describe, expect, it } from 'vitest';
import { CRC_SIZE, FrameKind, HEADER_SIZE, MAX_PAYLOAD } from '../../../firmware-protocol/codec/constants.js';
import { crc16ccittFalse } from '../../../firmware-protocol/codec/crc.js';
import { Deframer } from '../../../firmware-protocol/codec/deframer.js';
import { encodeFrame, type Frame } from '../../../firmware-protocol/codec/frame.js';

const f = (seq: number, payload: number[] | Buffer = []): Frame => ({ kind: FrameKind.Request, seq, command: 1, status: 0, payload: Buffer.from(payload) });
const bytes = (fr: Frame) => encodeFrame(fr);
const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

function feed(chunks: Buffer[]): { frames: Frame[]; d: Deframer } {
  const d = new Deframer();
  const frames: Frame[] = [];
  d.on('data', (x: Frame) => frames.push(x));
  for (const c of chunks) d.write(c);
  return { frames, d };
}

function withBadCrc(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[c.length - 2] = c[c.length - 2]! ^ 0x01;
  return c;
}

const A = bytes(f(1, [0xde, 0xad]));
const B = bytes(f(2));

describe('Deframer, tables of bytes', () => {
  it.each<[string, Buffer[], number[]]>([
    ['one frame in one chunk', [A], [1]],
    ['a frame split byte by byte', [...A].map((x) => Buffer.from([x])), [1]],
    ['a frame split inside the magic', [A.subarray(0, 1), A.subarray(1)], [1]],
    ['a frame split inside the header and the CRC', [A.subarray(0, 5), A.subarray(5, 13), A.subarray(13)], [1]],
    ['two frames in one chunk', [Buffer.concat([A, B])], [1, 2]],
    ['garbage prefix', [Buffer.concat([hex('00 ff 13 5a a5 00 a5'), A])], [1]],
    ['garbage between frames', [Buffer.concat([A, hex('77 88 99'), B])], [1, 2]],
    ['bad CRC then a good frame', [Buffer.concat([withBadCrc(A), B])], [2]],
    ['bad CRC, good frame in the next chunk', [withBadCrc(A), B], [2]],
    ['trailing A5 of a split magic', [Buffer.concat([hex('11 22'), A.subarray(0, 1)]), A.subarray(1)], [1]],
    ['unknown version then a good frame', [Buffer.concat([hex('a5 5a 02 01 00 00 01 00 00 00 00 00'), B])], [2]],
    ['a frame starting inside a corrupted one', [Buffer.concat([withBadCrc(A).subarray(0, 8), B])], [2]],
  ])('%s', (_name, chunks, seqs) => {
    const { frames } = feed(chunks);
    expect(frames.map((x) => x.seq)).toEqual(seqs);
  });

  it('decodes every header field and the payload', () => {
    const { frames } = feed([bytes({ kind: FrameKind.Response, seq: 0xbeef, command: 0x08, status: 0x0a, payload: Buffer.from([9, 8, 7]) })]);
    expect(frames).toEqual([{ kind: FrameKind.Response, seq: 0xbeef, command: 0x08, status: 0x0a, payload: Buffer.from([9, 8, 7]) }]);
  });

  it('accepts the maximum payload of 4096 bytes', () => {
    const big = bytes(f(7, Buffer.alloc(MAX_PAYLOAD, 0x33)));
    const { frames } = feed([big.subarray(0, 3000), big.subarray(3000)]);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.payload).toHaveLength(MAX_PAYLOAD);
  });

  it('drops a frame that claims 4097 bytes and resynchronises on the next', () => {
    const len = MAX_PAYLOAD + 1;
    const head = Buffer.alloc(HEADER_SIZE);
    head.set([0xa5, 0x5a, 0x01, 0x01, 0x09, 0x00, 0x01, 0x00]);
    head.writeUInt16LE(len, 8);
    const body = Buffer.alloc(len + CRC_SIZE, 0x44);
    const all = Buffer.concat([head, body]);
    all.writeUInt16LE(crc16ccittFalse(all, 2, HEADER_SIZE + len), HEADER_SIZE + len);
    const { frames, d } = feed([all, B]);
    expect(frames.map((x) => x.seq)).toEqual([2]);
    expect(d.stats.dropped.too_long).toBe(1);
  });

  it('counts and reports what it drops', () => {
    const drops: string[] = [];
    const d = new Deframer((reason) => drops.push(reason));
    d.write(Buffer.concat([hex('01 02'), withBadCrc(A)]));
    d.write(B);
    expect(drops).toContain('noise');
    expect(drops).toContain('bad_crc');
    expect(d.stats.frames).toBe(1);
  });

  it('holds back at most one maximal frame', () => {
    const d = new Deframer();
    const head = hex('a5 5a 01 01 00 00 01 00 00 10');
    d.write(head);
    for (let i = 0; i < 10; i++) d.write(Buffer.alloc(1000, 0x11));
    expect(d.buffered).toBeLessThanOrEqual(HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE);
  });
});
