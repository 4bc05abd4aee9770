import type { Ledger } from '../../ledger/index.js';
import type { Recording } from '../../ledger/recordings.js';

/** One event in a recording's life, as a court reads it: when, what, who, and the facts that prove it. */
export interface CustodyEvent {
  at: string;
  atMs: number;
  /** recorded, stored, signed, flagged, catalogued, linked, confidential, unmarked, held, released, archived,
   * requested, approved, denied, viewed, thumbnail, copy, export, archive, kept, purged, refused */
  event: string;
  actor: string | null;
  text: string;
  detail: Record<string, unknown>;
}

export interface CustodyReport {
  dockId: string;
  generatedAt: string;
  generatedBy: string;
  recording: {
    id: number;
    evidenceNo: string | null;
    serial: string;
    seq: number;
    name: string;
    officerNo: string | null;
    unitNo: string | null;
    size: number;
    sha256: string;
    deviceSha256: string | null;
    recordedStart: string | null;
    correctedStart: string | null;
    durationMs: number;
    flags: string[];
    retainUntil: string;
    confidential: string | null;
    storedPath: string;
    manifestSessionId: string | null;
    purged: boolean;
  };
  events: CustodyEvent[];
}

/**
 * The chain of custody of one recording, from capture to now, from the ledger's own records: the recording row
 * (capture, storage with its hash), the signed manifest that lists it (its hash and place in the chain), every
 * entry of the access register (views, thumbnails, copies, exports, archive images), the requests naming it,
 * holds, archive discs, retention decisions, catalogue and confidentiality changes, refusals, and the tombstone
 * of a purge. Oldest first.
 */
