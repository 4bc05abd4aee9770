import { describe, expect, it } from 'vitest';
import { activityCoverage, activityGaps, findCatalogGaps, prefillFor, type CatalogItem } from '../../../daemon/policy/gaps.js';
import { EventCode, FileFlags } from '../../../firmware-protocol/codec/constants.js';
import type { RecorderEvent } from '../../../daemon/policy/events.js';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 24, 1, 0, 0); // 09:00 in Shanghai
const { CONTINUES, PHOTO } = FileFlags;

const file = (seq: number, startEpochMs: number | null, durationMs: number, flags = 0): CatalogItem => ({
  seq,
  name: `DCIM/100BWC/A123456_000123_x_${String(seq).padStart(4, '0')}.${flags & PHOTO ? 'JPG' : 'MP4'}`,
  startEpochMs,
  durationMs,
  flags,
});
const ev = (index: number, code: EventCode, epochMs: number | null, arg = 0): RecorderEvent => ({ index, code, epochMs, arg });

/** A 30-minute recording cut into three 10-minute segments, seq 10..12, and a photo seq 13. */
const chain = (): CatalogItem[] => [
  file(10, T, 10 * MIN, CONTINUES),
  file(11, T + 10 * MIN + 300, 10 * MIN, CONTINUES),
  file(12, T + 20 * MIN + 600, 10 * MIN),
  file(13, T + 5 * MIN, 0, PHOTO),
];

