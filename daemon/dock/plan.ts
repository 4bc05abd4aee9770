import { EventCode } from '../../firmware-protocol/codec/constants.js';
import { epochFromDeviceTime } from '../../firmware-protocol/codec/fields.js';
import type { EventEntry, FileEntry, Hello, InfoBlock, RecorderStatus } from '../../firmware-protocol/codec/payloads.js';
import type { TimedClockReading } from '../../firmware-protocol/client/client.js';
import { checkCatalogName, parseSpecName } from '../ingest/names.js';
import type { PlannedRecording } from '../ingest/offload.js';
import type { Device } from '../ledger/devices.js';
import type { NewFinding } from '../ledger/findings.js';
import { buildDriftModel, classifyDrift, eventIndexForSeq, isPlausibleDeviceTime, measureDrift, type DriftModel } from '../policy/clock.js';
import { toRecorderEvent, type RecorderEvent } from '../policy/events.js';
import { findCatalogGaps } from '../policy/gaps.js';
import { offloadDeadline } from '../policy/offload-deadline.js';
import { retainUntil } from '../policy/retention.js';
import { recorderIso } from '../policy/time-format.js';
import type { DockContext } from './context.js';

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

export interface CatalogPlan {
  clock: ClockPlan;
  catalogSize: number;
  skipped: number;
  toCopy: Array<{ entry: FileEntry; plan: PlannedRecording }>;
  /** Catalog entries already stored on the dock (candidates for erasing). */
  erasable: FileEntry[];
  findingKinds: string[];
  /** Inside the readings transaction: events, event index, clock and completeness findings. */
  commitReadings(): void;
  flagsAfterCopy(entry: FileEntry, sha256: string, size: number): string[];
  /** Inside the store transaction of one recording: raise its findings; returns their kinds. */
  afterStore(entry: FileEntry, recordingId: number, sha256: string, size: number): string[];
}

export interface PlanInput {
  sessionId: string;
  hello: Hello;
  info: InfoBlock;
  status: RecorderStatus;
  clock: TimedClockReading;
  events: EventEntry[];
  eventsTotal: number;
  catalog: FileEntry[];
  previous: Device | null;
}

/** The offload month folder: footage/<serial>/<YYYY-MM of the offload in the dock's zone>. */
function storedDir(ctx: DockContext, serial: string, atMs: number): string {
  return `footage/${serial}/${ctx.iso(atMs).slice(0, 7)}`;
}

/**
 * Turn what the recorder said at docking into decisions: the clock measurement and drift model, which
 * catalog entries to copy (with every ledger field of their recording), and the findings of this docking.
 */
