import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipFactory } from '../../firmware-protocol/simulator/clips.js';
import { startRecorder, type RecorderHandle, type StartRecorderOptions } from '../../firmware-protocol/simulator/recorder.js';
import { parseConfig, type Config } from '../../daemon/config.js';
import type { SlotView } from '../../daemon/dock/slots.js';
import { createLogger } from '../../daemon/log.js';
import { startDaemon, type Daemon, type DaemonOptions } from '../../daemon/main.js';

/** One clip cache for the whole test run: templates are made with ffmpeg once. */
export const sharedClips = () => new ClipFactory({ cacheDir: join(tmpdir(), 'bwc-test-clip-cache') });

export interface TestDock {
  dir: string;
  devDir: string;
  simDir: string;
  mountRoot: string;
  config: Config;
  daemon: Daemon | null;
  clips: ClipFactory;
  recorders: RecorderHandle[];
  start(opts?: DaemonOptions): Promise<Daemon>;
  restart(opts?: DaemonOptions): Promise<Daemon>;
  recorder(serial: string, o?: Partial<StartRecorderOptions>): Promise<RecorderHandle>;
  /** Wait until the slot of `serial` satisfies `pred` (default: a final state). */
  slot(serial: string, pred?: (s: SlotView) => boolean, timeoutMs?: number): Promise<SlotView>;
  stop(): Promise<void>;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const FINAL = new Set(['ready', 'failed', 'interrupted']);

/** A dock on temp folders (real SQLite, real files, real ptys), with simulated recorders to plug in. */
export async function testDock(raw: Record<string, unknown> = {}): Promise<TestDock> {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-dock-'));
  const devDir = join(dir, 'dev');
  const simDir = join(dir, 'sim');
  const mountRoot = join(dir, 'media');
  for (const d of [devDir, simDir, mountRoot]) mkdirSync(d, { recursive: true });
  const config = parseConfig(
    {
      dataDir: join(dir, 'data'),
      dockId: 'test-dock',
      timezone: 'Asia/Shanghai',
      detect: { serialGlobs: [join(devDir, 'bwc-*')], usb: [], mountRoot, volumeTimeoutMs: 10_000 },
      clock: { assumeSynced: true },
      offload: { minFreeBytes: 0 },
      console: { port: 0 },
      ...raw,
    },
    {},
  );
  const log = createLogger({ level: process.env.BWC_TEST_LOG ?? 'silent' });
  const t: TestDock = {
    dir,
    devDir,
    simDir,
    mountRoot,
    config,
    daemon: null,
    clips: sharedClips(),
    recorders: [],
    async start(opts) {
      t.daemon = await startDaemon(config, log, opts);
      return t.daemon;
    },
    async restart(opts) {
      await t.daemon?.stop();
      return t.start(opts);
    },
    async recorder(serial, o = {}) {
      const r = await startRecorder({ serial, devDir, simDir, mountRoot, clips: t.clips, mscDelayMs: 50, ...o });
      t.recorders.push(r);
      return r;
    },
    async slot(serial, pred = (s) => FINAL.has(s.state), timeoutMs = 30_000) {
      return waitFor(`slot ${serial}`, () => t.daemon?.ctx.slots.list().find((s) => s.serial === serial && pred(s)), timeoutMs);
    },
    async stop() {
      await Promise.all(t.recorders.map((r) => r.stop().catch(() => undefined)));
      await t.daemon?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
