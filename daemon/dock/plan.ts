import { EventCode } from '../../firmware-protocol/codec/constants.js';
import { epochFromDeviceTime } from '../../firmware-protocol/codec/fields.js';
import type { EventEntry, FileEntry, Hello, InfoBlock } from '../../firmware-protocol/codec/payloads.js';
import type { TimedClockReading } from '../../firmware-protocol/client/client.js';
import { checkCatalogName, parseSpecName } from '../ingest/names.js';
import type { PlannedRecording } from '../ingest/offload.js';
import type { Checkout } from '../ledger/checkouts.js';
import type { StoredDeviceEvent } from '../ledger/device-events.js';
import type { NewFinding } from '../ledger/findings.js';
import { buildDriftModel, classifyDrift, eventIndexForSeq, isPlausibleDeviceTime, measureDrift, type DriftModel } from '../policy/clock.js';
import { toRecorderEvent, type RecorderEvent } from '../policy/events.js';
import { findCatalogGaps } from '../policy/gaps.js';
import { offloadDeadline } from '../policy/offload-deadline.js';
import { retainUntil } from '../policy/retention.js';
import { recorderIso } from '../policy/time-format.js';

export interface ClockPlan {
  raw: string;
  tz: number;
  readable: boolean;
  deviceIso: string | null;
  dockTimeMs: number;
  driftMs: number | null;
  uncertaintyMs: number | null;
  dockSynced: boolean;
}

/** What the recorder said at docking. */
export interface PlanInput {
  sessionId: string;
  hello: Hello;
  info: InfoBlock;
  clock: TimedClockReading;
  events: EventEntry[];
  eventsTotal: number;
  catalog: FileEntry[];
}

/** What the ledger knew before the planner ran, read by the session (the planner reads nothing itself). */
export interface LedgerFacts {
  /** The recorder's event log as read at earlier dockings. */
  storedEvents: StoredDeviceEvent[];
  /** When the dock last set this recorder's clock, and the drift it measured just before. */
  lastSync: { atMs: number; driftBeforeMs: number | null } | null;
  /** Highest seq stored from this recorder. */
  lastKnownSeq: number | null;
  /** Catalog entries already stored, by `catalogKey`. */
  stored: ReadonlySet<string>;
  /** The recorder's checkouts (any order). */
  checkouts: ReadonlyArray<Pick<Checkout, 'id' | 'officerNo' | 'outAtMs' | 'inAtMs'>>;
  /** Unit of each officer the planner may name (absent: not in the ledger). */
  officerUnits: ReadonlyMap<string, string | null>;
}

/** The dock's side: its clock and the rules from its config. */
export interface PlanEnv {
  nowMs: number;
  synced: boolean;
  timezone: string;
  retentionMonths: number;
  driftWarnMs: number;
  driftFaultMs: number;
  /** ISO 8601 in the dock's zone. */
  iso(ms: number): string;
}

/** One file to copy, with every ledger field of its recording-to-be. */
export interface CopyItem {
  entry: FileEntry;
  recording: PlannedRecording;
  late: boolean;
  delayMs: number | null;
}

/** The decisions of one docking, as data: the session applies them through the ledger's repositories. */
export interface DockingPlan {
  clock: ClockPlan;
  catalogSize: number;
  /** Catalog entries already stored (not copied again). */
  skipped: number;
  /** Events to keep (new and old alike: the ledger keeps an index once), the zone they were read in, and the last index. */
  events: { rows: EventEntry[]; tz: number; lastIndex: number | null };
  /** Findings of the docking itself (clock, completeness, odd catalog entries), raised with the readings. */
  findings: NewFinding[];
  toCopy: CopyItem[];
  /** Catalog entries already stored on the dock (candidates for erasing). */
  erasable: FileEntry[];
  /** Every finding kind this docking raises before copying (the slot shows them). */
  findingKinds: string[];
}

/** The key under which `LedgerFacts.stored` names a catalog entry. */
export function catalogKey(e: Pick<FileEntry, 'seq' | 'name' | 'size' | 'sha256'>): string {
  return `${e.seq}\u0000${e.name}\u0000${e.size}\u0000${e.sha256 ?? ''}`;
}

/** The officers the planner may look up, so the session can read their units before planning. */
export function officersToLookUp(input: Pick<PlanInput, 'info' | 'catalog'>, checkouts: LedgerFacts['checkouts']): string[] {
  const out = new Set<string>();
  if (input.info.userNo) out.add(input.info.userNo);
  for (const e of input.catalog) {
    const n = parseSpecName(e.name);
    if (n?.userNo) out.add(n.userNo);
  }
  for (const c of checkouts) out.add(c.officerNo);
  return [...out];
}