describe('findCatalogGaps', () => {
  it('finds nothing in a complete catalog', () => {
    expect(findCatalogGaps({ catalog: chain(), events: [], lastKnownSeq: 9 })).toEqual([]);
  });

  it('a missing middle segment breaks the chain and is a missing seq', () => {
    const catalog = chain().filter((f) => f.seq !== 11);
    const found = findCatalogGaps({ catalog, events: [], lastKnownSeq: 9 });
    expect(found).toEqual([
      {
        kind: 'gap',
        seqFrom: 10,
        seqTo: 12,
        fromEpochMs: T + 10 * MIN,
        toEpochMs: T + 20 * MIN + 600,
        detail: 'DCIM/100BWC/A123456_000123_x_0010.MP4 continues, but its next segment (seq 11) is not on the recorder',
      },
      {
        kind: 'seq_missing',
        seqFrom: 11,
        seqTo: 11,
        fromEpochMs: T + 10 * MIN,
        toEpochMs: T + 20 * MIN + 600,
        detail: 'seq 11 is missing',
      },
    ]);
  });

  it('a next segment starting more than 1 s late is a gap', () => {
    const catalog = chain();
    catalog[1] = file(11, T + 10 * MIN + 4000, 10 * MIN, CONTINUES);
    catalog[2] = file(12, T + 20 * MIN + 4000 + 1000, 10 * MIN);
    const found = findCatalogGaps({ catalog, events: [], lastKnownSeq: null, options: { timezone: 'Asia/Shanghai' } });
    expect(found).toEqual([
      {
        kind: 'gap',
        seqFrom: 10,
        seqTo: 11,
        fromEpochMs: T + 10 * MIN,
        toEpochMs: T + 10 * MIN + 4000,
        detail: 'segment seq 11 starts 4.0 s after seq 10 ended (2026-11-24T09:10:00.000+08:00)',
      },
    ]);
  });

  it('a clock set between segments is not a gap', () => {
    const catalog = chain();
    catalog[1] = file(11, T + 10 * MIN + 3600_000 + 200, 10 * MIN, CONTINUES);
    catalog[2] = file(12, T + 20 * MIN + 3600_000 + 400, 10 * MIN);
    const events = [ev(7, EventCode.CLOCK_SET, T + 10 * MIN + 3600_000, 3600)];
    expect(findCatalogGaps({ catalog, events, lastKnownSeq: 9 })).toEqual([]);
  });

  it('a last segment still flagged CONTINUES, or followed by a photo, is a broken chain', () => {
    const catalog = [file(20, T, 10 * MIN, CONTINUES), file(21, T + 11 * MIN, 0, PHOTO)];
    const found = findCatalogGaps({ catalog, events: [], lastKnownSeq: 19 });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'gap', seqFrom: 20, seqTo: 21, fromEpochMs: T + 10 * MIN });
    expect(found[0]!.toEpochMs).toBeUndefined();
    expect(found[0]!.detail).toContain('seq 21 is a photo');
  });

  it('seq holes start after lastKnownSeq and name FILE_DELETED events', () => {
    const catalog = [file(105, T, MIN), file(108, T + 10 * MIN, MIN)];
    const events = [ev(50, EventCode.FILE_DELETED, T + 30 * MIN, 107), ev(51, EventCode.POWER_OFF, T + 31 * MIN)];
    const found = findCatalogGaps({ catalog, events, lastKnownSeq: 101, options: { timezone: 'Asia/Shanghai' } });
    expect(found).toEqual([
      { kind: 'seq_missing', seqFrom: 102, seqTo: 104, toEpochMs: T, detail: 'seq 102–104 are missing' },
      {
        kind: 'seq_missing',
        seqFrom: 106,
        seqTo: 107,
        fromEpochMs: T + MIN,
        toEpochMs: T + 10 * MIN,
        detail: 'seq 106–107 are missing; deleted on the recorder: seq 107 at 2026-11-24T09:30:00.000+08:00',
        deletedEvents: [{ seq: 107, eventIndex: 50, epochMs: T + 30 * MIN }],
      },
    ]);
  });

  it('without lastKnownSeq holes are only inside the catalog; seqs the dock stored before are not holes', () => {
    const catalog = [file(3, T, MIN), file(5, T + 5 * MIN, MIN)];
    expect(findCatalogGaps({ catalog, events: [], lastKnownSeq: null }).map((f) => [f.seqFrom, f.seqTo])).toEqual([[4, 4]]);
    expect(findCatalogGaps({ catalog, events: [], lastKnownSeq: 4 })).toEqual([]);
  });

  it('a deleted last file is found through the event log', () => {
    const catalog = [file(30, T, MIN)];
    const events = [ev(9, EventCode.REC_START, T + 5 * MIN, 31), ev(10, EventCode.REC_STOP, T + 6 * MIN, 31), ev(11, EventCode.FILE_DELETED, T + 7 * MIN, 31)];
    const found = findCatalogGaps({ catalog, events, lastKnownSeq: 29 });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'seq_missing', seqFrom: 31, seqTo: 31, deletedEvents: [{ seq: 31, eventIndex: 11 }] });
    expect(findCatalogGaps({ catalog: [], events, lastKnownSeq: 30 }).map((f) => f.seqFrom)).toEqual([31]);
  });

  it('pre-fills battery from a BATTERY_LOW shortly before the gap', () => {
    const catalog = [file(40, T, 10 * MIN, CONTINUES)];
    const events = [
      ev(70, EventCode.BATTERY_LOW, T - 30 * MIN, 15), // too early
      ev(71, EventCode.BATTERY_LOW, T + 8 * MIN, 5),
      ev(72, EventCode.POWER_OFF, T + 10 * MIN),
    ];
    const found = findCatalogGaps({ catalog, events, lastKnownSeq: 39, options: { timezone: 'Asia/Shanghai' } });
    const gap = found.find((f) => f.kind === 'gap')!;
    expect(gap.prefill).toEqual({
      reason: 'battery',
      evidence: 'recorder event #71 BATTERY_LOW (battery 5 %) at 2026-11-24T09:08:00.000+08:00',
      eventIndex: 71,
    });
  });
});

