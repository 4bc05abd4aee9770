import { EventCode } from '../codec/constants.js';
import { deviceTimeFromEpoch, epochFromDeviceTime, formatDeviceTime, type DeviceTime } from '../codec/fields.js';
import type { RecorderState } from './state.js';
import { logEvent } from './events.js';

/** The instant the recorder's clock shows, given the host's `now` (ms since the epoch). */
export function deviceEpoch(s: RecorderState, hostNow: number): number {
  return hostNow + s.clock.offsetMs;
}

/** The recorder's local wall-clock time string for a recorder-clock instant. */
export function deviceTimeString(s: RecorderState, deviceEpochMs: number): string {
  return formatDeviceTime(deviceTimeFromEpoch(deviceEpochMs, s.clock.tz));
}

export function deviceNowString(s: RecorderState, hostNow: number): string {
  return deviceTimeString(s, deviceEpoch(s, hostNow));
}

/**
 * SET_TIME: the clock now shows `time`.`ms` in zone `tz`. Logs CLOCK_SET with the signed whole seconds
 * the clock's instant moved (rounded; a zone change alone moves it by 0), timed after the change.
 */
export function setDeviceClock(s: RecorderState, hostNow: number, time: DeviceTime, ms: number, tz: number): number {
  const target = epochFromDeviceTime(time, tz) + ms;
  const moved = target - deviceEpoch(s, hostNow);
  s.clock.offsetMs += moved;
  s.clock.tz = tz;
  const seconds = Math.round(moved / 1000);
  logEvent(s, hostNow, EventCode.CLOCK_SET, seconds >>> 0);
  return seconds;
}

/** The real-time clock lost power: it restarts at 2000-01-01 00:00:00 local; logs CLOCK_LOST. */
export function resetDeviceClock(s: RecorderState, hostNow: number): void {
  const y2k = epochFromDeviceTime({ year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, s.clock.tz);
  s.clock.offsetMs = y2k - hostNow;
  logEvent(s, hostNow, EventCode.CLOCK_LOST, 0);
}
