/**
 * Slots: 1, 8 and 20 recorders (the counts asked for) plugged in at once, the same total of footage split
 * between them, each configuration on a fresh daemon process: aggregate MB/s, each slot's share while all
 * are busy, plug → first byte, and the daemon's peak RSS.
 */
import type { ClipFactory } from '../../firmware-protocol/simulator/clips.js';
import { rmTree } from './env.js';
import { makeFootage, type Footage } from './footage.js';
import { dockOnce } from './offload.js';
import type { MemoryPhase } from './daemon-proc.js';
import { slotStats, type SlotStats } from './slot-stats.js';

export interface SlotRun extends SlotStats {
  slots: number;
  bytes: number;
  files: number;
  segmentBytes: number;
  /** The daemon's peak resident set over its whole run (start, login, docking, after). */
  daemonPeakRssBytes: number | null;
  /** The daemon's memory by phase. */
  memory: MemoryPhase[];
  cacheDropped: boolean;
}

/** Footage each recorder holds at least (a recorder at shift end holds gigabytes). */
const MIN_PER_RECORDER = 256 * 2 ** 20;

export async function benchSlots(o: { root: string; clips: ClipFactory; counts: number[]; totalBytes: number; segmentBytes: number; log: (s: string) => void }): Promise<SlotRun[]> {
  const out: SlotRun[] = [];
  for (const n of o.counts) {
    // The total split between the recorders, but never under MIN_PER_RECORDER each: at 20 slots, 2 GiB left each
    // recorder 102 MiB, about 4 s of copying, and the window in which all twenty copied shrank to 0.3 s, too short
    // to tell a share from the 4 MiB steps of the progress it is read from.
    const per = Math.max(Math.floor(o.totalBytes / n), Math.min(MIN_PER_RECORDER, o.totalBytes));
    const seg = Math.min(o.segmentBytes, per);
    o.log(`slots: making ${n} × ${(per / 2 ** 20).toFixed(0)} MiB of footage…`);
    const footage: Footage[] = [];
    try {
      for (let i = 0; i < n; i++) {
        footage.push(await makeFootage(o.root, o.clips, { serial: `S${String(n).padStart(2, '0')}${String(i + 1).padStart(4, '0')}`, userNo: String(300001 + i), totalBytes: per, segmentBytes: seg, segmentMs: 60_000, segmentsPerRecording: 3 }));
      }
      const r = await dockOnce(o.root, footage, o.clips, `slots-${n}`, { sampleMemory: true });
      const run: SlotRun = { slots: n, bytes: r.bytes, files: r.files, segmentBytes: seg, ...slotStats(r.traces), daemonPeakRssBytes: r.hwmBytes, memory: r.memory, cacheDropped: r.dropped };
      out.push(run);
      o.log(`slots: ${n}: ${run.aggregateMBps.toFixed(0)} MB/s aggregate, first byte ≤ ${run.plugToFirstByteMaxMs.toFixed(0)} ms, peak RSS ${((run.daemonPeakRssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB`);
    } finally {
      for (const f of footage) rmTree(f.dir);
    }
  }
  return out;
}
