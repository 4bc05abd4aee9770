/**
 * Recorders at their link speed (issue 19): each recorder's volume is an exFAT image on its own loop device,
 * read through a blkio throttle at a USB 2 or USB 3 recorder's rate (see rated-recorder.ts), 8 and 20 of them
 * docked at once. In the same run and from the same throttled volumes: one `cp` per recorder in parallel, then
 * `sync` (what the disk and the links allow together), and a lone `cat` of one recorder (what one link
 * delivers). The dock's aggregate is judged against the smaller of the sum of the rates and cp+sync.
 *
 * Per run: fresh images filled from the pristine footage (unthrottled), the throttle set, the lone cat, the
 * cp+sync baseline, then the dock (a fresh daemon process, page cache dropped), which erases what it stored,
 * hence fresh images for the next run. Loop devices, mounts and the blkio group are removed in every case,
 * on SIGINT/SIGTERM too.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClipFactory } from '../../firmware-protocol/simulator/clips.js';
import { BlkioGroup } from './blkio.js';
import { dropCaches, mbps, now, rmTree } from './env.js';
import { makeFootage, pristinePaths, type Footage } from './footage.js';
import { LoopVolume } from './loop-volume.js';
import { dockOnce } from './offload.js';
import { labelOf, stageRatedRecorder, type RatedRecorder } from './rated-recorder.js';
import { slotStats, type SlotStats } from './slot-stats.js';

const run = promisify(execFile);

export interface Link {
  name: string;
  /** Read rate of each recorder's volume, bytes/s. */
  bytesPerSecond: number;
}

/**
 * Real recorders deliver 30–40 MB/s over USB 2 and 100–400 MB/s over USB 3 (issue 19). 150 MB/s each is far
 * more than this disk takes from 8 or 20 recorders at once, so there cp+sync is the bound the dock is judged
 * against, which is the point: the dock must not be what slows them.
 */
export const LINKS: Link[] = [
  { name: 'USB 2', bytesPerSecond: 35e6 },
  { name: 'USB 3', bytesPerSecond: 150e6 },
];

/** Files of a rated recorder: several per recorder, as a shift's segments are. */
const SEGMENT_BYTES = 64 * 2 ** 20;

export interface RatedRun extends SlotStats {
  link: string;
  /** Each recorder's rate, MB/s. */
  rateMBps: number;
  recorders: number;
  bytes: number;
  files: number;
  sumOfRatesMBps: number;
  /** One recorder alone, `cat` of its first files (≥ 2 s at its rate) to /dev/null, page cache dropped. */
  loneCat: { bytes: number; MBps: number };
  /** One `cp` per recorder in parallel from the throttled volumes to the temp file system, then `sync`. */
  cpSync: { seconds: number; MBps: number };
  /** min(sum of rates, cp+sync). */
  boundMBps: number;
  /**
   * The dock: all bytes over first volume shown → last slot asking its recorder to leave mass storage (every
   * file copied, hashed, fsynced, signed and erased; what follows is the simulator taking the volume away). The span a
   * cp+sync is timed over: from readable volumes to durable copies.
   */
  dockMBps: number;
  dockOverBound: number;
  /** Plug → the recorder's volume shown (the simulator's ENTER_MSC delay and a bind mount: no part of the dock), worst recorder. */
  plugToVolumeMaxMs: number;
  /** Bytes the throttle saw read from the recorders' loop devices during the dock's run (≥ bytes: every read went through it). */
  dockThrottledBytes: number;
  daemonPeakRssBytes: number | null;
  cacheDropped: boolean;
}

export interface RatedResult {
  bytesPerRecorder: number;
  segmentBytes: number;
  runs: RatedRun[];
}

/**
 * Run `cleanup` after `body`, however it ends; on SIGINT/SIGTERM meanwhile run `abandon` (the cleanup and
 * the run's temp folder) and exit 130, so no loop device, mount or cgroup of the bench outlives it.
 */