export function custodyReport(ledger: Ledger, rec: Recording, a: { dockId: string; by: string; nowMs: number; iso: (ms: number) => string }): CustodyReport {
  const ev: CustodyEvent[] = [];
  const add = (atMs: number, event: string, actor: string | null, text: string, detail: Record<string, unknown> = {}) => ev.push({ at: a.iso(atMs), atMs, event, actor, text, detail });

  const startMs = rec.correctedStartMs ?? rec.recordedStartMs;
  if (startMs !== null) {
    add(startMs, 'recorded', rec.officerNo, `recorded on recorder ${rec.serial} (file ${rec.name}, seq ${rec.seq})`, { recordedStart: rec.recordedStart, correctedStart: rec.correctedStart, durationMs: rec.durationMs, driftMs: rec.driftMs, deviceSha256: rec.deviceSha256 });
  }
  const session = ledger.sessions.get(rec.sessionId);
  add(rec.offloadedAtMs, 'stored', 'dock', `stored read-only as ${rec.storedPath}, SHA-256 ${rec.sha256}, ${rec.size} bytes`, {
    sessionId: rec.sessionId,
    port: session?.portPath ?? null,
    sha256: rec.sha256,
    deviceSha256: rec.deviceSha256,
    size: rec.size,
  });
  for (const f of rec.flags) add(rec.offloadedAtMs, 'flagged', 'dock', `flagged ${f}`, { flag: f });
  if (rec.manifestSessionId) {
    const m = ledger.manifests.get(rec.manifestSessionId);
    if (m) add(m.createdAtMs, 'signed', 'dock', `listed in signed manifest ${m.sessionId} (no. ${m.seqno} of the chain), manifest SHA-256 ${m.sha256}`, { sessionId: m.sessionId, seqno: m.seqno, manifestSha256: m.sha256, prevManifestSha256: m.prevSha256 });
  }
  for (const x of ledger.access.list({ recordingId: rec.id, limit: 1_000_000 })) {
    const on = x.requestId !== null ? `request ${x.requestId}` : x.ground;
    add(x.atMs, x.kind, x.username, `${x.kind} by ${x.username} (${x.role}) on ground ${on}${x.requests > 1 ? `, ${x.requests} requests` : ''}`, { accessId: x.id, ground: x.ground, requestId: x.requestId });
  }
  for (const q of ledger.accessRequests.list({ recordingId: rec.id, limit: 1_000_000 })) {
    add(q.filedAtMs, 'requested', q.filedBy, `${q.kind} request ${q.id} filed${q.requester ? ` for ${q.requester}` : ''}${q.authority ? ` (${q.authority})` : ''}: ${q.purpose}`, { requestId: q.id, kind: q.kind, letterRef: q.letterRef });
    if (q.decidedAtMs !== null) {
      add(q.decidedAtMs, q.state, q.decidedBy, `request ${q.id} ${q.state} by ${q.decidedBy} (${q.decidedByRole})${q.expiresAt ? `, valid until ${q.expiresAt}` : ''}${q.decisionReason ? `: ${q.decisionReason}` : ''}`, {
        requestId: q.id,
        documentsChecked: q.documentsChecked,
      });
    }
  }
  for (const h of ledger.holds.list({ limit: 1000, recordingId: rec.id })) {
    add(h.placedAtMs, 'held', h.placedBy, `hold ${h.id} placed (${h.reason}, case ${h.caseRef})`, { holdId: h.id, reason: h.reason, caseRef: h.caseRef });
    if (h.releasedAtMs !== null) add(h.releasedAtMs, 'released', h.releasedBy, `hold ${h.id} released: ${h.releaseReason ?? ''}`, { holdId: h.id, confirmedBy: h.releaseConfirmedBy });
  }
  for (const d of ledger.archives.holding(rec.id)) add(d.createdAtMs, 'archived', d.createdBy, `written to archive disc ${d.id} (case ${d.caseRef})`, { archiveId: d.id, images: d.images.map((i) => i.sha256) });
  for (const d of ledger.retention.decisions(rec.id)) add(d.decidedAtMs, d.decision === 'keep' ? 'kept' : 'purge_decided', d.decidedBy, `${d.decision}${d.until ? ` until ${d.until}` : ''}: ${d.reason}`, { previousUntil: d.previousUntil, until: d.until });
  const AUDITED: Record<string, string> = {
    'recording.confidential_marked': 'confidential',
    'recording.confidential_unmarked': 'unmarked',
    'catalogue.linked': 'linked',
    'catalogue.noted': 'catalogued',
    'access.refused': 'refused',
  };
  for (const e of ledger.catalogue.auditOf(rec.id)) {
    const event = AUDITED[e.action];
    if (!event) continue;
    const d = (e.detail ?? {}) as Record<string, unknown>;
    const text =
      event === 'confidential' ? `marked confidential (${String(d.class)}): ${String(d.reason)}`
      : event === 'unmarked' ? `confidential mark (${String(d.class)}) removed`
      : event === 'linked' ? `linked to case ${String(d.caseNo)}`
      : event === 'refused' ? `refused to ${e.actor}: ${String(d.why)}`
      : 'content note, speakers or target noted';
    add(e.atMs, event, e.actor, text, d);
  }
  const t = ledger.tombstones.get(rec.id);
  if (t) add(t.atMs, 'purged', t.approvedBy, `purged (tombstone in manifest ${t.manifestSessionId}): ${t.reason}`, { manifestSessionId: t.manifestSessionId, sha256: t.sha256 });
  ev.sort((x, y) => x.atMs - y.atMs);
  return {
    dockId: a.dockId,
    generatedAt: a.iso(a.nowMs),
    generatedBy: a.by,
    recording: {
      id: rec.id,
      evidenceNo: rec.evidenceNo,
      serial: rec.serial,
      seq: rec.seq,
      name: rec.name,
      officerNo: rec.officerNo,
      unitNo: rec.unitNo,
      size: rec.size,
      sha256: rec.sha256,
      deviceSha256: rec.deviceSha256,
      recordedStart: rec.recordedStart,
      correctedStart: rec.correctedStart,
      durationMs: rec.durationMs,
      flags: rec.flags,
      retainUntil: rec.retainUntil,
      confidential: rec.confidential,
      storedPath: rec.storedPath,
      manifestSessionId: rec.manifestSessionId,
      purged: rec.purgedAtMs !== null,
    },
    events: ev,
  };
}
