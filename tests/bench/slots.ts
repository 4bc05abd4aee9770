/**
 * Slots: 1, 8 and 20 recorders (the counts asked for) plugged in at once, the same total of footage split
 * between them, each configuration on a fresh daemon process: aggregate MB/s, each slot's share while all
 * are busy, plug → first byte, and the daemon's peak RSS.
 */
import type { ClipFactory } from '../../firmware-protocol/simulator/clips.js';
import { mbps, rmTree } from './env.js';
import { makeFootage, type Footage } from './footage.js';
import { dockOnce } from './offload.js';
import type { MemoryPhase, SlotTrace } from './daemon-proc.js';

/** What one docking of several recorders at once shows, from the slot board's trace of each. */
export interface SlotStats {
  seconds: number;
  aggregateMBps: number;
  /**
   * Per slot: its own MB/s (bytes over its plug → ready), its share of the bytes copied while all slots were
   * busy (null when there was no such moment: one slot was ready before another's first byte), plug → first byte.
   */
  perSlot: Array<{ serial: string; mbps: number; sharePct: number | null; plugToFirstByteMs: number | null; plugToReadyMs: number }>;
  /** Length of the window in which every slot was copying: from the last first byte to the first ready. */
  allBusyMs: number;
  plugToFirstByteMaxMs: number;
  plugToFirstByteMedianMs: number;
}

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

/** bytesDone of a slot at time `t` (last progress sample at or before it). */
function bytesAt(t: SlotTrace, at: number): number {
  let b = 0;
  for (const [ts, bytes] of t.progress) {
    if (ts > at) break;
    b = bytes;
  }
  return b;
}

/** Aggregate, shares while all were busy and plug → first byte of recorders docked at once. */
export function slotStats(traces: Array<{ footage: Footage; trace: SlotTrace; plugAt: number }>): SlotStats {
  const start = Math.min(...traces.map((t) => t.plugAt));
  const end = Math.max(...traces.map((t) => t.trace.finalAt!));
  const bytes = traces.reduce((a, t) => a + t.footage.bytes, 0);
  const wFrom = Math.max(...traces.map((t) => t.trace.firstByteAt ?? t.trace.finalAt!));
  const wTo = Math.min(...traces.map((t) => t.trace.finalAt!));
  const inWindow = traces.map((t) => (wTo > wFrom ? bytesAt(t.trace, wTo) - bytesAt(t.trace, wFrom) : 0));
  const windowTotal = inWindow.reduce((a, b) => a + b, 0);
  const firstBytes = traces.map((t) => (t.trace.firstByteAt === null ? Infinity : t.trace.firstByteAt - t.plugAt)).sort((a, b) => a - b);
  return {
    seconds: (end - start) / 1000,
    aggregateMBps: mbps(bytes, end - start),
    perSlot: traces.map((t, i) => ({
      serial: t.footage.serial,
      mbps: mbps(t.footage.bytes, t.trace.finalAt! - t.plugAt),
      sharePct: windowTotal > 0 ? (100 * inWindow[i]!) / windowTotal : null,
      plugToFirstByteMs: t.trace.firstByteAt === null ? null : t.trace.firstByteAt - t.plugAt,
      plugToReadyMs: t.trace.finalAt! - t.plugAt,
    })),
    allBusyMs: Math.max(0, wTo - wFrom),
    plugToFirstByteMaxMs: firstBytes[firstBytes.length - 1]!,
    plugToFirstByteMedianMs: firstBytes[Math.floor((firstBytes.length - 1) / 2)]!,
  };
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
