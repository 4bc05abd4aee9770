/**
 * Small helpers of the benchmark: the page cache, temp folders, timing and statistics. Nothing here
 * touches the product; the bench measures it from outside as far as it can.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MB = 1e6;
export const MiB = 1 << 20;

/** Write back dirty pages, then drop the page cache (root only). Returns whether the drop happened. */
export function dropCaches(): boolean {
  execFileSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

/** A fresh folder under the system temp folder, removed by {@link rmTree}. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `bwc-bench-${prefix}-`));
}

export function rmTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const now = () => performance.now();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil<T>(what: string, fn: () => T | undefined | null | false, timeoutMs: number, everyMs = 10): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1]!;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** MB/s (decimal megabytes) of `bytes` moved in `ms`. */
export const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

/** Peak and current resident memory of a process, from /proc (kB → bytes). */
export function procMemory(pid: number): { hwmBytes: number; rssBytes: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { hwmBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
  } catch {
    return null;
  }
}
