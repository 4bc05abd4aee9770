/**
 * Recorder clock policy (REQUIREMENTS R5, 004 §7, CONTRACT "Time"): drift measurement at docking,
 * plausibility of recorder times, drift thresholds, and the drift model that corrects each recording's
 * recorded time into the dock's reference time.
 *
 * Conventions: all times are epoch ms. "Device time" is what the recorder's clock showed (its local time
 * read with its `tz`), "dock time" is the dock's reference clock. `driftMs = device − dock`: positive
 * means the recorder runs ahead, and `corrected = recorded − drift`.
 *
 * Pure: the dock's "now" is always a parameter. Whether the dock's own clock is synchronised is the
 * caller's business: an unsynchronised dock records the measurement and calls no `correct` (CONTRACT "Time").
 * @module
 */
import { EventCode } from '../../firmware-protocol/codec/constants.js';
import { byIndex, signedArg, type RecorderEvent } from './events.js';

/** Resolution of a GET_TIME reading (seconds plus a ms field). */
const DEVICE_RESOLUTION_MS = 1;
/** Resolution of an EVENT time (seconds only) and of CLOCK_SET's argument (whole seconds). */
const EVENT_RESOLUTION_MS = 1000;
/** Times before this are a reset clock (a reset recorder shows 2000-01-01). */
const EARLIEST_PLAUSIBLE_MS = Date.UTC(2010, 0, 1);
/** Default: how far after the dock's now a recorder time may lie and still be a drifting clock, not a wrong one. */
const DEFAULT_MAX_AHEAD_MS = 24 * 3600_000;

// ---- measurement ---------------------------------------------------------------------------------

/** One comparison of the recorder's clock with the dock's. */
export interface DriftMeasurement {
  /** Recorder minus dock, ms (positive: the recorder runs ahead). */
  driftMs: number;
  /** The true drift lies within `driftMs ± uncertaintyMs`. */
  uncertaintyMs: number;
  /** Dock time the measurement refers to (the round trip's midpoint, rounded down to a whole ms). */
  dockTimeMs: number;
}

/**
 * Measures drift from one GET_TIME exchange. The recorder read its clock at some moment between the
 * request being sent and the answer arriving; the best estimate is the midpoint, and the error bound is
 * half the round trip plus the reading's 1 ms resolution.
 * @param p.deviceEpochMs the GET_TIME answer (time + ms, read with its tz) as epoch ms
 * @param p.sentAtMs dock time the request was sent
 * @param p.receivedAtMs dock time the answer arrived
 * @throws RangeError when the answer arrived before the request was sent or an input is not finite.
 */
export function measureDrift(p: { deviceEpochMs: number; sentAtMs: number; receivedAtMs: number }): DriftMeasurement {
  const { deviceEpochMs, sentAtMs, receivedAtMs } = p;
  if (![deviceEpochMs, sentAtMs, receivedAtMs].every(Number.isFinite)) throw new RangeError('measureDrift: times must be finite');
  if (receivedAtMs < sentAtMs) throw new RangeError('measureDrift: answer received before the request was sent');
  const rtt = receivedAtMs - sentAtMs;
  const dockTimeMs = Math.floor(sentAtMs + rtt / 2);
  return {
    driftMs: Math.round(deviceEpochMs - dockTimeMs),
    uncertaintyMs: Math.ceil(rtt / 2) + DEVICE_RESOLUTION_MS,
    dockTimeMs,
  };
}

/** Bounds for {@link isPlausibleDeviceTime}. */
export interface PlausibilityOptions {
  /** Earliest plausible time; default 2010-01-01T00:00Z. */
  notBeforeMs?: number;
  /** How far after the dock's now is still plausible; default 24 h. */
  maxAheadMs?: number;
}

/**
 * False for a recorder time that shows a reset or wrong clock rather than drift: before 2010-01-01
 * (a reset recorder shows 2000-01-01) or more than `maxAheadMs` (default 24 h) after the dock's now.
 */
export function isPlausibleDeviceTime(epochMs: number, dockNowMs: number, opts: PlausibilityOptions = {}): boolean {
  const notBefore = opts.notBeforeMs ?? EARLIEST_PLAUSIBLE_MS;
  const maxAhead = opts.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS;
  return Number.isFinite(epochMs) && epochMs >= notBefore && epochMs <= dockNowMs + maxAhead;
}

