import { Type } from '@sinclair/typebox';

/** Shapes the API answers with (response schemas also keep stray fields out of answers). */
const Nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const NStr = Nullable(Type.String());
export const NInt = Nullable(Type.Integer());
const NNum = Nullable(Type.Number());

export const SerialParam = Type.Object({ serial: Type.String({ pattern: '^[A-Za-z0-9]{1,8}$' }) }, { additionalProperties: false });
export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
export const OfficerNo = Type.String({ pattern: '^[0-9]{6}$' });

export const SlotSchema = Type.Object({
  port: Type.String(),
  sessionId: Type.String(),
  serial: NStr,
  idCode: NStr,
  officer: Nullable(Type.Object({ officerNo: Type.String(), name: Type.String(), unitNo: Type.String() })),
  state: Type.String(),
  progress: Type.Object({ filesDone: Type.Integer(), filesTotal: Type.Integer(), bytesDone: Type.Number(), bytesTotal: Type.Number(), rate: Type.Number() }),
  driftMs: NNum,
  battery: NInt,
  error: NStr,
  findings: Type.Array(Type.String()),
  startedAt: Type.String(),
});

export const OfficerSchema = Type.Object({ officerNo: Type.String(), name: Type.String(), unitNo: Type.String(), unitName: Type.String() });

export const DeviceSchema = Type.Object({
  serial: Type.String(),
  idCode: Type.String(),
  firmware: Type.String(),
  status: Type.String(),
  docked: Type.Boolean(),
  lastDockedAt: NStr,
  lastUndockedAt: NStr,
  lastSyncAt: NStr,
  battery: NInt,
  freeMiB: NInt,
  totalMiB: NInt,
  fileCount: NInt,
  checkedOutTo: NStr,
});

export const PeriodSchema = Type.Object({
  id: Type.Integer(),
  serial: Type.String(),
  officerNo: Type.String(),
  officerName: NStr,
  unitNo: NStr,
  unitName: NStr,
  outAt: Type.String(),
  outBy: Type.String(),
  leftDockAt: NStr,
  inAt: NStr,
  inBy: NStr,
  inSessionId: NStr,
  recordings: Type.Integer(),
  durationMs: Type.Number(),
  hours: Type.Number(),
  bytes: Type.Number(),
});

export const SessionSchema = Type.Object({
  id: Type.String(),
  serial: NStr,
  port: Type.String(),
  startedAt: Type.String(),
  endedAt: NStr,
  result: Type.String(),
  error: NStr,
  deviceTime: NStr,
  deviceTz: NInt,
  dockTime: NStr,
  driftMs: NNum,
  driftUncertaintyMs: NNum,
  dockSynced: Nullable(Type.Boolean()),
  clockSet: Type.Boolean(),
  battery: NInt,
  freeMiB: NInt,
  totalMiB: NInt,
  filesTotal: NInt,
  filesStored: Type.Integer(),
  filesSkipped: Type.Integer(),
  filesErased: Type.Integer(),
  bytesStored: Type.Number(),
  manifestSha256: NStr,
  officerNo: NStr,
});

export const RecordingSchema = Type.Object({
  id: Type.Integer(),
  serial: Type.String(),
  officerNo: NStr,
  unitNo: NStr,
  name: Type.String(),
  size: Type.Number(),
  sha256: Type.String(),
  deviceSha256: NStr,
  seq: Type.Integer(),
  recordedStart: NStr,
  correctedStart: NStr,
  durationMs: Type.Number(),
  offloadedAt: Type.String(),
  delayMs: NNum,
  flags: Type.Array(Type.String()),
  retainUntil: Type.String(),
  hold: Type.Boolean(),
  sessionId: Type.String(),
  manifestSessionId: NStr,
  checkoutId: NInt,
  mediaType: Type.String(),
  /** `<unit>-<year>-<serial>`, unique on the dock and never reused. */
  evidenceNo: NStr,
  /** The confidentiality class (004 §14) when marked. */
  confidential: NStr,
  /** The recorder's clock error measured at docking (recorder − dock), ms. */
  driftMs: NNum,
  /** The file container's own `creation_time` (ISO 8601 UTC, the recorder's clock): null until probed, or when it has none. */
  containerCreationTime: NStr,
  /** `containerCreationTime` − `recordedStart`, ms: about 0 when the container and the catalog agree. */
  containerStartOffsetMs: NNum,
  /** The container's duration, ms (null until probed). */
  containerDurationMs: NNum,
});

export const FindingSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  state: Type.String(),
  serial: NStr,
  recordingId: NInt,
  sessionId: NStr,
  seqFrom: NInt,
  seqTo: NInt,
  from: NStr,
  to: NStr,
  officerNo: NStr,
  detail: Type.String(),
  prefillReason: NStr,
  prefillEvidence: NStr,
  reason: NStr,
  text: NStr,
  justifiedBy: NStr,
  justifiedAt: NStr,
  decidedBy: NStr,
  decidedAt: NStr,
  decisionText: NStr,
  /** A `remote_duty` justification's return of the officer to the unit (004 §13). */
  returnedAt: NStr,
  createdAt: Type.String(),
  /** The justification reasons that fit this kind (daemon/policy/justification-reasons.ts). */
  reasons: Type.Array(Type.String()),
});

export const ActivitySchema = Type.Object({
  id: Type.Integer(),
  officerNo: Type.String(),
  start: Type.String(),
  end: Type.String(),
  caseRef: NStr,
  title: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
});
