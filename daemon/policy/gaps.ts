/**
 * Completeness of a recorder's footage (REQUIREMENTS R6; 004 §8 recording from arrival to departure,
 * §12 the lawful reasons to stop, §18(2) deleting is forbidden).
 *
 * Three checks, all pure:
 * - {@link findCatalogGaps}: broken CONTINUES chains and late next segments (`gap`), sequence numbers
 *   that never arrived (`seq_missing`, naming FILE_DELETED events);
 * - {@link activityCoverage} / {@link activityGaps}: time inside a declared enforcement activity that no
 *   recording covers (`gap`);
 * - {@link prefillFor}: the 004 §12 reason the recorder's own event log proves (low battery, full storage,
 *   device fault), to pre-fill the officer's justification.
 *
 * Times: catalog starts and event times must be on the same clock (the recorder's recorded times are
 * right for comparing with each other; corrected times when comparing with an activity's dock times).
 * @module
 */
import { EventCode, FileFlags } from '../../firmware-protocol/codec/constants.js';
import { byIndex, signedArg, type RecorderEvent } from './events.js';
import { toIsoInZone } from './time-format.js';

/** One file of the recorder's catalog, its start already converted to epoch ms. */
export interface CatalogItem {
  seq: number;
  name: string;
  /** Start time as epoch ms, null when the recorder's time string was invalid. */
  startEpochMs: number | null;
  /** 0 for photos. */
  durationMs: number;
  /** FILE entry flags (`FileFlags`). */
  flags: number;
}

/** A FILE_DELETED event naming one of the missing seq numbers. */
export interface DeletedEvent {
  seq: number;
  eventIndex: number;
  /** When the recorder says it deleted the file (its clock), null when the time was invalid. */
  epochMs: number | null;
}

/** The 004 §12 reason the event log proves, for pre-filling a justification. */
export interface Prefill {
  reason: 'battery' | 'storage' | 'device_fault';
  /** Human-readable evidence: the event, its argument and its time. */
  evidence: string;
  /** The index of the proving event. */
  eventIndex: number;
}

/** A completeness finding. */
export interface GapFinding {
  kind: 'gap' | 'seq_missing';
  /**
   * For `gap`: the last seq before the break (null only for an activity gap before its first recording).
   * For `seq_missing`: the first missing seq.
   */
  seqFrom: number | null;
  /**
   * For `gap`: the first seq after the break (null only for an activity gap after its last recording).
   * For `seq_missing`: the last missing seq (inclusive).
   */
  seqTo: number | null;
  /** Start of the uncovered time, when known. */
  fromEpochMs?: number;
  /** End of the uncovered time, when known. */
  toEpochMs?: number;
  detail: string;
  /** `seq_missing`: FILE_DELETED events naming any of the missing seq numbers. */
  deletedEvents?: DeletedEvent[];
  prefill?: Prefill;
}

/** Options of the completeness checks; defaults in brackets. */
export interface GapOptions {
  /** Longest allowed pause between a segment's end and the next one's start [1000 ms]. */
  maxSegmentGapMs?: number;
  /** How long before a gap a BATTERY_LOW/STORAGE_FULL/DEVICE_FAULT still explains it [10 min]. */
  prefillWindowMs?: number;
  /** Zone the `detail` texts show times in [UTC]. */
  timezone?: string;
}

const isPhoto = (f: CatalogItem) => (f.flags & FileFlags.PHOTO) !== 0;
const continues = (f: CatalogItem) => (f.flags & FileFlags.CONTINUES) !== 0;
const endOf = (f: CatalogItem) => (f.startEpochMs === null ? null : f.startEpochMs + f.durationMs);

/** Events whose argument is a seq. */
const SEQ_EVENTS = new Set<number>([EventCode.REC_START, EventCode.REC_STOP, EventCode.FILE_DELETED, EventCode.MARK_IMPORTANT]);

