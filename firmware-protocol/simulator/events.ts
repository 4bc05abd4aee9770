import type { EventCode } from '../codec/constants.js';
import type { RecorderState, SimEvent } from './state.js';
import { deviceNowString, deviceTimeString } from './clock.js';

/** Append an event stamped with the recorder's clock now. */
export function logEvent(s: RecorderState, hostNow: number, code: EventCode, arg = 0): SimEvent {
  return appendEvent(s, deviceNowString(s, hostNow), code, arg);
}

/** Append an event stamped with a given recorder-clock instant (e.g. a recording's start). */
export function logEventAt(s: RecorderState, deviceEpochMs: number, code: EventCode, arg = 0): SimEvent {
  return appendEvent(s, deviceTimeString(s, deviceEpochMs), code, arg);
}

function appendEvent(s: RecorderState, time: string, code: EventCode, arg: number): SimEvent {
  const e: SimEvent = { index: s.nextEventIndex, time, code, arg: arg >>> 0 };
  s.events.push(e);
  s.nextEventIndex++;
  return e;
}

/** GET_EVENTS: up to `max` events from life-long index `start`. */
export function eventPage(s: RecorderState, start: number, max: number): SimEvent[] {
  const first = s.events[0]?.index ?? s.nextEventIndex;
  const from = Math.max(0, start - first);
  return s.events.slice(from, from + max);
}
