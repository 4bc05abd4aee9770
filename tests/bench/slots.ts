/**
 * Slots: 1, 2, 4 and 8 recorders plugged in at once, the same total of footage split between them,
 * each configuration on a fresh daemon process: aggregate MB/s, each slot's share, plug → first byte,
 * and the daemon's peak RSS.
 */
import type { ClipFactory } from '../../firmware-protocol/simulator/clips.js';
import { mbps, rmTree } from './env.js';
import { makeFootage, type Footage } from './footage.js';
import { dockOnce } from './offload.js';
import type { MemoryPhase, SlotTrace } from './daemon-proc.js';

export interface SlotRun {
  slots: number;
  bytes: number;
  files: number;
  segmentBytes: number;
  seconds: number;
  aggregateMBps: number;
  /** Per slot: its own MB/s (bytes over its plug → ready) and its share of the bytes copied while all slots were busy. */
  perSlot: Array<{ serial: string; mbps: number; sharePct: number; plugToFirstByteMs: number | null; plugToReadyMs: number }>;
  plugToFirstByteMaxMs: number;
  plugToFirstByteMedianMs: number;
  /** The daemon's peak resident set over its whole run (start, login, docking, after). */
  daemonPeakRssBytes: number | null;
  /** The daemon's memory by phase. */
  memory: MemoryPhase[];
  cacheDropped: boolean;
}

/** bytesDone of a slot at time `t` (last progress sample at or before it). */
function bytesAt(t: SlotTrace, at: number): number {
  let b = 0;
  for (const [ts, bytes] of t.progress) {
    if (ts > at) break;
    b = bytes;
  }
  return b;
}

export async function benchSlots(o: { root: string; clips: ClipFactory; counts: number[]; totalBytes: number; segmentBytes: number; log: (s: string) => void }): Promise<SlotRun[]> {
  const out: SlotRun[] = [];
  for (const n of o.counts) {
    const per = Math.floor(o.totalBytes / n);
    const seg = Math.min(o.segmentBytes, per);
    o.log(`slots: making ${n} × ${(per / 2 ** 20).toFixed(0)} MiB of footage…`);
    const footage: Footage[] = [];
    try {
      for (let i = 0; i < n; i++) {
        footage.push(await makeFootage(o.root, o.clips, { serial: `S${n}${String(i + 1).padStart(5, '0')}`, userNo: String(300001 + i), totalBytes: per, segmentBytes: seg, segmentMs: 60_000, segmentsPerRecording: 3 }));
      }
      const r = await dockOnce(o.root, footage, o.clips, `slots-${n}`, { sampleMemory: true });
      const start = Math.min(...r.traces.map((t) => t.plugAt));
      const end = Math.max(...r.traces.map((t) => t.trace.finalAt!));
      // The window in which every slot was copying: from the last first byte to the first ready.
      const wFrom = Math.max(...r.traces.map((t) => t.trace.firstByteAt ?? t.trace.finalAt!));
      const wTo = Math.min(...r.traces.map((t) => t.trace.finalAt!));
      const inWindow = r.traces.map((t) => (wTo > wFrom ? bytesAt(t.trace, wTo) - bytesAt(t.trace, wFrom) : 0));
      const windowTotal = inWindow.reduce((a, b) => a + b, 0);
      const firstBytes = r.traces.map((t) => (t.trace.firstByteAt === null ? Infinity : t.trace.firstByteAt - t.plugAt)).sort((a, b) => a - b);
      const run: SlotRun = {
        slots: n,
        bytes: r.bytes,
        files: r.files,
        segmentBytes: seg,
        seconds: (end - start) / 1000,
        aggregateMBps: mbps(r.bytes, end - start),
        perSlot: r.traces.map((t, i) => ({
          serial: t.footage.serial,
          mbps: mbps(t.footage.bytes, t.trace.finalAt! - t.plugAt),
          sharePct: windowTotal > 0 ? (100 * inWindow[i]!) / windowTotal : 100 / n,
          plugToFirstByteMs: t.trace.firstByteAt === null ? null : t.trace.firstByteAt - t.plugAt,
          plugToReadyMs: t.trace.finalAt! - t.plugAt,
        })),
        plugToFirstByteMaxMs: firstBytes[firstBytes.length - 1]!,
        plugToFirstByteMedianMs: firstBytes[Math.floor((firstBytes.length - 1) / 2)]!,
        daemonPeakRssBytes: r.hwmBytes,
        memory: r.memory,
        cacheDropped: r.dropped,
      };
      out.push(run);
      o.log(`slots: ${n}: ${run.aggregateMBps.toFixed(0)} MB/s aggregate, first byte ≤ ${run.plugToFirstByteMaxMs.toFixed(0)} ms, peak RSS ${((run.daemonPeakRssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB`);
    } finally {
      for (const f of footage) rmTree(f.dir);
    }
  }
  return out;
}