/** Severity of a drift. */
export type DriftClass = 'ok' | 'warn' | 'fault';

/**
 * Classifies a drift by its magnitude (either sign): above `warnMs` (default 2 s) is `warn`, above
 * `faultMs` (default 5 min) is `fault`; exactly at a threshold is still the lower class.
 */
export function classifyDrift(driftMs: number, t: { warnMs?: number; faultMs?: number } = {}): DriftClass {
  const warn = t.warnMs ?? 2000;
  const fault = t.faultMs ?? 300_000;
  const d = Math.abs(driftMs);
  if (!(d <= fault)) return 'fault'; // NaN counts as fault
  return d > warn ? 'warn' : 'ok';
}

// ---- drift model ----------------------------------------------------------------------------------

/** Why a recording got (or did not get) the correction it got. */
export type CorrectionReason =
  /** No sync known before the recording: the drift measured at docking (or, before a foreign clock set, the
   * drift that set removed) applied unchanged. Null correction when not even that is known. */
  | 'no_sync_known'
  /** After the dock's last sync: drift interpolated linearly from that sync to the next measurement. */
  | 'interpolated'
  /** After a CLOCK_SET not made by this dock: drift interpolated from the set (taken as drift 0) onwards. */
  | 'after_clock_set'
  /** After a CLOCK_LOST (real-time clock reset) and before any later clock set: not correctable. */
  | 'clock_reset'
  /** The recorded time is not a time this clock can have shown (reset-looking, far future, after docking). */
  | 'implausible';

/** The answer of {@link DriftModel.correct}. */
export interface Correction {
  /** Recorded time minus drift, ms; null when not correctable. */
  correctedEpochMs: number | null;
  /** The drift applied (device − dock), ms. */
  driftMs: number | null;
  /** The corrected time lies within `correctedEpochMs ± uncertaintyMs`. */
  uncertaintyMs: number | null;
  reason: CorrectionReason;
}

/** Inputs of {@link buildDriftModel}. */
export interface DriftModelInput {
  /** The measurement at this docking (see {@link measureDrift}), taken before the dock sets the clock. */
  docking: DriftMeasurement;
  /**
   * The dock's previous SET_TIME of this recorder (from the ledger), or null when none is known.
   * `driftMs` is the residual drift right after that set (about 0); `uncertaintyMs` defaults to the
   * docking measurement's. `eventsBefore` is the recorder's event `total` read before that SET_TIME when
   * known: it places the sync exactly among the events. `driftBeforeMs` is the drift that docking measured
   * before setting the clock, when known: it corrects recordings still on the recorder from before the sync.
   */
  lastSync: LastSync | null;
  /** The recorder's events (any order; only CLOCK_SET and CLOCK_LOST matter here). */
  events: readonly RecorderEvent[];
  options?: DriftModelOptions;
}

/** The dock's previous clock set of this recorder; see {@link DriftModelInput.lastSync}. */
export interface LastSync {
  dockTimeMs: number;
  driftMs: number;
  uncertaintyMs?: number;
  eventsBefore?: number;
  driftBeforeMs?: number;
}

/** Tuning of the drift model; defaults in brackets. */
export interface DriftModelOptions extends PlausibilityOptions {
  /**
   * Uncertainty of a clock set not made by this dock [60 000 ms]: who set it and against what is
   * unknown (a hand set from a watch is good to a minute at best).
   */
  foreignSetUncertaintyMs?: number;
  /**
   * How fast uncertainty grows with distance from a measurement when extrapolating [50 ppm = 4.3 s a day,
   * a cheap real-time-clock crystal over temperature].
   */
  driftRatePpm?: number;
  /** How close a CLOCK_SET event must be to the last sync's device time to be that sync's own trace [5000 ms]. */
  syncMatchToleranceMs?: number;
}

