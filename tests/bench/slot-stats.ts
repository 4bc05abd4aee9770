/**
 * What the slot board showed of recorders docked at once: the aggregate, each slot's share of the bytes copied
 * while all were busy, plug → first byte. Pure: from the traces the bench recorded (daemon-proc.ts).
 */
import type { SlotTrace } from './daemon-proc.js';
import { mbps } from './env.js';
import type { Footage } from './footage.js';

/** What one docking of several recorders at once shows, from the slot board's trace of each. */
export interface SlotStats {
  seconds: number;
  aggregateMBps: number;
  /**
   * Per slot: its own MB/s (bytes over its plug → ready), its share of the bytes copied while all slots were
   * busy (null when there was no such moment: one slot was ready before another's first byte), plug → first byte.
   */
  perSlot: Array<{ serial: string; mbps: number; sharePct: number | null; plugToFirstByteMs: number | null; plugToReadyMs: number }>;
  /** Length of the window in which every slot was copying: from the last first byte to the first end of copying. */
  allBusyMs: number;
  plugToFirstByteMaxMs: number;
  plugToFirstByteMedianMs: number;
  /** Where a slot's first seconds go: for each state of the slot board, the median over slots of plug → its first appearance. */
  stateMedianMs: Record<string, number>;
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

/**
 * When a slot's copying ended: its first progress sample at its bytesTotal, else its first state after
 * `offloading`, else its final state.
 */
function copiedAt(t: SlotTrace): number {
  if (t.bytesTotal > 0) {
    const full = t.progress.find(([, b]) => b >= t.bytesTotal);
    if (full) return full[0];
  }
  const off = t.states.findIndex(([, state]) => state === 'offloading');
  const after = off >= 0 ? t.states.slice(off + 1).find(([, state]) => state !== 'offloading') : undefined;
  return after?.[0] ?? t.finalAt!;
}

/** Aggregate, shares while all were busy and plug → first byte of recorders docked at once. */
export function slotStats(traces: Array<{ footage: Footage; trace: SlotTrace; plugAt: number }>): SlotStats {
  const start = Math.min(...traces.map((t) => t.plugAt));
  const end = Math.max(...traces.map((t) => t.trace.finalAt!));
  const bytes = traces.reduce((a, t) => a + t.footage.bytes, 0);
  const wFrom = Math.max(...traces.map((t) => t.trace.firstByteAt ?? t.trace.finalAt!));
  // A slot whose bytes are all copied is no longer busy while it signs and erases: counting those seconds as its
  // turn would give the slots that started first too small a share, and the last ones too large.
  const wTo = Math.min(...traces.map((t) => copiedAt(t.trace)));
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
    stateMedianMs: stateMedians(traces),
  };
}


function stateMedians(traces: Array<{ trace: SlotTrace; plugAt: number }>): Record<string, number> {
  const after = new Map<string, number[]>();
  for (const t of traces) {
    const seen = new Set<string>();
    for (const [at, state] of t.trace.states) {
      if (seen.has(state)) continue;
      seen.add(state);
      after.set(state, [...(after.get(state) ?? []), at - t.plugAt]);
    }
  }
  // In the order states first appear, by their median.
  const medians = [...after].map(([state, ms]) => [state, ms.sort((a, b) => a - b)[Math.floor((ms.length - 1) / 2)]!] as const);
  return Object.fromEntries(medians.sort((a, b) => a[1] - b[1]));
}
