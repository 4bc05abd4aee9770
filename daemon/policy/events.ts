/**
 * The recorder event shape the policy functions take: an EVENT entry with its time already
 * converted to epoch ms on the recorder's own clock.
 * @module
 */
import type { EventCode } from '../../firmware-protocol/codec/constants.js';
import { epochFromDeviceTime } from '../../firmware-protocol/codec/fields.js';
import type { EventEntry } from '../../firmware-protocol/codec/payloads.js';

/** One recorder event, as the policy layer sees it. */
export interface RecorderEvent {
  /** The event's index (grows by one for the recorder's life; orders events even across clock changes). */
  index: number;
  /** The event code (`EventCode`); unknown codes are carried and ignored. */
  code: EventCode | number;
  /**
   * The argument as on the wire (unsigned 32 bit). Signed readings (CLOCK_SET) are taken as `arg | 0`
   * by the policy functions, so passing the already signed value works too.
   */
  arg: number;
  /** The event time on the recorder's clock (uncorrected) as epoch ms, or null when its time string was invalid. */
  epochMs: number | null;
}

/**
 * Converts a decoded EVENT entry, reading its local time with the recorder's `tz` (minutes east of UTC)
 * as GET_TIME reported it at docking.
 */
export function toRecorderEvent(e: EventEntry, tzMinutes: number): RecorderEvent {
  return { index: e.index, code: e.code, arg: e.arg, epochMs: e.time ? epochFromDeviceTime(e.time, tzMinutes) : null };
}

/** CLOCK_SET's argument: signed seconds the clock moved. */
export const signedArg = (e: RecorderEvent): number => e.arg | 0;

/** The events sorted by index (a copy). */
export const byIndex = (events: readonly RecorderEvent[]): RecorderEvent[] => [...events].sort((a, b) => a.index - b.index);
