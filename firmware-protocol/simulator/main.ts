import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClipFactory } from './clips.js';
import type { SimLogger } from './device.js';
import { startRecorder, type RecorderHandle, type StartRecorderOptions } from './recorder.js';

export interface SimulatorOptions {
  /** Folder of the dock's pty links (the folder of the first `detect.serialGlobs` pattern). */
  devDir: string;
  /** Link name prefix, e.g. "usb-" for `/dev/serial/by-id/usb-*` (see `devLocationFromGlob`). Default "bwc-". */
  devPrefix?: string;
  /** `detect.mountRoot`. */
  mountRoot: string;
  /** How many recorders: serials A000001, A000002, … Default 1. */
  count?: number;
  /** Serial of the first recorder is `A` + this number, 6 digits. Default 1. */
  firstNumber?: number;
  /** The simulator's own folder (pty ends, storage). Default: a new temp folder, removed by stop(). */
  simDir?: string;
  /** Template cache of the clip maker. Default `<os.tmpdir()>/bwc-sim-clip-cache` (kept between runs). */
  cacheDir?: string;
  /** Recordings made on each recorder at start. Default 3 (of 3 s, the second one in 2 segments, plus a photo). */
  recordingsPerRecorder?: number;
  /** Admin password of every recorder (default "000000") or per serial. */
  adminPassword?: string | Record<string, string>;
  mscDelayMs?: number;
  log?: SimLogger;
}

export interface Simulator {
  readonly recorders: RecorderHandle[];
  readonly simDir: string;
  /** Unplug every recorder and remove what the simulator made (its temp folder when it made one). */
  stop(): Promise<void>;
}

const OFFICERS = ['张三', '李四', '王五', '赵六', '陈七', '刘八', '杨九', '黄十'];

/** Start `count` simulated recorders with distinct officers and a few real clips each; they run until stop(). */
export async function runSimulator(o: SimulatorOptions): Promise<Simulator> {
  const ownDir = o.simDir === undefined;
  const simDir = o.simDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bwc-sim-'));
  const clips = new ClipFactory({ cacheDir: o.cacheDir ?? path.join(os.tmpdir(), 'bwc-sim-clip-cache') });
  const recorders: RecorderHandle[] = [];
  const stop = async () => {
    await Promise.all(recorders.map((r) => r.stop({ removeStorage: ownDir })));
    if (ownDir) fs.rmSync(simDir, { recursive: true, force: true });
  };
  try {
    const count = o.count ?? 1;
    for (let i = 0; i < count; i++) {
      const n = (o.firstNumber ?? 1) + i;
      const serial = `A${String(n).padStart(6, '0')}`;
      const opts: StartRecorderOptions = {
        serial,
        devDir: o.devDir,
        devPrefix: o.devPrefix,
        simDir,
        mountRoot: o.mountRoot,
        clips,
        mscDelayMs: o.mscDelayMs,
        log: o.log,
        adminPassword: typeof o.adminPassword === 'string' ? o.adminPassword : o.adminPassword?.[serial],
        info: { userNo: String(100000 + n).slice(-6), userName: OFFICERS[i % OFFICERS.length]!, unitNo: '410900000000', unitName: '濮阳市生态环境局' },
      };
      const r = await startRecorder(opts);
      recorders.push(r);
      const k = o.recordingsPerRecorder ?? 3;
      for (let j = 0; j < k; j++) {
        await r.addRecording({ durationMs: 3000, segmentMs: j === 1 ? 2000 : 600_000, startAt: Date.now() - (k - j) * 600_000 });
      }
      if (k > 0) await r.addPhoto();
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { recorders, simDir, stop };
}

/**
 * Where a glob like `/dev/serial/by-id/usb-*` wants its links: the folder, and the literal start of the
 * name ("usb-"); a glob whose name starts with a wildcard gets "bwc-".
 */
export function devLocationFromGlob(glob: string): { devDir: string; devPrefix: string } {
  const base = path.basename(glob);
  const literal = base.slice(0, base.search(/[*?[{]|$/));
  return { devDir: path.dirname(glob), devPrefix: literal === '' ? 'bwc-' : literal };
}
