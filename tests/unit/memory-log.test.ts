import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMemoryLog, type MemorySample } from '../../daemon/memory-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-memlog-'));
  dirs.push(dir);
  return join(dir, 'memory.jsonl');
}

const lines = (file: string): MemorySample[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as MemorySample)
    : [];

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!fn()) throw new Error(`never: ${what}`);
}

describe('memory log (BWC_DOCK_MEMORY_LOG, for the bench)', () => {
  it('appends process.memoryUsage() as one JSON line per interval, with the resident set split as /proc has it', async () => {
    const file = tempFile();
    const log = startMemoryLog(file, { everyMs: 20, signal: null });
    try {
      await until('three lines', () => lines(file).length >= 3);
    } finally {
      log.stop();
    }
    const got = lines(file);
    for (const s of got) {
      expect(s.why).toBe('tick');
      expect(s.heapUsed).toBeGreaterThan(0);
      expect(s.heapUsed).toBeLessThanOrEqual(s.heapTotal);
      expect(s.rss).toBeGreaterThan(s.heapUsed);
      // Linux: anonymous and file-backed pages add up to the resident set of the same moment (within a page or so).
      expect(s.rssAnon! + s.rssFile!).toBeGreaterThan(0.9 * s.rss);
      expect(s.rssAnon! + s.rssFile!).toBeLessThan(1.1 * s.rss);
    }
    expect(got.map((s) => s.at)).toEqual([...got.map((s) => s.at)].sort((a, b) => a - b));
  });

  it('writes a line at once on its signal, and nothing once stopped (the signal no longer heard)', async () => {
    const file = tempFile();
    const log = startMemoryLog(file, { everyMs: 60_000, signal: 'SIGUSR2' });
    const before = process.listenerCount('SIGUSR2');
    expect(lines(file)).toHaveLength(1);
    process.kill(process.pid, 'SIGUSR2');
    await until('the signal line', () => lines(file).some((s) => s.why === 'signal'));
    log.stop();
    expect(process.listenerCount('SIGUSR2')).toBe(before - 1);
    const n = lines(file).length;
    log.stop();
    expect(lines(file)).toHaveLength(n);
  });
});