describe('prefillFor', () => {
  const events = [
    ev(1, EventCode.STORAGE_FULL, T - 20 * MIN),
    ev(2, EventCode.DEVICE_FAULT, T + 5 * MIN, 0x12),
    ev(3, EventCode.BATTERY_LOW, T - 12 * MIN, 9),
  ];
  it('takes events during the gap, and the one nearest its start', () => {
    expect(prefillFor({ fromEpochMs: T, toEpochMs: T + 30 * MIN }, events)).toMatchObject({ reason: 'device_fault', eventIndex: 2 });
    expect(prefillFor({ fromEpochMs: T, toEpochMs: T + 30 * MIN }, events)!.evidence).toContain('DEVICE_FAULT (fault code 0x12)');
  });
  it('respects the window before the gap', () => {
    expect(prefillFor({ fromEpochMs: T, toEpochMs: T + MIN }, events)).toBeNull();
    expect(prefillFor({ fromEpochMs: T, toEpochMs: T + MIN }, events, { prefillWindowMs: 15 * MIN })).toMatchObject({ reason: 'battery' });
    expect(prefillFor({ fromEpochMs: T - 15 * MIN, toEpochMs: T - 14 * MIN }, events)).toMatchObject({ reason: 'storage' });
    expect(prefillFor({ fromEpochMs: null, toEpochMs: T }, events)).toBeNull();
  });
});

describe('activity coverage', () => {
  const act = { startEpochMs: T, endEpochMs: T + 60 * MIN };
  it('reports late start, stops and early end beyond the tolerance', () => {
    const recs = [
      { startEpochMs: T + 2 * MIN, durationMs: 10 * MIN },
      { startEpochMs: T + 12 * MIN + 500, durationMs: 10 * MIN }, // 0.5 s pause: tolerated
      { startEpochMs: T + 5 * MIN, durationMs: 0 }, // a photo
      { startEpochMs: T + 30 * MIN, durationMs: 25 * MIN },
      { startEpochMs: T + 40 * MIN, durationMs: 5 * MIN }, // overlapping second recorder
    ];
    expect(activityCoverage(act, recs, 1000)).toEqual([
      { fromEpochMs: T, toEpochMs: T + 2 * MIN },
      { fromEpochMs: T + 22 * MIN + 500, toEpochMs: T + 30 * MIN },
      { fromEpochMs: T + 55 * MIN, toEpochMs: T + 60 * MIN },
    ]);
  });
  it('is empty when fully covered, whole when nothing was recorded', () => {
    expect(activityCoverage(act, [{ startEpochMs: T - MIN, durationMs: 62 * MIN }], 1000)).toEqual([]);
    expect(activityCoverage(act, [], 1000)).toEqual([{ fromEpochMs: T, toEpochMs: T + 60 * MIN }]);
  });
  it('activityGaps names neighbours and pre-fills', () => {
    const recs = [
      { seq: 1, startEpochMs: T, durationMs: 20 * MIN },
      { seq: 2, startEpochMs: T + 40 * MIN, durationMs: 20 * MIN },
    ];
    const events = [ev(5, EventCode.STORAGE_FULL, T + 19 * MIN)];
    expect(activityGaps({ ...act, ref: 'CASE-7' }, recs, events, 1000, { timezone: 'Asia/Shanghai' })).toEqual([
      {
        kind: 'gap',
        seqFrom: 1,
        seqTo: 2,
        fromEpochMs: T + 20 * MIN,
        toEpochMs: T + 40 * MIN,
        detail: 'no recording of activity CASE-7 from 2026-11-24T09:20:00.000+08:00 to 2026-11-24T09:40:00.000+08:00',
        prefill: {
          reason: 'storage',
          evidence: 'recorder event #5 STORAGE_FULL at 2026-11-24T09:19:00.000+08:00',
          eventIndex: 5,
        },
      },
    ]);
    const none = activityGaps(act, [], [], 1000);
    expect(none[0]).toMatchObject({ seqFrom: null, seqTo: null });
  });
});
