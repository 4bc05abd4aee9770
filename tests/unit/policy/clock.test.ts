import { describe, expect, it } from 'vitest';
import {
  buildDriftModel,
  classifyDrift,
  eventIndexForSeq,
  isPlausibleDeviceTime,
  measureDrift,
} from '../../../daemon/policy/clock.js';
import { EventCode } from '../../../firmware-protocol/codec/constants.js';
import type { RecorderEvent } from '../../../daemon/policy/events.js';

const H = 3600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2026, 10, 1, 0, 0, 0); // 2026-11-01T00:00Z
const ev = (index: number, code: EventCode, epochMs: number | null, arg = 0): RecorderEvent => ({ index, code, epochMs, arg: arg >>> 0 });

describe('measureDrift', () => {
  it('compares the answer with the round trip midpoint', () => {
    expect(measureDrift({ deviceEpochMs: 1550, sentAtMs: 1000, receivedAtMs: 1100 })).toEqual({
      driftMs: 500,
      uncertaintyMs: 51,
      dockTimeMs: 1050,
    });
  });
  it('handles an odd round trip and a recorder behind the dock', () => {
    expect(measureDrift({ deviceEpochMs: 0, sentAtMs: 1000, receivedAtMs: 1101 })).toEqual({
      driftMs: -1050,
      uncertaintyMs: 52,
      dockTimeMs: 1050,
    });
  });
  it('refuses an answer received before sending', () => {
    expect(() => measureDrift({ deviceEpochMs: 0, sentAtMs: 10, receivedAtMs: 9 })).toThrow(RangeError);
  });
});

describe('isPlausibleDeviceTime', () => {
  const now = T0;
  it('rejects a reset clock and far future times', () => {
    expect(isPlausibleDeviceTime(Date.UTC(2000, 0, 1), now)).toBe(false);
    expect(isPlausibleDeviceTime(Date.UTC(2009, 11, 31, 23, 59, 59), now)).toBe(false);
    expect(isPlausibleDeviceTime(now + 2 * DAY, now)).toBe(false);
  });
  it('accepts the past since 2010 and a drifting clock ahead', () => {
    expect(isPlausibleDeviceTime(Date.UTC(2010, 0, 1), now)).toBe(true);
    expect(isPlausibleDeviceTime(now + H, now)).toBe(true);
    expect(isPlausibleDeviceTime(now + 2 * H, now, { maxAheadMs: H })).toBe(false);
  });
});

describe('classifyDrift', () => {
  it('uses the magnitude with default thresholds 2 s and 5 min', () => {
    expect(classifyDrift(0)).toBe('ok');
    expect(classifyDrift(2000)).toBe('ok');
    expect(classifyDrift(2001)).toBe('warn');
    expect(classifyDrift(-3000)).toBe('warn');
    expect(classifyDrift(300_000)).toBe('warn');
    expect(classifyDrift(-300_001)).toBe('fault');
    expect(classifyDrift(Number.NaN)).toBe('fault');
    expect(classifyDrift(600, { warnMs: 500, faultMs: 1000 })).toBe('warn');
  });
});