/** Optional placement of a recording among the clock events. */
export interface CorrectOptions {
  /**
   * Index of an event logged when the recording started (its REC_START, see {@link eventIndexForSeq}).
   * Places the recording after every clock event with a lower index and before every one with a higher.
   * Without it the recording is placed by its recorded time; where a backward clock set makes that time
   * ambiguous the later clock period wins.
   */
  eventIndex?: number | null;
}

/** A drift model of one recorder between its history and this docking. */
export interface DriftModel {
  /** Corrects one recorded time (device clock, epoch ms; null when the recorder's time string was invalid). */
  correct(recordedEpochMs: number | null, opts?: CorrectOptions): Correction;
  /** The docking measurement showed a plausible clock (else this docking proves a reset: `clock_reset`). */
  readonly dockingPlausible: boolean;
  /** A CLOCK_LOST event was logged or the docking measurement is implausible: raise `clock_reset`. */
  readonly clockResetDetected: boolean;
}

interface Anchor {
  deviceTimeMs: number;
  driftMs: number;
  uncertaintyMs: number;
}

type StartKind = 'history' | 'sync' | 'set' | 'lost';

interface Boundary {
  kind: Exclude<StartKind, 'history'>;
  /** Position among events: an event index, or a half index for a sync placed between events. */
  order: number;
  /** Device time just after the boundary, null when unknown. */
  startDeviceMs: number | null;
  /** Device time just before the boundary, null when unknown. */
  endDeviceMs: number | null;
  /** Anchor for the period after / before the boundary. */
  after: Anchor | null;
  before: Anchor | null;
}

interface Period {
  kind: StartKind;
  start: Anchor | null;
  end: Anchor | null;
  fromDeviceMs: number;
  toDeviceMs: number;
}

/**
 * Builds the drift model of one recorder at one docking.
 *
 * The recorder's life is cut into clock periods by clock events (in event-index order), each corrected
 * from the measurements at its ends:
 * - The docking measurement ends the last period. With no earlier sync known it applies unchanged to all
 *   recordings (CONTRACT "Time"), its uncertainty growing with distance at `driftRatePpm`.
 * - The dock's last sync (`lastSync`) starts a period: drift is interpolated linearly from it (its residual
 *   drift) to the period's end, and so is the uncertainty. The drift just before the sync is
 *   `lastSync.driftBeforeMs`, else the argument of the sync's own CLOCK_SET trace (a CLOCK_SET event at the
 *   sync's time), else unknown (recordings from before it are then not correctable).
 * - A CLOCK_SET not made by this dock also starts a period. **Assumption:** the drift right after such a set
 *   is unknown; the model takes the set as having put the clock right (drift 0) with `foreignSetUncertaintyMs`
 *   of uncertainty. Recordings before the set use the drift the set removed (minus its argument), those
 *   after it are interpolated from 0 at the set to the next measurement.
 * - A CLOCK_LOST event (or a CLOCK_SET to an implausible or unreadable time) starts a period whose
 *   recordings are not correctable (`clock_reset`) until the next set. An implausible docking reading with
 *   no such event logged counts as a loss after the last logged event: recordings the reset clock made are
 *   `clock_reset`, those before it are corrected from the measurements before it.
 * - An implausible recorded time is never corrected (`implausible`), nor is a corrected time after the docking.
 */
