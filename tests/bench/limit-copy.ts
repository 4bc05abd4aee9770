/**
 * Baseline (a), the limit: the least a durable, hashed copy can do in plain Node. One pass per file:
 * read 1 MiB → SHA-256 → write, then fsync; files one after another, on the main thread.
 * Usage: node limit-copy.js DEST_DIR SRC...
 * Prints one JSON line: { bytes, ms, files }.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';

const [dest, ...srcs] = process.argv.slice(2);
if (!dest || srcs.length === 0) {
  process.stderr.write('usage: limit-copy DEST_DIR SRC...\n');
  process.exit(2);
}
const t0 = performance.now();
const buf = Buffer.allocUnsafe(1 << 20);
let bytes = 0;
for (const src of srcs) {
  const inFd = openSync(src, 'r');
  const outFd = openSync(join(dest, basename(src)), 'wx', 0o600);
  const hash = createHash('sha256');
  for (;;) {
    const n = readSync(inFd, buf, 0, buf.length, null);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    for (let off = 0; off < n; ) off += writeSync(outFd, buf, off, n - off);
    bytes += n;
  }
  fsyncSync(outFd);
  closeSync(outFd);
  closeSync(inFd);
  hash.digest('hex');
}
process.stdout.write(`${JSON.stringify({ bytes, ms: performance.now() - t0, files: srcs.length })}\n`);