export function planCatalog(ctx: DockContext, input: PlanInput): CatalogPlan {
  const { hello, info, clock: reading, catalog } = input;
  const serial = hello.serial;
  const now = ctx.clock.now();
  const synced = ctx.clock.synced();
  const tz = reading.tz;
  const findings: NewFinding[] = [];
  const kinds = new Set<string>();
  const raise = (f: NewFinding) => {
    findings.push(f);
    kinds.add(f.kind);
  };

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
  const storedEvents = (
    ctx.ledger.db.prepare('SELECT idx, time_raw, code, arg, tz FROM device_events WHERE serial = ? ORDER BY idx').all(serial) as Array<{ idx: number; time_raw: string; code: number; arg: number; tz: number | null }>
  ).map((r): RecorderEvent => {
    const t = parseTime(r.time_raw);
    return { index: r.idx, code: r.code, arg: r.arg, epochMs: t ? epochFromDeviceTime(t, r.tz ?? tz) : null };
  });
  const known = new Set(storedEvents.map((e) => e.index));
  const allEvents = [...storedEvents, ...newEvents.filter((e) => !known.has(e.index))];
  let model: DriftModel | null = null;
  if (m) {
    // The dock's previous SET_TIME of this recorder, and what that docking measured before setting it.
    const prev = ctx.ledger.db
      .prepare('SELECT dock_time_ms, drift_ms FROM sessions WHERE serial = ? AND clock_set = 1 AND id != ? ORDER BY started_at_ms DESC LIMIT 1')
      .get(serial, input.sessionId) as { dock_time_ms: number | null; drift_ms: number | null } | undefined;
    const prevSync = input.previous?.lastSyncAtMs ?? null;
    model = buildDriftModel({
      docking: m,
      lastSync: prevSync !== null ? { dockTimeMs: prevSync, driftMs: 0, ...(prev?.drift_ms != null ? { driftBeforeMs: prev.drift_ms } : {}) } : null,
      events: allEvents,
    });
  }
  if (!synced) {
    raise({
      kind: 'dock_unsynced',
      detail: 'the dock clock is not synchronised: drift recorded, no time corrected, recorder clock not set',
      dedupeKey: `dock_unsynced:${ctx.iso(now).slice(0, 10)}`,
    });
  }
  if (m && readable) {
    const cls = classifyDrift(m.driftMs, { warnMs: ctx.config.clock.driftWarnMs, faultMs: ctx.config.clock.driftFaultMs });
    if (cls !== 'ok') raise({ kind: 'drift', detail: `recorder clock off by ${(m.driftMs / 1000).toFixed(1)} s (±${m.uncertaintyMs} ms): ${cls}`, sessionId: input.sessionId });
  }
  const newLost = newEvents.filter((e) => e.code === EventCode.CLOCK_LOST);
  if (!readable || newLost.length > 0) {
    raise({
      kind: 'clock_reset',
      detail: !readable ? `recorder clock reads "${reading.raw}", not a plausible time: its recordings' times cannot be corrected` : `recorder logged CLOCK_LOST (event ${newLost.map((e) => e.index).join(', ')})`,
      sessionId: input.sessionId,
    });
  }

  // ---- completeness
  const lastKnownSeq = ctx.ledger.recordings.maxSeq(serial);
  const gapItems = catalog.map((f) => ({ seq: f.seq, name: f.name, startEpochMs: f.start ? epochFromDeviceTime(f.start, tz) : null, durationMs: f.durationMs, flags: f.flags }));
  for (const g of findCatalogGaps({ catalog: gapItems, events: allEvents, lastKnownSeq, options: { timezone: ctx.config.timezone } })) {
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
  const toCopy: CatalogPlan['toCopy'] = [];
  const erasable: FileEntry[] = [];
  let skipped = 0;
  const perFile = new Map<string, { flags: string[]; officerNo: string | null; late: boolean; delayMs: number | null; corrected: string | null }>();
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
    const size = Number(entry.size);
    if (ctx.ledger.recordings.findStored(serial, entry.seq, size, entry.sha256, entry.name)) {
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
    const checkout = timeMs !== null ? ctx.ledger.checkouts.covering(serial, timeMs) : null;
    let officerNo: string | null;
    if (checkout) {
      officerNo = checkout.officerNo;
      const claimed = [info.userNo, specName?.userNo].filter((x): x is string => !!x);
      if (claimed.some((c) => c !== checkout.officerNo)) flags.push('wrong_officer');
    } else {
      officerNo = info.userNo || specName?.userNo || null;
      flags.push('no_checkout');
    }
    const unitNo = (officerNo && ctx.ledger.officers.get(officerNo)?.unitNo) || info.unitNo || null;

    const endMs = timeMs !== null ? timeMs + entry.durationMs : null;
    let late = false;
    let delayMs: number | null = null;
    if (endMs !== null) {
      const d = offloadDeadline({ recordingEndEpochMs: endMs, offloadedAtEpochMs: now, timezone: ctx.config.timezone });
      late = d.late;
      delayMs = d.delayMs;
      if (late) flags.push('late_offload');
    }
    const retention = retainUntil(timeMs ?? now, ctx.config.retention.months, ctx.config.timezone);
    const plan: PlannedRecording = {
      serial,
      seq: entry.seq,
      name: name.basename,
      devicePath: entry.name,
      deviceSha256: entry.sha256,
      fileFlags: entry.flags,
      recordedStart: entry.start ? recorderIso(entry.start, tz) : null,
      recordedStartMs: recordedMs,
      correctedStart: correctedMs !== null ? ctx.iso(correctedMs) : null,
      correctedStartMs: correctedMs,
      driftMs,
      driftUncertaintyMs: uncMs,
      durationMs: entry.durationMs,
      offloadedAt: ctx.iso(now),
      offloadedAtMs: now,
      delayMs,
      sessionId: input.sessionId,
      officerNo,
      unitNo,
      checkoutId: checkout?.id ?? null,
      retainUntil: retention.iso,
      retainUntilMs: retention.epochMs,
      flags,
      storedDir: storedDir(ctx, serial, now),
      storedName: name.basename,
      catalogSize: size,
    };
    perFile.set(`${entry.seq}:${entry.name}`, { flags, officerNo, late, delayMs, corrected: plan.correctedStart });
    toCopy.push({ entry, plan });
  }

  return {
    clock,
    catalogSize: catalog.length,
    skipped,
    toCopy,
    erasable,
    findingKinds: [...kinds],
    commitReadings() {
      const ins = ctx.ledger.db.prepare('INSERT OR IGNORE INTO device_events (serial, idx, time_raw, code, arg, session_id, tz) VALUES (?,?,?,?,?,?,?)');
      for (const e of input.events) ins.run(serial, e.index, e.timeRaw, e.code, e.arg, input.sessionId, tz);
      if (input.eventsTotal > 0) ctx.ledger.devices.setLastEventIndex(serial, input.eventsTotal - 1);
      for (const f of findings) {
        const r = ctx.ledger.findings.raise({ serial, sessionId: input.sessionId, ...f }, now);
        if (r.created) ctx.ledger.audit.append(now, 'dock', 'finding.raised', String(r.id), { kind: f.kind, serial });
      }
    },
    flagsAfterCopy(entry, sha256, size) {
      const out: string[] = [];
      if (entry.sha256 !== null && entry.sha256 !== sha256) out.push('hash_mismatch');
      if (BigInt(size) !== entry.size) out.push('size_mismatch');
      return out;
    },
    afterStore(entry, recordingId, sha256, size) {
      const meta = perFile.get(`${entry.seq}:${entry.name}`);
      const at = ctx.clock.now();
      const raised: string[] = [];
      const add = (kind: string, detail: string, state?: 'info') => {
        raised.push(kind);
        const r = ctx.ledger.findings.raise(
          { kind, detail, serial, recordingId, sessionId: input.sessionId, seqFrom: entry.seq, seqTo: entry.seq, officerNo: meta?.officerNo ?? null, dedupeKey: `${kind}:${serial}:${entry.seq}:${sha256}`, ...(state ? { state } : {}) },
          at,
        );
        if (r.created) ctx.ledger.audit.append(at, 'dock', 'finding.raised', String(r.id), { kind, serial, seq: entry.seq });
      };
      if (entry.sha256 !== null && entry.sha256 !== sha256) add('hash_mismatch', `${entry.name}: stored SHA-256 ${sha256} differs from the recorder's capture hash ${entry.sha256}; kept on the recorder`);
      if (BigInt(size) !== entry.size) add('size_mismatch', `${entry.name}: catalog says ${entry.size} bytes, the volume held ${size}; kept on the recorder`);
      if (meta?.late) add('late_offload', `${entry.name} offloaded ${Math.round((meta.delayMs ?? 0) / 3600_000)} h after it ended, past the same-day rule (004 §13)`);
      if (meta?.flags.includes('wrong_officer')) add('wrong_officer', `${entry.name}: the recorder names officer ${info.userNo || '?'}, the ledger's checkout says ${meta.officerNo}`);
      if (meta?.flags.includes('no_checkout')) add('no_checkout', `${entry.name}: recorded outside any checkout of ${serial} (004 §5, §18)`);
      return raised;
    },
  };
}

function parseTime(raw: string) {
  if (!/^\d{14}$/.test(raw)) return null;
  return { year: +raw.slice(0, 4), month: +raw.slice(4, 6), day: +raw.slice(6, 8), hour: +raw.slice(8, 10), minute: +raw.slice(10, 12), second: +raw.slice(12, 14) };
}
