import { describe, expect, it } from 'vitest';
import type { SlotTrace } from '../../../tests/bench/daemon-proc.js';
import type { Footage } from '../../../tests/bench/footage.js';
import { slotStats } from '../../../tests/bench/slot-stats.js';

/**
 * The bench's judge of fair sharing (issue 19's "every share within ±20 % of equal while all are busy") reads
 * the slot board's traces; these are traces as the bench records them, times in ms of the bench clock.
 */
const MB = 1e6;

function footage(serial: string, bytes: number): Footage {
  return { serial, userNo: '300001', dir: `/nowhere/${serial}`, files: [], events: [], nextEventIndex: 0, nextSeq: 1, bytes };
}

/** A slot plugged at `plugAt` whose bytesDone passed through `progress` and that was ready at `finalAt`. */
function slot(serial: string, bytes: number, plugAt: number, progress: Array<[number, number]>, finalAt: number) {
  const firstByteAt = progress.find(([, b]) => b > 0)?.[0] ?? null;
  const trace: SlotTrace = { port: `/dev/bwc-${serial}`, serial, firstSeenAt: plugAt, firstByteAt, finalAt, state: 'ready', error: null, states: [[finalAt, 'ready']], progress, bytesTotal: bytes };
  return { footage: footage(serial, bytes), trace, plugAt };
}

describe('slotStats', () => {
  it('shares are the bytes each slot copied between the last first byte and the first end of copying', () => {
    const a = slot('S020001', 300 * MB, 0, [[0, 0], [100, 10 * MB], [1100, 110 * MB], [2100, 210 * MB], [3100, 300 * MB]], 3200);
    // b starts at 1100 and copies a third of what a copies per second until a is ready
    const b = slot('S020002', 100 * MB, 50, [[0, 0], [1100, 1 * MB], [2100, 34 * MB], [3100, 67 * MB], [4100, 100 * MB]], 4200);
    const s = slotStats([a, b]);
    // a has copied all its bytes at 3100 (then signs until 3200)
    expect(s.allBusyMs).toBe(3100 - 1100);
    // in [1100, 3100]: a 110 → 300 MB (190), b 1 → 67 MB (66)
    expect(s.perSlot[0]!.sharePct).toBeCloseTo((100 * 190) / 256, 6);
    expect(s.perSlot[1]!.sharePct).toBeCloseTo((100 * 66) / 256, 6);
    expect(s.plugToFirstByteMaxMs).toBe(1050);
    expect(s.plugToFirstByteMedianMs).toBe(100);
    expect(s.seconds).toBeCloseTo(4.2, 6);
    expect(s.aggregateMBps).toBeCloseTo(400 / 4.2, 6);
  });

  it('a slot that has copied everything and signs is not busy: its signing is not counted as its turn', () => {
    // Equal rates (10 MB per 100 ms) while both copy; a is done copying at 1000 but signs and erases until 3000.
    const a = slot('S020001', 100 * MB, 0, [[0, 0], [100, 10 * MB], [500, 50 * MB], [1000, 100 * MB]], 3000);
    const b = slot('S020002', 200 * MB, 0, [[0, 0], [500, 10 * MB], [1000, 60 * MB], [1500, 110 * MB], [2500, 200 * MB]], 2600);
    const s = slotStats([a, b]);
    expect(s.allBusyMs).toBe(1000 - 500);
    expect(s.perSlot.map((p) => p.sharePct)).toEqual([50, 50]);
    // A trace without bytesTotal ends its copying at its first state after offloading.
    a.trace.bytesTotal = 0;
    a.trace.states = [[50, 'offloading'], [1000, 'signing'], [3000, 'ready']];
    expect(slotStats([a, b]).allBusyMs).toBe(1000 - 500);
  });

  it('no share at all when one slot was ready before another had its first byte', () => {
    // Whole-file turns: b waits until a is done.
    const a = slot('S020001', 100 * MB, 0, [[0, 0], [200, 50 * MB], [400, 100 * MB]], 500);
    const b = slot('S020002', 100 * MB, 0, [[0, 0], [600, 50 * MB], [800, 100 * MB]], 900);
    const s = slotStats([a, b]);
    expect(s.allBusyMs).toBe(0);
    expect(s.perSlot.map((p) => p.sharePct)).toEqual([null, null]);
    expect(s.plugToFirstByteMaxMs).toBe(600);
  });

  it('says when each state first appeared after the plug, as the median over slots', () => {
    const a = slot('S020001', 1 * MB, 0, [[0, 0], [400, 1 * MB]], 500);
    const b = slot('S020002', 1 * MB, 100, [[0, 0], [700, 1 * MB]], 900);
    const c = slot('S020003', 1 * MB, 0, [[0, 0], [900, 1 * MB]], 1000);
    a.trace.states = [[50, 'logging_in'], [300, 'offloading'], [500, 'ready']];
    b.trace.states = [[250, 'logging_in'], [600, 'offloading'], [650, 'logging_in'], [900, 'ready']];
    c.trace.states = [[100, 'logging_in'], [800, 'offloading'], [1000, 'ready']];
    // logging_in 50, 150, 100; offloading 300, 500, 800; ready 500, 800, 1000 (b's second logging_in is not its first)
    expect(slotStats([a, b, c]).stateMedianMs).toEqual({ logging_in: 100, offloading: 500, ready: 800 });
  });

  it('a slot that never got a byte is the worst first byte, not left out', () => {
    const a = slot('S020001', 100 * MB, 0, [[0, 0], [200, 100 * MB]], 300);
    const b = slot('S020002', 100 * MB, 0, [[0, 0]], 300);
    const s = slotStats([a, b]);
    expect(s.plugToFirstByteMaxMs).toBe(Infinity);
    expect(s.perSlot[1]!.plugToFirstByteMs).toBeNull();
  });
});
