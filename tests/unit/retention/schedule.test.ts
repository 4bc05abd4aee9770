import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../daemon/log.js';
import { RetentionScheduler, nextSweepAt, type Timers } from '../../../daemon/retention/schedule.js';
import { at } from './fixture.js';

describe('nextSweepAt', () => {
  it('is the next sweepHour:00 in the dock zone, strictly after now', () => {
    expect(nextSweepAt(at('2026-03-02T02:59:59+08:00'), 3, 'Asia/Shanghai')).toBe(at('2026-03-02T03:00:00+08:00'));
    expect(nextSweepAt(at('2026-03-02T03:00:00+08:00'), 3, 'Asia/Shanghai')).toBe(at('2026-03-03T03:00:00+08:00'));
    expect(nextSweepAt(at('2026-12-31T23:00:00+08:00'), 3, 'Asia/Shanghai')).toBe(at('2027-01-01T03:00:00+08:00'));
  });
  it('follows the zone across a DST change (02:30 does not exist on 8 March 2026 in New York)', () => {
    expect(nextSweepAt(at('2026-03-08T01:00:00-05:00'), 2, 'America/New_York')).toBe(at('2026-03-08T03:00:00-04:00'));
  });
});

function fakeTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const timers: Timers = {
    set: (fn, ms) => (pending.set(next, { fn, ms }), next++),
    clear: (h) => void pending.delete(h as number),
  };
  const fire = (pred: (ms: number) => boolean) => {
    for (const [h, t] of [...pending]) if (pred(t.ms)) (pending.delete(h), t.fn());
  };
  return { timers, pending, fire };
}

describe('RetentionScheduler', () => {
  it('sweeps at start, at the daily hour, and once shortly after dockings end; stops cleanly', async () => {
    const clock = { t: at('2026-03-02T10:00:00+08:00') };
    const runs: string[] = [];
    const slots = new EventEmitter();
    const ft = fakeTimers();
    const s = new RetentionScheduler({ sweep: async () => void runs.push('sweep'), now: () => clock.t, sweepHour: 3, timezone: 'Asia/Shanghai', log: createLogger({ level: 'silent' }), slots, timers: ft.timers, debounceMs: 2000 });
    s.start();
    expect(runs).toEqual(['sweep']);
    expect([...ft.pending.values()].map((p) => p.ms)).toEqual([17 * 3_600_000]);
    slots.emit('change', { state: 'copying' });
    slots.emit('change', { state: 'ready' });
    slots.emit('change', { state: 'ready' });
    expect(ft.pending.size).toBe(2);
    ft.fire((ms) => ms === 2000);
    expect(runs).toHaveLength(2);
    clock.t = at('2026-03-03T03:00:00+08:00');
    ft.fire((ms) => ms === 17 * 3_600_000);
    expect(runs).toHaveLength(3);
    expect([...ft.pending.values()].map((p) => p.ms)).toEqual([24 * 3_600_000]);
    await s.stop();
    expect(ft.pending.size).toBe(0);
    expect(slots.listenerCount('change')).toBe(0);
    slots.emit('change', { state: 'ready' });
    expect(ft.pending.size).toBe(0);
  });
});