export function buildDriftModel(input: DriftModelInput): DriftModel {
  const o = input.options ?? {};
  const plaus: PlausibilityOptions = {};
  if (o.notBeforeMs !== undefined) plaus.notBeforeMs = o.notBeforeMs;
  if (o.maxAheadMs !== undefined) plaus.maxAheadMs = o.maxAheadMs;
  const foreignUnc = o.foreignSetUncertaintyMs ?? 60_000;
  const rate = (o.driftRatePpm ?? 50) * 1e-6;
  const matchTol = o.syncMatchToleranceMs ?? 5000;
  const { docking } = input;
  const dockNow = docking.dockTimeMs;
  const plausible = (t: number | null): t is number => t !== null && isPlausibleDeviceTime(t, dockNow, plaus);

  const events = byIndex(input.events);
  const boundaries: Boundary[] = [];
  for (const e of events) {
    if (e.code === EventCode.CLOCK_SET && plausible(e.epochMs)) {
      const t = e.epochMs;
      const moved = signedArg(e) * 1000;
      boundaries.push({
        kind: 'set',
        order: e.index,
        startDeviceMs: t,
        endDeviceMs: t - moved,
        after: { deviceTimeMs: t, driftMs: 0, uncertaintyMs: foreignUnc + EVENT_RESOLUTION_MS },
        before: { deviceTimeMs: t - moved, driftMs: -moved, uncertaintyMs: foreignUnc + 2 * EVENT_RESOLUTION_MS },
      });
    } else if (e.code === EventCode.CLOCK_SET || e.code === EventCode.CLOCK_LOST) {
      boundaries.push({ kind: 'lost', order: e.index, startDeviceMs: e.epochMs, endDeviceMs: null, after: null, before: null });
    }
  }

  if (input.lastSync) placeSync(input.lastSync, boundaries, events, docking.uncertaintyMs, matchTol, plausible);
  boundaries.sort((a, b) => a.order - b.order);

  const dockingDeviceMs = docking.dockTimeMs + docking.driftMs;
  const dockingPlausible = plausible(dockingDeviceMs);
  const dockingAnchor: Anchor = { deviceTimeMs: dockingDeviceMs, driftMs: docking.driftMs, uncertaintyMs: docking.uncertaintyMs };
  if (!dockingPlausible && boundaries.at(-1)?.kind !== 'lost') {
    // The clock was reset without a CLOCK_LOST in the log: somewhere after the last logged event.
    const last = Math.max(-1, ...events.map((e) => e.index), ...boundaries.map((b) => b.order));
    boundaries.push({ kind: 'lost', order: last + 0.5, startDeviceMs: null, endDeviceMs: null, after: null, before: null });
  }

  const periods: Period[] = [];
  for (let i = 0; i <= boundaries.length; i++) {
    const from = i === 0 ? null : boundaries[i - 1]!;
    const to = i === boundaries.length ? null : boundaries[i]!;
    periods.push({
      kind: from ? from.kind : 'history',
      start: from ? from.after : null,
      end: to ? to.before : dockingPlausible ? dockingAnchor : null,
      fromDeviceMs: from?.startDeviceMs ?? -Infinity,
      toDeviceMs: to ? (to.endDeviceMs ?? Infinity) : dockingDeviceMs,
    });
  }

  const locate = (t: number, eventIndex: number | null | undefined): Period | null => {
    if (eventIndex !== null && eventIndex !== undefined) {
      return periods[boundaries.filter((b) => b.order <= eventIndex).length]!;
    }
    const tol = 2 * EVENT_RESOLUTION_MS;
    for (let i = periods.length - 1; i >= 0; i--) {
      const p = periods[i]!;
      if (t >= p.fromDeviceMs - tol && t <= p.toDeviceMs + tol) return p;
    }
    return null;
  };

  const notCorrectable = (reason: CorrectionReason): Correction => ({ correctedEpochMs: null, driftMs: null, uncertaintyMs: null, reason });

  return {
    dockingPlausible,
    clockResetDetected: !dockingPlausible || events.some((e) => e.code === EventCode.CLOCK_LOST),
    correct(recorded, opts) {
      if (recorded === null || !Number.isFinite(recorded)) return notCorrectable('implausible');
      const period = locate(recorded, opts?.eventIndex);
      if (period?.kind === 'lost') return notCorrectable('clock_reset');
      if (!plausible(recorded) || !period) return notCorrectable('implausible');
      const reason: CorrectionReason =
        period.kind === 'sync' ? 'interpolated' : period.kind === 'set' ? 'after_clock_set' : 'no_sync_known';
      const est = estimate(recorded, period.start, period.end, rate);
      if (!est) return notCorrectable(reason);
      const corrected = Math.round(recorded - est.driftMs);
      const uncertaintyMs = Math.ceil(est.uncertaintyMs);
      if (dockingPlausible && corrected > docking.dockTimeMs + uncertaintyMs) return notCorrectable('implausible');
      return { correctedEpochMs: corrected, driftMs: Math.round(est.driftMs), uncertaintyMs, reason };
    },
  };
}