/**
 * Finds breaks in continuous recordings and sequence holes in one recorder's catalog.
 *
 * - `gap` (a): a file flagged CONTINUES whose next seq is absent, is a photo, or starts more than
 *   `maxSegmentGapMs` after the file's end. A CLOCK_SET logged between the two moves the expected start by
 *   its argument. The gap runs from the file's end to the start of the next recording file, when there is one.
 * - `seq_missing` (b): runs of seq numbers that never arrived, from `lastKnownSeq + 1` (the highest seq this
 *   dock stored before; else the catalog's lowest) to the highest seq the catalog or the event log names
 *   (REC_START, REC_STOP, FILE_DELETED, MARK_IMPORTANT), so a deleted last file is found too. Holes are purely
 *   numeric: seqs are shared by videos, audio and photos and never reused. FILE_DELETED events naming a
 *   missing seq are listed with their time.
 *
 * Findings come sorted by seq; each has a `prefill` when the event log proves a 004 §12 reason
 * (not for seq holes that FILE_DELETED explains: a deletion is not a reason to stop recording).
 */
export function findCatalogGaps(input: {
  catalog: readonly CatalogItem[];
  events: readonly RecorderEvent[];
  lastKnownSeq: number | null;
  options?: GapOptions;
}): GapFinding[] {
  const opts = input.options ?? {};
  const maxGap = opts.maxSegmentGapMs ?? 1000;
  const zone = opts.timezone ?? 'UTC';
  const at = (t: number | null | undefined) => (t === null || t === undefined ? 'an unknown time' : toIsoInZone(t, zone));
  const events = byIndex(input.events);
  const files = [...input.catalog].sort((a, b) => a.seq - b.seq);
  const bySeq = new Map(files.map((f) => [f.seq, f]));
  const findings: GapFinding[] = [];

  const nextRecording = (seq: number) => files.find((f) => f.seq > seq && !isPhoto(f) && f.startEpochMs !== null);

  for (const f of files) {
    if (!continues(f)) continue;
    const next = bySeq.get(f.seq + 1);
    const end = endOf(f);
    if (!next || isPhoto(next)) {
      const resume = nextRecording(f.seq);
      const g: GapFinding = {
        kind: 'gap',
        seqFrom: f.seq,
        seqTo: resume ? resume.seq : f.seq + 1,
        detail: next
          ? `${f.name} continues, but seq ${f.seq + 1} is a photo, not the next segment`
          : `${f.name} continues, but its next segment (seq ${f.seq + 1}) is not on the recorder`,
      };
      if (end !== null) g.fromEpochMs = end;
      if (resume && resume.startEpochMs !== null && (end === null || resume.startEpochMs >= end)) g.toEpochMs = resume.startEpochMs;
      findings.push(g);
      continue;
    }
    if (end === null || next.startEpochMs === null) continue;
    const shifted = clockShiftBetween(events, end, next.startEpochMs);
    const pause = next.startEpochMs - end - shifted;
    if (pause > maxGap) {
      findings.push({
        kind: 'gap',
        seqFrom: f.seq,
        seqTo: next.seq,
        fromEpochMs: end,
        toEpochMs: next.startEpochMs,
        detail: `segment seq ${next.seq} starts ${(pause / 1000).toFixed(1)} s after seq ${f.seq} ended (${at(end)})`,
      });
    }
  }

  findings.push(...seqHoles(files, events, input.lastKnownSeq, at));

  for (const g of findings) {
    if (g.deletedEvents?.length) continue;
    const p = prefillFor({ fromEpochMs: g.fromEpochMs ?? null, toEpochMs: g.toEpochMs ?? null }, events, opts);
    if (p) g.prefill = p;
  }
  return findings.sort((a, b) => (a.seqFrom ?? -1) - (b.seqFrom ?? -1) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

/** Sum of the clock moves (CLOCK_SET) logged between two recorder times. */
function clockShiftBetween(events: readonly RecorderEvent[], from: number, to: number): number {
  let ms = 0;
  for (const e of events) {
    if (e.code === EventCode.CLOCK_SET && e.epochMs !== null && e.epochMs >= from - 1000 && e.epochMs <= to + 1000) {
      ms += signedArg(e) * 1000;
    }
  }
  return ms;
}

function seqHoles(
  files: readonly CatalogItem[],
  events: readonly RecorderEvent[],
  lastKnownSeq: number | null,
  at: (t: number | null | undefined) => string,
): GapFinding[] {
  const present = new Set(files.map((f) => f.seq));
  const named = events.filter((e) => SEQ_EVENTS.has(e.code)).map((e) => e.arg >>> 0);
  const low = lastKnownSeq !== null ? lastKnownSeq + 1 : files.length ? files[0]!.seq : null;
  if (low === null) return [];
  const high = Math.max(-1, ...files.map((f) => f.seq), ...named.filter((s) => s >= low));
  const out: GapFinding[] = [];
  let s = low;
  while (s <= high) {
    if (present.has(s)) {
      s++;
      continue;
    }
    const from = s;
    while (s + 1 <= high && !present.has(s + 1)) s++;
    const to = s;
    s++;
    const deleted: DeletedEvent[] = events
      .filter((e) => e.code === EventCode.FILE_DELETED && e.arg >>> 0 >= from && e.arg >>> 0 <= to)
      .map((e) => ({ seq: e.arg >>> 0, eventIndex: e.index, epochMs: e.epochMs }));
    const before = [...files].reverse().find((f) => f.seq < from);
    const after = files.find((f) => f.seq > to);
    const range = from === to ? `seq ${from} is` : `seq ${from}–${to} are`;
    let detail = `${range} missing`;
    if (deleted.length) detail += `; deleted on the recorder: ${deleted.map((d) => `seq ${d.seq} at ${at(d.epochMs)}`).join(', ')}`;
    const g: GapFinding = { kind: 'seq_missing', seqFrom: from, seqTo: to, detail };
    const fromT = before ? endOf(before) : null;
    if (fromT !== null) g.fromEpochMs = fromT;
    if (after?.startEpochMs !== null && after?.startEpochMs !== undefined && (fromT === null || after.startEpochMs >= fromT)) {
      g.toEpochMs = after.startEpochMs;
    }
    if (deleted.length) g.deletedEvents = deleted;
    out.push(g);
  }
  return out;
}

const PREFILL: ReadonlyMap<number, { reason: Prefill['reason']; label: (arg: number) => string }> = new Map([
  [EventCode.BATTERY_LOW, { reason: 'battery' as const, label: (a: number) => `BATTERY_LOW (battery ${a} %)` }],
  [EventCode.STORAGE_FULL, { reason: 'storage' as const, label: () => 'STORAGE_FULL' }],
  [EventCode.DEVICE_FAULT, { reason: 'device_fault' as const, label: (a: number) => `DEVICE_FAULT (fault code 0x${a.toString(16)})` }],
]);

/**
 * The 004 §12 reason the recorder's event log proves for an uncovered interval: a BATTERY_LOW,
 * STORAGE_FULL or DEVICE_FAULT event within `prefillWindowMs` (default 10 min) before the interval's start
 * or during it (when its end is unknown: up to the window after its start). Of several, the one closest to
 * the start wins (the likeliest cause). Null when the log proves nothing or the start is unknown.
 */
export function prefillFor(
  interval: { fromEpochMs: number | null; toEpochMs: number | null },
  events: readonly RecorderEvent[],
  opts: GapOptions = {},
): Prefill | null {
  const { fromEpochMs: from, toEpochMs: to } = interval;
  if (from === null) return null;
  const win = opts.prefillWindowMs ?? 600_000;
  const zone = opts.timezone ?? 'UTC';
  const until = to !== null && to >= from ? to : from + win;
  let best: RecorderEvent | null = null;
  for (const e of events) {
    if (!PREFILL.has(e.code) || e.epochMs === null) continue;
    if (e.epochMs < from - win || e.epochMs > until) continue;
    if (!best || Math.abs(e.epochMs - from) < Math.abs(best.epochMs! - from)) best = e;
  }
  if (!best) return null;
  const p = PREFILL.get(best.code)!;
  return {
    reason: p.reason,
    evidence: `recorder event #${best.index} ${p.label(best.arg >>> 0)} at ${toIsoInZone(best.epochMs!, zone)}`,
    eventIndex: best.index,
  };
}

/** An uncovered interval inside an activity. */
export interface Uncovered {
  fromEpochMs: number;
  toEpochMs: number;
}

/**
 * Time inside a declared enforcement activity that no recording covers (004 §8: recording runs from
 * arrival to departure). Recordings are unioned (overlaps and parallel recorders are fine); uncovered
 * stretches of at most `toleranceMs` (e.g. the seconds between switching on and a segment boundary) are
 * dropped. The start and end of the activity count: a recording that begins late leaves the arrival uncovered.
 */
export function activityCoverage(
  activity: { startEpochMs: number; endEpochMs: number },
  recordings: ReadonlyArray<{ startEpochMs: number; durationMs: number }>,
  toleranceMs: number,
): Uncovered[] {
  const { startEpochMs: a0, endEpochMs: a1 } = activity;
  if (!(a1 > a0)) return [];
  const spans = recordings
    .map((r) => ({ s: Math.max(a0, r.startEpochMs), e: Math.min(a1, r.startEpochMs + r.durationMs) }))
    .filter((x) => x.e > x.s)
    .sort((x, y) => x.s - y.s);
  const out: Uncovered[] = [];
  let cursor = a0;
  for (const x of spans) {
    if (x.s > cursor && x.s - cursor > toleranceMs) out.push({ fromEpochMs: cursor, toEpochMs: x.s });
    cursor = Math.max(cursor, x.e);
  }
  if (a1 > cursor && a1 - cursor > toleranceMs) out.push({ fromEpochMs: cursor, toEpochMs: a1 });
  return out;
}

/**
 * {@link activityCoverage} as `gap` findings: each names the recordings either side (`seqFrom`/`seqTo`,
 * null at the activity's start or end) and carries a `prefill` when the event log proves a reason.
 * Recordings and events must be on the same clock as the activity (corrected times).
 */
export function activityGaps(
  activity: { startEpochMs: number; endEpochMs: number; ref?: string },
  recordings: ReadonlyArray<{ seq: number; startEpochMs: number; durationMs: number }>,
  events: readonly RecorderEvent[],
  toleranceMs: number,
  options: GapOptions = {},
): GapFinding[] {
  const zone = options.timezone ?? 'UTC';
  const what = activity.ref ? `activity ${activity.ref}` : 'the activity';
  return activityCoverage(activity, recordings, toleranceMs).map((u) => {
    const before = recordings.filter((r) => r.startEpochMs + r.durationMs <= u.fromEpochMs).sort((x, y) => y.startEpochMs + y.durationMs - (x.startEpochMs + x.durationMs))[0];
    const after = recordings.filter((r) => r.startEpochMs >= u.toEpochMs).sort((x, y) => x.startEpochMs - y.startEpochMs)[0];
    const g: GapFinding = {
      kind: 'gap',
      seqFrom: before?.seq ?? null,
      seqTo: after?.seq ?? null,
      fromEpochMs: u.fromEpochMs,
      toEpochMs: u.toEpochMs,
      detail: `no recording of ${what} from ${toIsoInZone(u.fromEpochMs, zone)} to ${toIsoInZone(u.toEpochMs, zone)}`,
    };
    const p = prefillFor(u, events, options);
    if (p) g.prefill = p;
    return g;
  });
}
