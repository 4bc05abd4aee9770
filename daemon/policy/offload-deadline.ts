/**
 * The offload deadline (REQUIREMENTS R7; 004 §13, 002 (二)4).
 *
 * 004 §13: after each enforcement activity the footage is handed in for download and storage; only when
 * working in remote, waterborne or poorly connected areas, off-site, or on continuous duty makes timely
 * storage truly impossible, it is stored within 24 hours of returning to the unit. 002 (二)4 allows the
 * 24 hours for any lawful reason ("因法定情形"). R7 reads "after the activity" as the same day.
 * @module
 */
import { DateTime } from 'luxon';
import { assertTimeZone } from './time-format.js';

const DAY_MS = 24 * 3600_000;

/** Inputs of {@link offloadDeadline}. */
export interface OffloadDeadlineInput {
  /** End of the recording (its start + duration; corrected time where available), epoch ms. */
  recordingEndEpochMs: number;
  /** When the dock stored it, epoch ms. */
  offloadedAtEpochMs: number;
  /** The dock's IANA zone (config `timezone`): where the activity day ends. */
  timezone: string;
  /** The officer gave a remote/off-site/continuous duty reason (justification reason `remote_duty`). */
  remoteDuty?: boolean;
  /**
   * When the officer returned to the unit, if recorded. Without it the recording's end stands in for the
   * return: the earliest the officer can have returned, so the deadline is never later than the rule's.
   */
  returnedAtEpochMs?: number | null;
}

/** The answer of {@link offloadDeadline}. */
export interface OffloadDeadline {
  /** Offload time minus recording end, ms (negative only when the times disagree, e.g. a bad clock). */
  delayMs: number;
  /** Last moment the offload is on time, epoch ms (inclusive). */
  deadlineEpochMs: number;
  /** Offloaded after the deadline: flag `late_offload`. */
  late: boolean;
}

/**
 * Applies the 24-hour rule to one recording.
 * - Normally the deadline is the end of the recording's day in `timezone` (23:59:59.999 local time;
 *   days of 23 or 25 hours at DST changes are handled).
 * - With `remoteDuty`, it is 24 h after the return (`returnedAtEpochMs`, else the recording's end, see
 *   there), but never earlier than the normal deadline: the exception only ever extends the time.
 * `late` is true when `offloadedAtEpochMs` is after the deadline.
 * @throws RangeError for an unknown zone or non-finite times.
 */
export function offloadDeadline(input: OffloadDeadlineInput): OffloadDeadline {
  const { recordingEndEpochMs: end, offloadedAtEpochMs: at, timezone } = input;
  assertTimeZone(timezone);
  if (!Number.isFinite(end) || !Number.isFinite(at)) throw new RangeError('offloadDeadline: times must be finite');
  let deadline = endOfDay(end, timezone);
  if (input.remoteDuty) {
    const ret = input.returnedAtEpochMs ?? end;
    if (!Number.isFinite(ret)) throw new RangeError('offloadDeadline: returnedAtEpochMs must be finite');
    deadline = Math.max(deadline, Math.max(ret, end) + DAY_MS);
  }
  return { delayMs: at - end, deadlineEpochMs: deadline, late: at > deadline };
}

/** The last millisecond of the local day holding `epochMs` in `zone`. */
export function endOfDay(epochMs: number, zone: string): number {
  return DateTime.fromMillis(epochMs, { zone }).endOf('day').toMillis();
}

/** Inputs of {@link remoteDutyVerdict}. */
export interface RemoteDutyInput {
  /** End of the recording (corrected time where available), epoch ms; null when the recorder's clock was lost. */
  recordingEndEpochMs: number | null;
  /** When the dock stored it, epoch ms. */
  offloadedAtEpochMs: number;
  /** When the officer returned to the unit, as the justification states it, epoch ms. */
  returnedAtEpochMs: number;
  /** The dock's IANA zone (config `timezone`). */
  timezone: string;
}

/** The answer of {@link remoteDutyVerdict}. */
export interface RemoteDutyVerdict {
  /** Stored within the rule's time: a `remote_duty` justification of the late offload may be approved. */
  covered: boolean;
  /** The last moment the footage could be stored under the exception, epoch ms. */
  deadlineEpochMs: number;
  /** Hours from the return (or the recording's end, when later) to the storage, rounded down. */
  hoursAfterReturn: number;
}

/**
 * 004 §13's exception applied to a late offload: the footage must be stored within 24 h of the officer's
 * return to the unit (a return before the recording ended counts from the end; a recording without a usable
 * time counts from the return alone).
 * @throws RangeError for an unknown zone or non-finite times.
 */
export function remoteDutyVerdict(input: RemoteDutyInput): RemoteDutyVerdict {
  const { returnedAtEpochMs: ret, offloadedAtEpochMs: at } = input;
  if (!Number.isFinite(ret)) throw new RangeError('remoteDutyVerdict: returnedAtEpochMs must be finite');
  const end = input.recordingEndEpochMs ?? ret;
  const d = offloadDeadline({ recordingEndEpochMs: end, offloadedAtEpochMs: at, timezone: input.timezone, remoteDuty: true, returnedAtEpochMs: ret });
  return { covered: !d.late, deadlineEpochMs: d.deadlineEpochMs, hoursAfterReturn: Math.floor((at - Math.max(ret, end)) / 3600_000) };
}
