import { reasonsFor } from '../policy/justification-reasons.js';
import type { Activity } from '../ledger/activities.js';
import type { Device } from '../ledger/devices.js';
import type { Finding } from '../ledger/findings.js';
import type { MediaProbeRecord } from '../ledger/media-probes.js';
import type { Recording } from '../ledger/recordings.js';
import type { DockingSession } from '../ledger/sessions.js';
import { mediaTypeOf } from '../ingest/media.js';

/** Ledger rows as the API shows them: times as ISO 8601 in the dock's zone. */
type Iso = (ms: number) => string;
const opt = (iso: Iso, ms: number | null) => (ms === null ? null : iso(ms));

export function deviceView(d: Device, iso: Iso, checkedOutTo: string | null) {
  return {
    serial: d.serial,
    idCode: d.idCode,
    firmware: d.firmware,
    status: d.status,
    docked: d.docked,
    lastDockedAt: opt(iso, d.lastDockedAtMs),
    lastUndockedAt: opt(iso, d.lastUndockedAtMs),
    lastSyncAt: opt(iso, d.lastSyncAtMs),
    battery: d.lastBattery,
    freeMiB: d.lastFreeMiB,
    totalMiB: d.lastTotalMiB,
    fileCount: d.lastFileCount,
    checkedOutTo,
  };
}

export function sessionView(s: DockingSession, iso: Iso) {
  const info = s.info as { userNo?: string } | null;
  return {
    id: s.id,
    serial: s.serial,
    port: s.portPath,
    startedAt: iso(s.startedAtMs),
    endedAt: opt(iso, s.endedAtMs),
    result: s.result,
    error: s.error,
    deviceTime: s.deviceTime,
    deviceTz: s.deviceTz,
    dockTime: opt(iso, s.dockTimeMs),
    driftMs: s.driftMs,
    driftUncertaintyMs: s.driftUncertaintyMs,
    dockSynced: s.dockSynced,
    clockSet: s.clockSet,
    battery: s.battery,
    freeMiB: s.freeMiB,
    totalMiB: s.totalMiB,
    filesTotal: s.filesTotal,
    filesStored: s.filesStored,
    filesSkipped: s.filesSkipped,
    filesErased: s.filesErased,
    bytesStored: s.bytesStored,
    manifestSha256: s.manifestSha256,
    officerNo: info?.userNo || null,
  };
}

/**
 * CONTRACT recording shape; `held`: under an unreleased hold (`ledger.holds.heldIds`); `probe`: what the file's
 * container said (issue 14): its `creation_time` is a second witness of the recorder's clock, shown beside the
 * drift measured at docking (`containerStartOffsetMs`: creation_time − the catalog's start, both the recorder's
 * clock, so about 0 when the two agree).
 */
export function recordingView(r: Recording, held = false, probe: MediaProbeRecord | null = null) {
  return {
    id: r.id,
    serial: r.serial,
    officerNo: r.officerNo,
    unitNo: r.unitNo,
    name: r.name,
    size: r.size,
    sha256: r.sha256,
    deviceSha256: r.deviceSha256,
    seq: r.seq,
    recordedStart: r.recordedStart,
    correctedStart: r.correctedStart,
    durationMs: r.durationMs,
    offloadedAt: r.offloadedAt,
    delayMs: r.delayMs,
    flags: r.flags,
    retainUntil: r.retainUntil,
    hold: held,
    sessionId: r.sessionId,
    manifestSessionId: r.manifestSessionId,
    checkoutId: r.checkoutId,
    mediaType: mediaTypeOf(r.name).type,
    evidenceNo: r.evidenceNo,
    confidential: r.confidential,
    driftMs: r.driftMs,
    containerCreationTime: probe?.creationTime ?? null,
    containerStartOffsetMs: probe?.creationTimeMs != null && r.recordedStartMs !== null ? probe.creationTimeMs - r.recordedStartMs : null,
    containerDurationMs: probe?.durationMs ?? null,
  };
}

export function findingView(f: Finding, iso: Iso) {
  return {
    id: f.id,
    kind: f.kind,
    state: f.state,
    serial: f.serial,
    recordingId: f.recordingId,
    sessionId: f.sessionId,
    seqFrom: f.seqFrom,
    seqTo: f.seqTo,
    from: opt(iso, f.fromMs),
    to: opt(iso, f.toMs),
    officerNo: f.officerNo,
    detail: f.detail,
    prefillReason: f.prefillReason,
    prefillEvidence: f.prefillEvidence,
    reason: f.reason,
    text: f.text,
    justifiedBy: f.justifiedBy,
    justifiedAt: opt(iso, f.justifiedAtMs),
    decidedBy: f.decidedBy,
    decidedAt: opt(iso, f.decidedAtMs),
    decisionText: f.decisionText,
    returnedAt: opt(iso, f.returnedAtMs),
    createdAt: iso(f.createdAtMs),
    /** The reasons that fit this kind of finding: the ones the console offers and the dock accepts. */
    reasons: [...reasonsFor(f.kind)],
  };
}

export function activityView(a: Activity, iso: Iso) {
  return { id: a.id, officerNo: a.officerNo, start: a.start, end: a.end, caseRef: a.caseRef, title: a.title, createdBy: a.createdBy, createdAt: iso(a.createdAtMs) };
}
