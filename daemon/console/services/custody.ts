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
  /** The same in Chinese, as the PDF prints it. */
  textZh: string;
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
    officerName: string | null;
    unitNo: string | null;
    unitName: string | null;
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

/** `2026-03-09T08:00:00.000+08:00` as a Chinese reader writes it, `2026-03-09 08:00:00` (the report states the zone once). */
export const zhTime = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '') : '');

/** Events at the same millisecond in the order a life runs (a link places its hold first, a request precedes its use). */
const LIFE_ORDER: Record<string, number> = {
  recorded: 0, stored: 1, flagged: 2, signed: 3, catalogued: 4, confidential: 5, unmarked: 5, held: 6, linked: 7, requested: 8, approved: 9, denied: 9,
  refused: 10, view: 11, thumbnail: 11, copy: 11, export: 11, archive: 11, archived: 12, released: 13, kept: 14, purge_decided: 15, purged: 16,
};

/**
 * The chain of custody of one recording, from capture to now, from the ledger's own records: the recording row
 * (capture, storage with its hash), the signed manifest that lists it (its hash and place in the chain), every
 * entry of the access register (views, thumbnails, copies, exports, archive images), the requests naming it,
 * holds, archive discs, retention decisions, catalogue and confidentiality changes, refusals, and the tombstone
 * of a purge. Oldest first.
 */