/** The catalog entries whose stored copy the session must look up (safe names and sizes only). */
export function entriesToLookUp(catalog: FileEntry[]): FileEntry[] {
  return catalog.filter((e) => checkCatalogName(e.name).ok && e.size <= BigInt(Number.MAX_SAFE_INTEGER));
}

/** The checkout covering an instant: taken out at or before it and not returned before it, latest first. */
export function coveringCheckout<C extends Pick<Checkout, 'outAtMs' | 'inAtMs'>>(checkouts: ReadonlyArray<C>, atMs: number): C | null {
  let best: C | null = null;
  for (const c of checkouts) {
    if (c.outAtMs <= atMs && (c.inAtMs === null || c.inAtMs >= atMs) && (best === null || c.outAtMs > best.outAtMs)) best = c;
  }
  return best;
}

/** The offload month folder: footage/<serial>/<YYYY-MM of the offload in the dock's zone>. */
function storedDir(env: PlanEnv, serial: string): string {
  return `footage/${serial}/${env.iso(env.nowMs).slice(0, 7)}`;
}

/**
 * Turn what the recorder said at docking, and what the ledger knew, into decisions: the clock measurement
 * and drift model, which catalog entries to copy (with every ledger field of their recording), and the
 * findings of this docking. Pure: same input, same plan; it reads and writes nothing.
 */
