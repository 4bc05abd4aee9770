import { describe, expect, it } from 'vitest';
import { crc16ccittFalse } from '../../../firmware-protocol/codec/crc.js';

describe('crc16ccittFalse', () => {
  it.each([
    ['123456789', 0x29b1],
    ['', 0xffff],
    ['A', 0xb915],
  ])('of %j is %s', (text, crc) => {
    expect(crc16ccittFalse(Buffer.from(text, 'ascii'))).toBe(crc);
  });

  it('covers only the given range', () => {
    const b = Buffer.from('xx123456789yy', 'ascii');
    expect(crc16ccittFalse(b, 2, 11)).toBe(0x29b1);
  });
});
