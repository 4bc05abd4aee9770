import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../daemon/console/services/range.js';

describe('parseRange', () => {
  it.each([
    [undefined, 100, null],
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=50-', 100, { start: 50, end: 99 }],
    ['bytes=90-200', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-500', 100, { start: 0, end: 99 }],
    ['bytes=100-', 100, 'bad'],
    ['bytes=10-5', 100, 'bad'],
    ['bytes=-0', 100, 'bad'],
    ['bytes=-', 100, 'bad'],
    ['bytes=0-1,3-4', 100, 'bad'],
    ['items=0-1', 100, 'bad'],
    ['bytes=0-0', 0, 'bad'],
  ])('%s of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