async function cleanedOnSignal<T>(cleanup: () => void, abandon: () => void, body: () => Promise<T>): Promise<T> {
  const onSignal = () => {
    try {
      abandon();
    } finally {
      process.exit(130);
    }
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}

/** ms to `cat` `files` to /dev/null. */
function catMs(files: string[]): Promise<number> {
  const t0 = now();
  return new Promise((resolve, reject) => {
    const p = spawn('cat', ['--', ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(now() - t0) : reject(new Error(`bench: cat failed (${code}): ${err}`))));
  });
}

export async function benchRated(o: { root: string; clips: ClipFactory; counts: number[]; links?: Link[]; bytesPerRecorder: number; log: (s: string) => void }): Promise<RatedResult | null> {
  if (!BlkioGroup.available()) {
    o.log('rated: skipped: no cgroup v1 blkio throttle here (or not root)');
    return null;
  }
  const links = o.links ?? LINKS;
  const most = Math.max(...o.counts);
  const seg = Math.min(SEGMENT_BYTES, o.bytesPerRecorder);
  const footage: Footage[] = [];
  const volumes = new Set<LoopVolume>();
  let group: BlkioGroup | null = null;
  const cleanup = () => {
    for (const v of volumes) v.destroy();
    volumes.clear();
    group?.destroy();
    group = null;
  };
  const abandon = () => {
    cleanup();
    rmTree(o.root);
  };
  return cleanedOnSignal(cleanup, abandon, async () => {
    o.log(`rated: making ${most} × ${(o.bytesPerRecorder / 2 ** 20).toFixed(0)} MiB of footage…`);
    for (let i = 0; i < most; i++) {
      footage.push(await makeFootage(o.root, o.clips, { serial: `R${String(i + 1).padStart(6, '0')}`, userNo: String(400001 + i), totalBytes: o.bytesPerRecorder, segmentBytes: seg, segmentMs: 60_000, segmentsPerRecording: 3 }));
    }
    group = BlkioGroup.create('rated');
    const runs: RatedRun[] = [];
    try {
      for (const link of links) {
        for (const n of o.counts) runs.push(await ratedRun({ ...o, link, footage: footage.slice(0, n), group, volumes }));
      }
    } finally {
      for (const f of footage) rmTree(f.dir);
    }
    return { bytesPerRecorder: o.bytesPerRecorder, segmentBytes: seg, runs };
  });
}

async function ratedRun(o: { root: string; clips: ClipFactory; link: Link; footage: Footage[]; group: BlkioGroup; volumes: Set<LoopVolume>; log: (s: string) => void }): Promise<RatedRun> {
  const n = o.footage.length;
  const tag = `rated-${o.link.name.replace(/\W/g, '').toLowerCase()}-${n}`;
  const dir = join(o.root, tag);
  const stage = join(dir, 'stage');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const bytes = o.footage.reduce((a, f) => a + f.bytes, 0);
  const mine: LoopVolume[] = [];
  try {
    o.log(`rated: ${o.link.name} × ${n}: filling ${n} exFAT loop volumes…`);
    for (const f of o.footage) {
      const v = LoopVolume.create(join(dir, 'images'), labelOf(f), f.bytes);
      o.volumes.add(v);
      mine.push(v);
    }
    // Filled before the throttle is set, through the FUSE processes of mounts outside the group.
    await Promise.all(
      mine.map(async (v, i) => {
        await v.mount(join(stage, v.label));
        await run('cp', ['-r', '--', `${o.footage[i]!.dir}/.`, v.mountPoint!]);
        await v.unmount();
      }),
    );
    for (const v of mine) o.group.limitReads(v.device, o.link.bytesPerSecond);
    for (const v of mine) await v.mount(join(stage, v.label), o.group);

    // What one link delivers alone.
    const first = pristinePaths(o.footage[0]!).map((p) => p.replace(o.footage[0]!.dir, mine[0]!.mountPoint!));
    const catFiles: string[] = [];
    let catBytes = 0;
    for (const [i, p] of first.entries()) {
      catFiles.push(p);
      catBytes += Number(o.footage[0]!.files[i]!.size);
      if (catBytes >= 2 * o.link.bytesPerSecond) break;
    }
    dropCaches();
    const loneCat = { bytes: catBytes, MBps: mbps(catBytes, await catMs(catFiles)) };

    // cp+sync: one cp per recorder at once, from the same throttled volumes.
    const dest = join(dir, 'cp');
    for (const f of o.footage) mkdirSync(join(dest, f.serial), { recursive: true });
    const cacheDroppedCp = dropCaches();
    const t0 = now();
    await Promise.all(o.footage.map((f, i) => run('cp', ['--', ...pristinePaths(f).map((p) => p.replace(f.dir, mine[i]!.mountPoint!)), join(dest, f.serial)])));
    await run('sync');
    const cpMs = now() - t0;
    rmTree(dest);
    const cpSync = { seconds: cpMs / 1000, MBps: mbps(bytes, cpMs) };
    o.log(`rated: ${o.link.name} × ${n}: lone cat ${loneCat.MBps.toFixed(1)} MB/s (set ${(o.link.bytesPerSecond / 1e6).toFixed(0)}), cp+sync ${cpSync.MBps.toFixed(0)} MB/s`);

    // The dock, on the very same volumes.
    const recorders: RatedRecorder[] = [];
    const readBefore = mine.reduce((a, v) => a + o.group.bytesRead(v.device), 0);
    const wall0 = now();
    const r = await dockOnce(o.root, o.footage, o.clips, tag, {
      sampleMemory: true,
      stage: async (f, bay) => {
        const rec = stageRatedRecorder(f, bay, mine[o.footage.indexOf(f)]!);
        recorders.push(rec);
        return rec;
      },
    });
    const dockThrottledBytes = mine.reduce((a, v) => a + o.group.bytesRead(v.device), 0) - readBefore;
    const stats = slotStats(r.traces);
    const firstMount = Math.min(...recorders.map((x) => x.volumeMountedAt ?? Infinity));
    const plugToVolumeMaxMs = Math.max(...r.traces.map((t) => (recorders.find((x) => x.serial === t.footage.serial)?.volumeMountedAt ?? Infinity) - t.plugAt));
    const lastDone = Math.max(...r.traces.map((t) => t.trace.states.find(([, st]) => st === 'exiting_msc')?.[0] ?? t.trace.finalAt!));
    const sumOfRatesMBps = (n * o.link.bytesPerSecond) / 1e6;
    const boundMBps = Math.min(sumOfRatesMBps, cpSync.MBps);
    const dockMBps = mbps(bytes, lastDone - firstMount);
    o.log(`rated: ${o.link.name} × ${n}: dock ${dockMBps.toFixed(0)} MB/s (${((100 * dockMBps) / boundMBps).toFixed(0)}% of ${boundMBps.toFixed(0)}), first byte ≤ ${stats.plugToFirstByteMaxMs.toFixed(0)} ms; daemon start to stop ${((now() - wall0) / 1000).toFixed(0)} s`);
    return {
      link: o.link.name,
      rateMBps: o.link.bytesPerSecond / 1e6,
      recorders: n,
      bytes,
      files: r.files,
      ...stats,
      sumOfRatesMBps,
      loneCat,
      cpSync,
      boundMBps,
      dockMBps,
      dockOverBound: dockMBps / boundMBps,
      plugToVolumeMaxMs,
      dockThrottledBytes,
      daemonPeakRssBytes: r.hwmBytes,
      cacheDropped: cacheDroppedCp && r.dropped,
    };
  } finally {
    for (const v of mine) {
      try {
        o.group.limitReads(v.device, 0);
      } catch {
        /* the device is gone */
      }
      v.destroy();
      o.volumes.delete(v);
    }
    rmTree(dir);
  }
}