export function planDocking(input: PlanInput, facts: LedgerFacts, env: PlanEnv): DockingPlan {
  const { hello, info, clock: reading, catalog } = input;
  const serial = hello.serial;
  const now = env.nowMs;
  const synced = env.synced;
  const tz = reading.tz;
  const findings: NewFinding[] = [];
  const raise = (f: NewFinding) => findings.push({ serial, sessionId: input.sessionId, ...f });

  // ---- the clock
  const deviceMs = reading.time ? epochFromDeviceTime(reading.time, tz) + reading.ms : null;
  const m = deviceMs !== null ? measureDrift({ deviceEpochMs: deviceMs, sentAtMs: reading.sentAt, receivedAtMs: reading.receivedAt }) : null;
  const readable = deviceMs !== null && isPlausibleDeviceTime(deviceMs, now);
  const clock: ClockPlan = {
    raw: reading.raw,
    tz,
    readable,
    deviceIso: reading.time ? recorderIso(reading.time, tz, reading.ms) : null,
    dockTimeMs: m?.dockTimeMs ?? now,
    driftMs: m?.driftMs ?? null,
    uncertaintyMs: m?.uncertaintyMs ?? null,
    dockSynced: synced,
  };
  const newEvents = input.events.map((e) => toRecorderEvent(e, tz));
  const storedEvents = facts.storedEvents.map((r): RecorderEvent => {
    const t = parseTime(r.timeRaw);
    return { index: r.index, code: r.code, arg: r.arg, epochMs: t ? epochFromDeviceTime(t, r.tz ?? tz) : null };
  });
  const known = new Set(storedEvents.map((e) => e.index));
  const allEvents = [...storedEvents, ...newEvents.filter((e) => !known.has(e.index))];
  let model: DriftModel | null = null;
  if (m) {
    const last = facts.lastSync;
    model = buildDriftModel({
      docking: m,
      lastSync: last ? { dockTimeMs: last.atMs, driftMs: 0, ...(last.driftBeforeMs !== null ? { driftBeforeMs: last.driftBeforeMs } : {}) } : null,
      events: allEvents,
    });
  }
  if (!synced) {
    raise({
      kind: 'dock_unsynced',
      detail: 'the dock clock is not synchronised: drift recorded, no time corrected, recorder clock not set',
      dedupeKey: `dock_unsynced:${env.iso(now).slice(0, 10)}`,
    });
  }
  if (m && readable) {
    const cls = classifyDrift(m.driftMs, { warnMs: env.driftWarnMs, faultMs: env.driftFaultMs });
    if (cls !== 'ok') raise({ kind: 'drift', detail: `recorder clock off by ${(m.driftMs / 1000).toFixed(1)} s (±${m.uncertaintyMs} ms): ${cls}` });
  }
  const newLost = newEvents.filter((e) => e.code === EventCode.CLOCK_LOST);
  if (!readable || newLost.length > 0) {
    raise({
      kind: 'clock_reset',
      detail: !readable ? `recorder clock reads "${reading.raw}", not a plausible time: its recordings' times cannot be corrected` : `recorder logged CLOCK_LOST (event ${newLost.map((e) => e.index).join(', ')})`,
    });
  }

  // ---- completeness
  const gapItems = catalog.map((f) => ({ seq: f.seq, name: f.name, startEpochMs: f.start ? epochFromDeviceTime(f.start, tz) : null, durationMs: f.durationMs, flags: f.flags }));
  for (const g of findCatalogGaps({ catalog: gapItems, events: allEvents, lastKnownSeq: facts.lastKnownSeq, options: { timezone: env.timezone } })) {
    raise({
      kind: g.kind,
      detail: g.detail,
      seqFrom: g.seqFrom,
      seqTo: g.seqTo,
      fromMs: g.fromEpochMs ?? null,
      toMs: g.toEpochMs ?? null,
      officerNo: info.userNo || null,
      prefillReason: g.prefill?.reason ?? null,
      prefillEvidence: g.prefill?.evidence ?? null,
      dedupeKey: `${g.kind}:${serial}:${g.seqFrom}:${g.seqTo}`,
    });
  }

  // ---- what to copy
  const toCopy: CopyItem[] = [];
  const erasable: FileEntry[] = [];
  let skipped = 0;
  for (const entry of catalog) {
    const name = checkCatalogName(entry.name);
    if (!name.ok) {
      raise({ kind: 'bad_name', detail: `catalog entry seq ${entry.seq} "${entry.name}": ${name.problem}; not copied, kept on the recorder`, seqFrom: entry.seq, seqTo: entry.seq, dedupeKey: `bad_name:${serial}:${entry.seq}:${entry.name}` });
      continue;
    }
    if (entry.size > BigInt(Number.MAX_SAFE_INTEGER)) {
      raise({ kind: 'size_mismatch', detail: `catalog entry seq ${entry.seq} "${entry.name}" claims ${entry.size} bytes; not copied, kept on the recorder`, seqFrom: entry.seq, seqTo: entry.seq, dedupeKey: `bad_size:${serial}:${entry.seq}` });
      continue;
    }
    if (facts.stored.has(catalogKey(entry))) {
      skipped++;
      erasable.push(entry);
      continue;
    }
    const flags: string[] = [];
    if (!name.conforming) flags.push('bad_name');
    const recordedMs = entry.start ? epochFromDeviceTime(entry.start, tz) : null;
    const recordedPlausible = recordedMs !== null && isPlausibleDeviceTime(recordedMs, now);
    let correctedMs: number | null = null;
    let driftMs: number | null = null;
    let uncMs: number | null = null;
    if (model) {
      const c = model.correct(recordedMs, { eventIndex: eventIndexForSeq(entry.seq, allEvents) });
      if (c.reason === 'clock_reset' || c.reason === 'implausible') flags.push('clock_reset');
      else if (synced) {
        correctedMs = c.correctedEpochMs;
        driftMs = c.driftMs;
        uncMs = c.uncertaintyMs;
      }
    } else if (!recordedPlausible) flags.push('clock_reset');
    if (!synced) flags.push('dock_unsynced');
    const timeMs = correctedMs ?? (recordedPlausible && !flags.includes('clock_reset') ? recordedMs : null);

    // The officer: the ledger's checkout covering the recording, else the recorder's INFO block.
    const specName = parseSpecName(entry.name);
    const checkout = timeMs !== null ? coveringCheckout(facts.checkouts, timeMs) : null;
    let officerNo: string | null;
    if (checkout) {
      officerNo = checkout.officerNo;
      const claimed = [info.userNo, specName?.userNo].filter((x): x is string => !!x);
      if (claimed.some((c) => c !== checkout.officerNo)) flags.push('wrong_officer');
    } else {
      officerNo = info.userNo || specName?.userNo || null;
      flags.push('no_checkout');
    }
    const unitNo = (officerNo && facts.officerUnits.get(officerNo)) || info.unitNo || null;

    const endMs = timeMs !== null ? timeMs + entry.durationMs : null;
    let late = false;
    let delayMs: number | null = null;
    if (endMs !== null) {
      const d = offloadDeadline({ recordingEndEpochMs: endMs, offloadedAtEpochMs: now, timezone: env.timezone });
      late = d.late;
      delayMs = d.delayMs;
      if (late) flags.push('late_offload');
    }
    const retention = retainUntil(timeMs ?? now, env.retentionMonths, env.timezone);
    toCopy.push({
      entry,
      late,
      delayMs,
      recording: {
        serial,
        seq: entry.seq,
        name: name.basename,
        devicePath: entry.name,
        deviceSha256: entry.sha256,
        fileFlags: entry.flags,
        recordedStart: entry.start ? recorderIso(entry.start, tz) : null,
        recordedStartMs: recordedMs,
        correctedStart: correctedMs !== null ? env.iso(correctedMs) : null,
        correctedStartMs: correctedMs,
        driftMs,
        driftUncertaintyMs: uncMs,
        durationMs: entry.durationMs,
        offloadedAt: env.iso(now),
        offloadedAtMs: now,
        delayMs,
        sessionId: input.sessionId,
        officerNo,
        unitNo,
        checkoutId: checkout?.id ?? null,
        retainUntil: retention.iso,
        retainUntilMs: retention.epochMs,
        flags,
        storedDir: storedDir(env, serial),
        storedName: name.basename,
        catalogSize: Number(entry.size),
      },
    });
  }

  return {
    clock,
    catalogSize: catalog.length,
    skipped,
    events: { rows: input.events, tz, lastIndex: input.eventsTotal > 0 ? input.eventsTotal - 1 : null },
    findings,
    toCopy,
    erasable,
    findingKinds: [...new Set(findings.map((f) => f.kind))],
  };
}

