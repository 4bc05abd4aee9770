import { describe, expect, it } from 'vitest';
import { EventCode } from '../../../../firmware-protocol/codec/constants.js';
import { deviceNowString, resetDeviceClock, setDeviceClock } from '../../../../firmware-protocol/simulator/clock.js';
import { createRecorderState } from '../../../../firmware-protocol/simulator/state.js';

const HOST = Date.UTC(2024, 5, 1, 4, 0, 0); // 12:00 at UTC+8

describe('simulated recorder clock', () => {
  it('shows the host clock plus its offset in its zone', () => {
    const s = createRecorderState({ serial: 'A000001', tz: 480, clockOffsetMs: 90_000 });
    expect(deviceNowString(s, HOST)).toBe('20240601120130');
  });

  it('SET_TIME moves the offset and logs CLOCK_SET with signed seconds, timed after the change', () => {
    const s = createRecorderState({ serial: 'A000001', tz: 480, clockOffsetMs: 125_000 });
    const moved = setDeviceClock(s, HOST, { year: 2024, month: 6, day: 1, hour: 12, minute: 0, second: 0 }, 0, 480);
    expect(moved).toBe(-125);
    expect(s.clock.offsetMs).toBe(0);
    expect(s.events).toEqual([{ index: 0, time: '20240601120000', code: EventCode.CLOCK_SET, arg: -125 >>> 0 }]);
  });

  it('a zone change alone does not move the instant', () => {
    const s = createRecorderState({ serial: 'A000001', tz: 480 });
    expect(setDeviceClock(s, HOST, { year: 2024, month: 6, day: 1, hour: 4, minute: 0, second: 0 }, 0, 0)).toBe(0);
    expect(s.clock.tz).toBe(0);
  });

  it('a reset restarts at 2000-01-01 00:00:00 local and logs CLOCK_LOST', () => {
    const s = createRecorderState({ serial: 'A000001', tz: 480 });
    resetDeviceClock(s, HOST);
    expect(deviceNowString(s, HOST)).toBe('20000101000000');
    expect(deviceNowString(s, HOST + 61_000)).toBe('20000101000101');
    expect(s.events[0]).toMatchObject({ code: EventCode.CLOCK_LOST, time: '20000101000000' });
  });
});
