/** A single byte range of a file of `size` bytes, inclusive ends. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parse an HTTP `Range` header for one range (`bytes=a-b`, `bytes=a-`, `bytes=-n`).
 * @returns null without a header; 'bad' for anything not satisfiable (syntax, several ranges, past the end),
 *   which the console answers 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'bad' {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return 'bad';
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return 'bad';
  if (a === '') {
    const n = Number(b);
    if (!Number.isSafeInteger(n) || n === 0 || size === 0) return 'bad';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start >= size || end < start) return 'bad';
  return { start, end };
}