/** Drift at device time `t` from the anchors around it: linear between two, constant beyond one. */
function estimate(t: number, s: Anchor | null, e: Anchor | null, rate: number): { driftMs: number; uncertaintyMs: number } | null {
  if (s && e && e.deviceTimeMs > s.deviceTimeMs) {
    const span = e.deviceTimeMs - s.deviceTimeMs;
    const f = Math.min(1, Math.max(0, (t - s.deviceTimeMs) / span));
    const outside = t < s.deviceTimeMs ? s.deviceTimeMs - t : t > e.deviceTimeMs ? t - e.deviceTimeMs : 0;
    return {
      driftMs: s.driftMs + f * (e.driftMs - s.driftMs),
      uncertaintyMs: s.uncertaintyMs + f * (e.uncertaintyMs - s.uncertaintyMs) + rate * outside,
    };
  }
  const one = e ?? s;
  if (!one) return null;
  return { driftMs: one.driftMs, uncertaintyMs: one.uncertaintyMs + rate * Math.abs(t - one.deviceTimeMs) };
}

/**
 * Puts the dock's last sync among the boundaries: it replaces the CLOCK_SET event that is its own trace
 * (the first CLOCK_SET at or after `eventsBefore`, or anywhere when that is unknown, whose time is within
 * the tolerance of the sync's device time); else it is inserted at `eventsBefore`, or before the first
 * event whose device time is at or after the sync's.
 */
function placeSync(
  sync: LastSync,
  boundaries: Boundary[],
  events: readonly RecorderEvent[],
  defaultUnc: number,
  matchTol: number,
  plausible: (t: number | null) => t is number,
): void {
  const unc = sync.uncertaintyMs ?? defaultUnc;
  const syncDevice = sync.dockTimeMs + sync.driftMs;
  const after: Anchor = { deviceTimeMs: syncDevice, driftMs: sync.driftMs, uncertaintyMs: unc };
  const measuredBefore: Anchor | null =
    sync.driftBeforeMs === undefined
      ? null
      : { deviceTimeMs: sync.dockTimeMs + sync.driftBeforeMs, driftMs: sync.driftBeforeMs, uncertaintyMs: unc };
  const tol = matchTol + unc + EVENT_RESOLUTION_MS;
  const trace = events.find(
    (e) =>
      e.code === EventCode.CLOCK_SET &&
      (sync.eventsBefore === undefined || e.index >= sync.eventsBefore) &&
      plausible(e.epochMs) &&
      Math.abs(e.epochMs - syncDevice) <= tol,
  );
  if (trace) {
    const moved = signedArg(trace) * 1000;
    const i = boundaries.findIndex((b) => b.order === trace.index);
    boundaries[i] = {
      kind: 'sync',
      order: trace.index,
      startDeviceMs: syncDevice,
      endDeviceMs: measuredBefore?.deviceTimeMs ?? syncDevice - moved,
      after,
      before: measuredBefore ?? {
        deviceTimeMs: syncDevice - moved,
        driftMs: sync.driftMs - moved,
        uncertaintyMs: unc + EVENT_RESOLUTION_MS,
      },
    };
    return;
  }
  let order: number;
  if (sync.eventsBefore !== undefined) order = sync.eventsBefore - 0.5;
  else {
    const next = events.find((e) => plausible(e.epochMs) && e.epochMs >= syncDevice);
    order = next ? next.index - 0.5 : (events.at(-1)?.index ?? -1) + 0.5;
  }
  boundaries.push({
    kind: 'sync',
    order,
    startDeviceMs: syncDevice,
    endDeviceMs: measuredBefore?.deviceTimeMs ?? null,
    after,
    before: measuredBefore,
  });
}

/**
 * The index of the REC_START event of the recording holding file `seq` (the latest REC_START whose
 * argument, the recording's first seq, is at most `seq`), for {@link CorrectOptions.eventIndex}.
 * Null when no such event is logged. A photo taken outside a recording maps to the recording before it,
 * which still places it correctly unless the clock was set in between.
 */
export function eventIndexForSeq(seq: number, events: readonly RecorderEvent[]): number | null {
  let found: number | null = null;
  for (const e of byIndex(events)) {
    if (e.code === EventCode.REC_START && e.arg >>> 0 <= seq) found = e.index;
  }
  return found;
}
