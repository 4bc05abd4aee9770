/**
 * The baselines an offload is compared with, run on the same source files as the dock:
 * (a) the limit: a minimal single-pass read → SHA-256 → write → fsync copy in plain Node, 1 MiB chunks;
 * (b) what an admin would script: `cp` then `sha256sum` of the copy;
 * (c) plain `cp` + `sync`, for scale.
 * Each is timed from outside, process start included, as the dock's offload is.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { now } from './env.js';

const run = promisify(execFile);
const LIMIT = fileURLToPath(new URL('./limit-copy.js', import.meta.url));
const BIG = { maxBuffer: 64 << 20 };

export type BaselineKind = 'a' | 'b' | 'c';

export const BASELINE_NAMES: Record<BaselineKind, string> = {
  a: '(a) Node read→SHA-256→write→fsync, 1 MiB',
  b: '(b) cp, then sha256sum of the copy',
  c: '(c) cp + sync',
};

/** Run one baseline copying `srcs` into the empty folder `dest`; returns the elapsed ms. */
export async function runBaseline(kind: BaselineKind, srcs: string[], dest: string): Promise<number> {
  mkdirSync(dest, { recursive: true });
  const t0 = now();
  if (kind === 'a') {
    await run(process.execPath, [LIMIT, dest, ...srcs], BIG);
  } else {
    await run('cp', ['--', ...srcs, dest], BIG);
    if (kind === 'b') await run('sha256sum', ['--', ...srcs.map((s) => join(dest, basename(s)))], BIG);
    else await run('sync');
  }
  return now() - t0;
}