describe('drift model', () => {
  it('no sync known: docking drift applies unchanged, uncertainty grows with distance', () => {
    const docking = { dockTimeMs: T0, driftMs: 10_000, uncertaintyMs: 50 };
    const m = buildDriftModel({ docking, lastSync: null, events: [] });
    const recorded = T0 + 10_000 - 3 * DAY;
    expect(m.correct(recorded)).toEqual({
      correctedEpochMs: T0 - 3 * DAY,
      driftMs: 10_000,
      uncertaintyMs: 50 + 12_960, // 50 ppm of 3 days
      reason: 'no_sync_known',
    });
    expect(m.dockingPlausible).toBe(true);
    expect(m.clockResetDetected).toBe(false);
  });

  it('interpolates linearly between the last sync and the docking', () => {
    const docking = { dockTimeMs: T0 + 10 * DAY, driftMs: 8640, uncertaintyMs: 50 };
    const lastSync = { dockTimeMs: T0, driftMs: 0, uncertaintyMs: 20 };
    const m = buildDriftModel({ docking, lastSync, events: [] });
    // true time T0 + 5 days, the clock then 4.32 s ahead
    expect(m.correct(T0 + 5 * DAY + 4320)).toEqual({
      correctedEpochMs: T0 + 5 * DAY,
      driftMs: 4320,
      uncertaintyMs: 35,
      reason: 'interpolated',
    });
    // a quarter of the way
    const q = m.correct(T0 + 2.5 * DAY + 2160);
    expect(q.driftMs).toBe(2160);
    expect(q.correctedEpochMs).toBe(T0 + 2.5 * DAY);
    expect(q.uncertaintyMs).toBe(28); // 20 + 0.25 * 30 = 27.5, rounded up
  });

  it('uses the sync\'s own CLOCK_SET trace for recordings left from before the sync', () => {
    const docking = { dockTimeMs: T0 + 10 * DAY, driftMs: 8640, uncertaintyMs: 50 };
    const lastSync = { dockTimeMs: T0, driftMs: 0, uncertaintyMs: 20, eventsBefore: 10 };
    // the dock's set moved the clock back 7 s: it had been 7 s ahead
    const events = [ev(10, EventCode.CLOCK_SET, T0, -7)];
    const m = buildDriftModel({ docking, lastSync, events });
    const before = m.correct(T0 + 7000 - H);
    expect(before).toMatchObject({ correctedEpochMs: T0 - H, driftMs: 7000, reason: 'no_sync_known' });
    expect(before.uncertaintyMs).toBe(20 + 1000 + 180); // set + event resolution + 50 ppm of 1 h
    expect(m.correct(T0 + 5 * DAY + 4320)).toMatchObject({ correctedEpochMs: T0 + 5 * DAY, reason: 'interpolated' });
  });

  it('drift across a foreign clock set: before uses the drift the set removed, after is interpolated from 0', () => {
    const D = T0 + 10 * DAY;
    const S = D - 4 * DAY; // the set, device time after it
    const docking = { dockTimeMs: D, driftMs: 2000, uncertaintyMs: 50 };
    // someone moved the clock forward by one hour: it had been an hour behind
    const events = [ev(3, EventCode.POWER_ON, S - 2 * DAY), ev(4, EventCode.CLOCK_SET, S, 3600)];
    const m = buildDriftModel({ docking, lastSync: null, events });

    const before = m.correct(S - H - DAY); // device time a day before the set (clock 1 h behind)
    expect(before).toEqual({
      correctedEpochMs: S - DAY,
      driftMs: -3_600_000,
      uncertaintyMs: 60_000 + 2000 + 4320,
      reason: 'no_sync_known',
    });

    const after = m.correct(S + 2 * DAY + 1000); // halfway from the set to the docking
    expect(after).toEqual({
      correctedEpochMs: S + 2 * DAY,
      driftMs: 1000,
      uncertaintyMs: 30_525, // (61 000 + 50) / 2
      reason: 'after_clock_set',
    });
    expect(m.clockResetDetected).toBe(false);
  });

  it('a backward set makes times ambiguous: the later period wins unless the event index places it', () => {
    const D = T0 + 10 * DAY;
    const S = D - 4 * DAY;
    const docking = { dockTimeMs: D, driftMs: 0, uncertaintyMs: 50 };
    const events = [ev(4, EventCode.CLOCK_SET, S, -3600), ev(2, EventCode.REC_START, S + 10 * 60_000 - 3 * H, 41)];
    const m = buildDriftModel({ docking, lastSync: null, events });
    const t = S + 10 * 60_000;
    expect(m.correct(t).reason).toBe('after_clock_set');
    const placed = m.correct(t, { eventIndex: eventIndexForSeq(41, events) });
    expect(placed).toMatchObject({ correctedEpochMs: t - 3_600_000, driftMs: 3_600_000, reason: 'no_sync_known' });
  });

  it('clock reset: recordings after CLOCK_LOST are not correctable until the next set', () => {
    const D = T0 + 10 * DAY;
    const docking = { dockTimeMs: D, driftMs: 500, uncertaintyMs: 50 };
    const lastSync = { dockTimeMs: T0, driftMs: 0, uncertaintyMs: 20 };
    const Y2K = Date.UTC(2000, 0, 1);
    const S = D - 2 * DAY;
    const events = [
      ev(20, EventCode.REC_START, T0 + DAY, 100),
      ev(21, EventCode.CLOCK_LOST, Y2K),
      ev(22, EventCode.REC_START, Y2K + H, 101),
      ev(23, EventCode.CLOCK_SET, S, Math.round((S - (Y2K + 3 * H)) / 1000)),
      ev(24, EventCode.REC_START, S + DAY, 102),
    ];
    const m = buildDriftModel({ docking, lastSync, events });
    expect(m.clockResetDetected).toBe(true);

    // before the loss: extrapolated from the sync, which is all that is known
    const before = m.correct(T0 + DAY);
    expect(before).toEqual({ correctedEpochMs: T0 + DAY, driftMs: 0, uncertaintyMs: 20 + 4320, reason: 'interpolated' });

    // between loss and set
    expect(m.correct(Y2K + H)).toEqual({ correctedEpochMs: null, driftMs: null, uncertaintyMs: null, reason: 'clock_reset' });
    // placed by its REC_START even though its time would look fine
    expect(m.correct(T0 + 5 * DAY, { eventIndex: eventIndexForSeq(101, events) }).reason).toBe('clock_reset');

    // after the set
    const after = m.correct(S + DAY + 250);
    expect(after).toMatchObject({ correctedEpochMs: S + DAY, driftMs: 250, reason: 'after_clock_set' });
  });

  it('without a sync, recordings before a clock loss have nothing to correct them by', () => {
    // the clock was lost and never set again: it shows 2000-01-03 at docking
    const docking = { dockTimeMs: T0, driftMs: Date.UTC(2000, 0, 3) - T0, uncertaintyMs: 50 };
    const m = buildDriftModel({ docking, lastSync: null, events: [ev(1, EventCode.CLOCK_LOST, Date.UTC(2000, 0, 1))] });
    expect(m.correct(T0 - DAY)).toEqual({ correctedEpochMs: null, driftMs: null, uncertaintyMs: null, reason: 'no_sync_known' });
    expect(m.correct(Date.UTC(2000, 0, 2)).reason).toBe('clock_reset');
  });

  it('an implausible docking reading is a reset even without CLOCK_LOST', () => {
    const D = T0 + 10 * DAY;
    const docking = { dockTimeMs: D, driftMs: Date.UTC(2000, 0, 3) - D, uncertaintyMs: 50 };
    const m = buildDriftModel({ docking, lastSync: { dockTimeMs: T0, driftMs: 0, uncertaintyMs: 20 }, events: [] });
    expect(m.dockingPlausible).toBe(false);
    expect(m.clockResetDetected).toBe(true);
    expect(m.correct(Date.UTC(2000, 0, 2))).toMatchObject({ correctedEpochMs: null, reason: 'clock_reset' });
    expect(m.correct(T0 + DAY)).toEqual({ correctedEpochMs: T0 + DAY, driftMs: 0, uncertaintyMs: 20 + 4320, reason: 'interpolated' });
    const none = buildDriftModel({ docking, lastSync: null, events: [] });
    expect(none.correct(T0 + DAY)).toMatchObject({ correctedEpochMs: null, reason: 'no_sync_known' });
  });

  it('implausible recorded times are never corrected', () => {
    const docking = { dockTimeMs: T0, driftMs: 0, uncertaintyMs: 50 };
    const m = buildDriftModel({ docking, lastSync: null, events: [] });
    expect(m.correct(null).reason).toBe('implausible');
    expect(m.correct(Date.UTC(2000, 0, 1)).reason).toBe('implausible');
    expect(m.correct(T0 + 2 * DAY).reason).toBe('implausible');
    expect(m.correct(T0 + H)).toMatchObject({ correctedEpochMs: null, reason: 'implausible' }); // after the docking
  });

  it('places an unmatched sync among events by time and uses it for later recordings only', () => {
    const docking = { dockTimeMs: T0 + 10 * DAY, driftMs: 1000, uncertaintyMs: 50 };
    const lastSync = { dockTimeMs: T0, driftMs: 0, uncertaintyMs: 20 };
    const events = [ev(5, EventCode.POWER_ON, T0 - DAY), ev(6, EventCode.POWER_ON, T0 + DAY)];
    const m = buildDriftModel({ docking, lastSync, events });
    expect(m.correct(T0 + 5 * DAY + 500)).toMatchObject({ correctedEpochMs: T0 + 5 * DAY, driftMs: 500, reason: 'interpolated' });
    // before the sync the clock's drift then is unknown
    expect(m.correct(T0 - DAY)).toEqual({ correctedEpochMs: null, driftMs: null, uncertaintyMs: null, reason: 'no_sync_known' });
    // unless the dock says what it measured before setting the clock
    const m2 = buildDriftModel({ docking, lastSync: { ...lastSync, driftBeforeMs: -1500 }, events });
    expect(m2.correct(T0 - DAY - 1500)).toEqual({ correctedEpochMs: T0 - DAY, driftMs: -1500, uncertaintyMs: 20 + 4320, reason: 'no_sync_known' });
    expect(m2.correct(T0 + 5 * DAY + 500)).toMatchObject({ correctedEpochMs: T0 + 5 * DAY, reason: 'interpolated' });
  });
});

describe('eventIndexForSeq', () => {
  it('finds the REC_START of the recording holding a seq', () => {
    const events = [ev(1, EventCode.REC_START, T0, 10), ev(2, EventCode.REC_STOP, T0, 12), ev(3, EventCode.REC_START, T0, 14)];
    expect(eventIndexForSeq(9, events)).toBeNull();
    expect(eventIndexForSeq(12, events)).toBe(1);
    expect(eventIndexForSeq(15, events)).toBe(3);
  });
});
