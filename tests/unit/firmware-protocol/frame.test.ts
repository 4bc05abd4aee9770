import { describe, expect, it } from 'vitest';
import { Command, FrameKind, MAX_PAYLOAD } from '../../../firmware-protocol/codec/constants.js';
import { encodeFrame } from '../../../firmware-protocol/codec/frame.js';
import { crc16ccittFalse } from '../../../firmware-protocol/codec/crc.js';

describe('encodeFrame', () => {
  it('lays out a HELLO request byte for byte', () => {
    const b = encodeFrame({ kind: FrameKind.Request, seq: 0x1234, command: Command.HELLO, status: 0, payload: Buffer.alloc(0) });
    const crc = crc16ccittFalse(Buffer.from('0101341201000000', 'hex'));
    expect(b.toString('hex')).toBe(`a55a010134120100 0000`.replace(/ /g, '') + Buffer.from([crc & 0xff, crc >> 8]).toString('hex'));
  });

  it('puts the length little-endian and the CRC over version..payload', () => {
    const b = encodeFrame({ kind: FrameKind.Response, seq: 1, command: Command.LOGIN, status: 5, payload: Buffer.from([1, 2, 3]) });
    expect(b.subarray(0, 10).toString('hex')).toBe('a55a0102010002050300');
    expect(b.readUInt16LE(13)).toBe(crc16ccittFalse(b, 2, 13));
  });

  it('refuses a payload over 4096 bytes', () => {
    expect(() => encodeFrame({ kind: 1, seq: 0, command: 1, status: 0, payload: Buffer.alloc(MAX_PAYLOAD + 1) })).toThrow(RangeError);
    expect(encodeFrame({ kind: 1, seq: 0, command: 1, status: 0, payload: Buffer.alloc(MAX_PAYLOAD) })).toHaveLength(MAX_PAYLOAD + 12);
  });
});