export function custodyReport(ledger: Ledger, rec: Recording, a: { dockId: string; by: string; nowMs: number; iso: (ms: number) => string }): CustodyReport {
  const ev: CustodyEvent[] = [];
  const add = (atMs: number, event: string, actor: string | null, text: string, textZh: string, detail: Record<string, unknown> = {}) =>
    ev.push({ at: a.iso(atMs), atMs, event, actor, text, textZh, detail });
  const KINDS_ZH: Record<string, string> = { view: '查阅', copy: '复制', agency: '外单位调阅', party: '当事人或律师查阅', thumbnail: '截图', export: '导出', archive: '光盘镜像' };
  const ground = (g: string, rq: number | null) => (rq !== null ? `查阅申请 ${rq}` : g === 'own' ? '本人摄录' : g === 'oversight' ? '监督职责' : g);

  const startMs = rec.correctedStartMs ?? rec.recordedStartMs;
  if (startMs !== null) {
    add(startMs, 'recorded', rec.officerNo, `recorded on recorder ${rec.serial} (file ${rec.name}, seq ${rec.seq})`, `执法记录仪 ${rec.serial} 摄录，文件 ${rec.name}，序号 ${rec.seq}`, { recordedStart: rec.recordedStart, correctedStart: rec.correctedStart, durationMs: rec.durationMs, driftMs: rec.driftMs, deviceSha256: rec.deviceSha256 });
  }
  const session = ledger.sessions.get(rec.sessionId);
  add(rec.offloadedAtMs, 'stored', 'dock', `stored read-only as ${rec.storedPath}, SHA-256 ${rec.sha256}, ${rec.size} bytes`, `只读存储为 ${rec.storedPath}，${rec.size} 字节，SHA-256 ${rec.sha256}`, {
    sessionId: rec.sessionId,
    port: session?.portPath ?? null,
    sha256: rec.sha256,
    deviceSha256: rec.deviceSha256,
    size: rec.size,
  });
  for (const f of rec.flags) add(rec.offloadedAtMs, 'flagged', 'dock', `flagged ${f}`, f === 'important' ? '执法人员在记录仪上标为重要' : `标记 ${f}`, { flag: f });
  if (rec.manifestSessionId) {
    const m = ledger.manifests.get(rec.manifestSessionId);
    if (m)
      add(m.createdAtMs, 'signed', 'dock', `listed in signed manifest ${m.sessionId} (no. ${m.seqno} of the chain), manifest SHA-256 ${m.sha256}`, `列入签名清单 ${m.sessionId}（清单链第 ${m.seqno} 份），清单 SHA-256 ${m.sha256}`, { sessionId: m.sessionId, seqno: m.seqno, manifestSha256: m.sha256, prevManifestSha256: m.prevSha256 });
  }
  for (const x of ledger.access.list({ recordingId: rec.id, limit: 1_000_000 })) {
    const on = x.requestId !== null ? `request ${x.requestId}` : x.ground;
    add(x.atMs, x.kind, x.username, `${x.kind} by ${x.username} (${x.role}) on ground ${on}${x.requests > 1 ? `, ${x.requests} requests` : ''}`, `${KINDS_ZH[x.kind] ?? x.kind}，依据：${ground(x.ground, x.requestId)}`, { accessId: x.id, ground: x.ground, requestId: x.requestId });
  }
  for (const q of ledger.accessRequests.list({ recordingId: rec.id, limit: 1_000_000 })) {
    add(
      q.filedAtMs,
      'requested',
      q.filedBy,
      `${q.kind} request ${q.id} filed${q.requester ? ` for ${q.requester}` : ''}${q.authority ? ` (${q.authority})` : ''}: ${q.purpose}`,
      `${KINDS_ZH[q.kind]}申请 ${q.id}${q.requester ? `，申请人 ${q.requester}` : ''}${q.authority ? `（${q.authority}）` : ''}${q.letterRef ? `，函件 ${q.letterRef}` : ''}；事由：${q.purpose}`,
      { requestId: q.id, kind: q.kind, letterRef: q.letterRef },
    );
    if (q.decidedAtMs !== null) {
      add(
        q.decidedAtMs,
        q.state,
        q.decidedBy,
        `request ${q.id} ${q.state} by ${q.decidedBy} (${q.decidedByRole})${q.expiresAt ? `, valid until ${q.expiresAt}` : ''}${q.decisionReason ? `: ${q.decisionReason}` : ''}`,
        `申请 ${q.id} ${q.state === 'approved' ? '经批准' : '不予批准'}${q.documentsChecked ? '（已核验函件及证件）' : ''}${q.expiresAt ? `，有效期至 ${zhTime(q.expiresAt)}` : ''}${q.decisionReason ? `；理由：${q.decisionReason}` : ''}`,
        {
        requestId: q.id,
        documentsChecked: q.documentsChecked,
      });
    }
  }
  for (const h of ledger.holds.list({ limit: 1000, recordingId: rec.id })) {
    add(h.placedAtMs, 'held', h.placedBy, `hold ${h.id} placed (${h.reason}, case ${h.caseRef})`, `长期保存 ${h.id}（${h.reason === 'case' ? '随案卷保存' : h.reason}，案件 ${h.caseRef}）`, { holdId: h.id, reason: h.reason, caseRef: h.caseRef });
    if (h.releasedAtMs !== null) add(h.releasedAtMs, 'released', h.releasedBy, `hold ${h.id} released: ${h.releaseReason ?? ''}`, `解除保存 ${h.id}：${h.releaseReason ?? ''}`, { holdId: h.id, confirmedBy: h.releaseConfirmedBy });
  }
  for (const d of ledger.archives.holding(rec.id)) {
    add(d.createdAtMs, 'archived', d.createdBy, `written to archive disc ${d.id} (case ${d.caseRef})`, `刻录光盘 ${d.id}（案件 ${d.caseRef}）`, { archiveId: d.id, images: d.images.map((i) => i.sha256) });
  }
  for (const d of ledger.retention.decisions(rec.id)) {
    const zh = d.decision === 'keep' ? `延长保存至 ${zhTime(d.until)}：${d.reason}` : `决定清除：${d.reason}`;
    add(d.decidedAtMs, d.decision === 'keep' ? 'kept' : 'purge_decided', d.decidedBy, `${d.decision}${d.until ? ` until ${d.until}` : ''}: ${d.reason}`, zh, { previousUntil: d.previousUntil, until: d.until });
  }
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
    const CLASS_ZH: Record<string, string> = { state_secret: '国家秘密', commercial_secret: '商业秘密', privacy: '个人隐私' };
    const [text, zh] =
      event === 'confidential' ? [`marked confidential (${String(d.class)}): ${String(d.reason)}`, `定为涉密（${CLASS_ZH[String(d.class)] ?? ''}）：${String(d.reason)}`]
      : event === 'unmarked' ? [`confidential mark (${String(d.class)}) removed`, `解除涉密标记（${CLASS_ZH[String(d.class)] ?? ''}）`]
      : event === 'linked' ? [`linked to case ${String(d.caseNo)}`, `关联案件 ${String(d.caseNo)}`]
      : event === 'refused' ? [`refused to ${e.actor}: ${String(d.why)}`, `拒绝 ${e.actor} 访问（${String(d.use)}）`]
      : ['content note, speakers or target noted', '著录摄录内容、对话人员或执法对象'];
    add(e.atMs, event, e.actor, text, zh, d);
  }
  const t = ledger.tombstones.get(rec.id);
  if (t) add(t.atMs, 'purged', t.approvedBy, `purged (tombstone in manifest ${t.manifestSessionId}): ${t.reason}`, `已清除（墓碑记录见清单 ${t.manifestSessionId}）：${t.reason}`, { manifestSessionId: t.manifestSessionId, sha256: t.sha256 });
  const officer = rec.officerNo ? ledger.officers.get(rec.officerNo) : null;
  ev.sort((x, y) => x.atMs - y.atMs || (LIFE_ORDER[x.event] ?? 50) - (LIFE_ORDER[y.event] ?? 50));
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
      officerName: officer?.name ?? null,
      unitNo: rec.unitNo,
      unitName: officer?.unitName ?? null,
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