/** Flags the copy itself adds to a recording: what the volume held contradicts the catalog. */
export function flagsAfterCopy(entry: Pick<FileEntry, 'sha256' | 'size'>, sha256: string, size: number): string[] {
  const out: string[] = [];
  if (entry.sha256 !== null && entry.sha256 !== sha256) out.push('hash_mismatch');
  if (BigInt(size) !== entry.size) out.push('size_mismatch');
  return out;
}

/** The findings one stored recording raises (in the same transaction as its row). */
export function findingsAfterStore(item: CopyItem, info: Pick<InfoBlock, 'userNo'>, stored: { recordingId: number; sha256: string; size: number }): NewFinding[] {
  const { entry, recording: r } = item;
  const out: NewFinding[] = [];
  const add = (kind: string, detail: string) =>
    out.push({ kind, detail, serial: r.serial, recordingId: stored.recordingId, sessionId: r.sessionId, seqFrom: entry.seq, seqTo: entry.seq, officerNo: r.officerNo, dedupeKey: `${kind}:${r.serial}:${entry.seq}:${stored.sha256}` });
  if (entry.sha256 !== null && entry.sha256 !== stored.sha256) add('hash_mismatch', `${entry.name}: stored SHA-256 ${stored.sha256} differs from the recorder's capture hash ${entry.sha256}; kept on the recorder`);
  if (BigInt(stored.size) !== entry.size) add('size_mismatch', `${entry.name}: catalog says ${entry.size} bytes, the volume held ${stored.size}; kept on the recorder`);
  if (item.late) add('late_offload', `${entry.name} offloaded ${Math.round((item.delayMs ?? 0) / 3600_000)} h after it ended, past the same-day rule (004 §13)`);
  if (r.flags.includes('wrong_officer')) add('wrong_officer', `${entry.name}: the recorder names officer ${info.userNo || '?'}, the ledger's checkout says ${r.officerNo}`);
  if (r.flags.includes('no_checkout')) add('no_checkout', `${entry.name}: recorded outside any checkout of ${r.serial} (004 §5, §18)`);
  return out;
}

/**
 * The recorder's three statements of who it is: HELLO's serial, the INFO block's serial and the serial in
 * each spec-conforming catalog name. When they disagree nothing may be attributed to either serial: the
 * session stops before copying with an `identity_mismatch` finding naming all three.
 */
export function identityConflict(hello: Pick<Hello, 'serial'>, info: Pick<InfoBlock, 'serial'>, catalog: ReadonlyArray<Pick<FileEntry, 'name'>>): { detail: string; nameSerials: string[] } | null {
  const nameSerials = [...new Set(catalog.map((e) => serialInName(e.name)).filter((s): s is string => !!s))].sort();
  const infoSerial = info.serial;
  const agree = infoSerial === hello.serial && nameSerials.every((s) => s === hello.serial);
  if (agree) return null;
  const names = nameSerials.length > 0 ? nameSerials.map((s) => `"${s}"`).join(', ') : 'none';
  return {
    nameSerials,
    detail: `the recorder contradicts itself: HELLO says serial "${hello.serial}", its INFO block says "${infoSerial}", its file names say ${names}; nothing copied, nothing erased`,
  };
}

/**
 * The serial a catalog name states: the spec's, or the first field of a base name laid out as the spec's
 * `<serial>_<userNo>_<time>_<seq>` whatever its folder, extension or case (such a file is copied, flagged
 * `bad_name`, and must not carry another recorder's serial past the identity check).
 */
const NEAR_SPEC_BASENAME = /^([A-Za-z0-9]{1,8})_\d{6}_\d{14}_\d+(?:_IMP)?(?:\.[A-Za-z0-9]+)?$/i;
function serialInName(name: string): string | null {
  const spec = parseSpecName(name);
  if (spec) return spec.serial;
  return NEAR_SPEC_BASENAME.exec(name.split('/').pop() ?? '')?.[1] ?? null;
}

function parseTime(raw: string) {
  if (!/^\d{14}$/.test(raw)) return null;
  return { year: +raw.slice(0, 4), month: +raw.slice(4, 6), day: +raw.slice(6, 8), hour: +raw.slice(8, 10), minute: +raw.slice(10, 12), second: +raw.slice(12, 14) };
}
