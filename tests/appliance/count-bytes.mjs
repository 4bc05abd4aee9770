// node count-bytes.mjs FILE HEX...: how many times each byte string (hex) occurs in FILE, one count per line, in one
// pass over the file (a disk image of gigabytes; a match across two reads is found).
import fs from 'node:fs';

const [file, ...hexes] = process.argv.slice(2);
if (!file || hexes.length === 0) {
  process.stderr.write('usage: node count-bytes.mjs FILE HEX...\n');
  process.exit(2);
}
const needles = hexes.map((h) => Buffer.from(h, 'hex'));
const longest = Math.max(...needles.map((n) => n.length));
const counts = needles.map(() => 0);
const fd = fs.openSync(file, 'r');
const chunk = 64 << 20;
const buf = Buffer.alloc(chunk + longest);
let carry = 0;
for (;;) {
  const n = fs.readSync(fd, buf, carry, chunk, null);
  if (n === 0) break;
  const end = carry + n;
  const view = buf.subarray(0, end);
  needles.forEach((needle, i) => {
    // A match wholly inside the carried-over bytes was counted by the previous read.
    for (let at = view.indexOf(needle); at !== -1; at = view.indexOf(needle, at + 1)) {
      if (at + needle.length > carry) counts[i] = (counts[i] ?? 0) + 1;
    }
  });
  carry = Math.min(longest - 1, end);
  buf.copy(buf, 0, end - carry, end);
}
fs.closeSync(fd);
process.stdout.write(`${counts.join('\n')}\n`);
