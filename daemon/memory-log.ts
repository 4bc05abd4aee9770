import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** One line of the memory log: `process.memoryUsage()` in bytes, with the resident set split as /proc sees it. */
export interface MemorySample {
  /** Epoch ms. */
  at: number;
  /** `tick` every interval, `signal` on SIGUSR2 (the bench asks at the end of each of its phases). */
  why: 'tick' | 'signal';
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Anonymous memory (heaps, malloc, stacks) and mapped files (mostly the node binary's code) of `rss`; null off Linux. */
  rssAnon: number | null;
  rssFile: number | null;
}

function procRss(): { rssAnon: number | null; rssFile: number | null } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : null;
    };
    return { rssAnon: kib('RssAnon'), rssFile: kib('RssFile') };
  } catch {
    return { rssAnon: null, rssFile: null };
  }
}

export function memorySample(why: MemorySample['why'], at = Date.now()): MemorySample {
  const m = process.memoryUsage();
  return { at, why, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, ...procRss() };
}

/**
 * The daemon's memory as JSON lines appended to `file`: every `everyMs` and at once on `signal`. Only when
 * BWC_DOCK_MEMORY_LOG names a file (the bench, tests/bench/daemon-proc.ts, reads the breakdown at each phase's peak);
 * the daemon never reads it back. Copy workers are other isolates: their heaps are in `rss` only.
 */
export function startMemoryLog(file: string, opts: { everyMs?: number; signal?: NodeJS.Signals | null } = {}): { stop(): void } {
  const fd = openSync(file, 'a', 0o600);
  const write = (why: MemorySample['why']) => writeSync(fd, `${JSON.stringify(memorySample(why))}\n`);
  const onSignal = () => write('signal');
  const signal = opts.signal === undefined ? 'SIGUSR2' : opts.signal;
  if (signal) process.on(signal, onSignal);
  const timer = setInterval(() => write('tick'), opts.everyMs ?? 1000);
  timer.unref();
  write('tick');
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (signal) process.off(signal, onSignal);
      write('tick');
      closeSync(fd);
    },
  };
}
