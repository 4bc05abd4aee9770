/** The console API: JSON over fetch with the session cookie, the CSRF header on every POST. */
import { hasKey, t } from './i18n/index.js';

export type Role = 'admin' | 'equipment_manager' | 'supervisor' | 'legal' | 'auditor' | 'officer';
/** An action of the dock's rights matrix (daemon/console/rights.ts) and the scope the role has it with. */
export type Action =
  | 'status'
  | 'registry.read'
  | 'registry.edit'
  | 'recordings.search'
  | 'findings.read'
  | 'footage.play'
  | 'footage.export'
  | 'access.request'
  | 'access.read'
  | 'access.decide'
  | 'confidential.mark'
  | 'catalogue.edit'
  | 'custody.read'
  | 'findings.justify'
  | 'findings.decide'
  | 'activities.write'
  | 'retention.read'
  | 'retention.decide'
  | 'holds.read'
  | 'holds.manage'
  | 'spot-checks'
  | 'yearly-reports'
  | 'audit.read'
  | 'users.manage'
  | 'users.confirm';
export type Scope = 'all' | 'own' | 'device' | 'request';

export interface Me {
  username: string;
  role: Role;
  csrfToken: string;
  expiresAt: string;
  /** After an administrator's reset (or with a password below today's rules): set a new one before anything else. */
  mustChangePassword?: boolean;
  /** What the role may do, as the dock's rights matrix says (the dock checks every request anyway). */
  rights: Partial<Record<Action, Scope>>;
}

/** Whether the logged-in role may perform an action (read from /api/me, never a copy of the matrix). */
export function may(me: Me | null, action: Action): boolean {
  return me?.rights?.[action] !== undefined;
}

export interface ErrorBody {
  error?: string;
  code?: string;
  field?: string;
  reasons?: string[];
  [k: string]: unknown;
}

/** The user's words for a refusal: its code when the catalogue knows it, else what kind of refusal it is. */
export function errorWords(status: number, body: ErrorBody): string {
  const code = body.code ?? '';
  if (status === 0) return t('err.offline');
  if (code === 'csrf') return t('err.csrf');
  if (code === 'invalid' || code.endsWith('.invalid')) {
    if (body.field) return t('err.invalidField', { field: fieldName(body.field) });
    return t('err.invalid');
  }
  const key = `apierr.${code}`;
  if (code && hasKey(key)) return t(key, { field: body.field ? fieldName(body.field) : '' });
  if (status === 401) return t('err.session');
  if (status === 403) return t('err.forbidden');
  if (status === 404) return t('err.notFound');
  if (status === 409 || status === 410) return t('err.conflict', { detail: body.error ?? '' });
  if (status === 429) return t('err.busy');
  if (status === 502) return t('err.conflict', { detail: body.error ?? '' });
  if (status === 503) return t('err.busy');
  if (status >= 500) return t('err.server', { status });
  return body.error ? t('err.conflict', { detail: body.error }) : t('err.generic', { status });
}

/** A field's name in words (`field.<name>`), else as the API spells it. */
export function fieldName(field: string): string {
  const key = `field.${field}`;
  return hasKey(key) ? t(key) : field;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(errorWords(status, body));
    this.name = 'ApiError';
  }
}

/** What to show for anything thrown: an ApiError in the user's words, else its message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

let me: Me | null = null;
let onLoggedOut: () => void = () => undefined;

export const session = {
  get: (): Me | null => me,
  set(m: Me | null): void {
    me = m;
  },
  /** Called when the dock answers 401 (the session ended). */
  onLoggedOut(fn: () => void): void {
    onLoggedOut = fn;
  },
};

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    if (me) headers['x-csrf-token'] = me.csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}) });
  } catch {
    throw new ApiError(0, {});
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text.slice(0, 200) };
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login' && me) {
      me = null;
      onLoggedOut();
    }
    throw new ApiError(res.status, (data as ApiError['body']) ?? {});
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
};

/** A query string from the non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface List<T> {
  items: T[];
  next: string | null;
}

export interface Slot {
  port: string;
  sessionId: string;
  serial: string | null;
  idCode: string | null;
  officer: { officerNo: string; name: string; unitNo: string } | null;
  state: string;
  progress: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number; rate: number };
  driftMs: number | null;
  battery: number | null;
  error: string | null;
  findings: string[];
  startedAt: string;
}

/** A docking that ended badly, kept on the screen until someone has seen it (`GET /api/slots/ended`). */
export interface SlotEnding {
  sessionId: string;
  port: string;
  serial: string | null;
  lastState: string;
  progress: Slot['progress'];
  findings: string[];
  endedAt: string;
}

export interface Officer {
  officerNo: string;
  name: string;
  unitNo: string;
  unitName: string;
}

export interface Device {
  serial: string;
  idCode: string;
  firmware: string;
  status: string;
  docked: boolean;
  lastDockedAt: string | null;
  lastUndockedAt: string | null;
  lastSyncAt: string | null;
  battery: number | null;
  freeMiB: number | null;
  totalMiB: number | null;
  fileCount: number | null;
  checkedOutTo: string | null;
}

export interface Period {
  id: number;
  serial: string;
  officerNo: string;
  officerName: string | null;
  unitNo: string | null;
  unitName: string | null;
  outAt: string;
  outBy: string;
  leftDockAt: string | null;
  inAt: string | null;
  inBy: string | null;
  inSessionId: string | null;
  recordings: number;
  durationMs: number;
  hours: number;
  bytes: number;
}

export interface DockingSession {
  id: string;
  serial: string | null;
  startedAt: string;
  endedAt: string | null;
  result: string;
  error: string | null;
  driftMs: number | null;
  battery: number | null;
  filesTotal: number | null;
  filesStored: number;
  filesSkipped: number;
  filesErased: number;
  bytesStored: number;
  officerNo: string | null;
}

export interface Recording {
  id: number;
  serial: string;
  officerNo: string | null;
  name: string;
  size: number;
  sha256: string;
  seq: number;
  recordedStart: string | null;
  correctedStart: string | null;
  durationMs: number;
  offloadedAt: string;
  delayMs: number | null;
  flags: string[];
  retainUntil: string;
  hold: boolean;
  sessionId: string;
  mediaType: string;
  /** The recorder's clock error measured at docking (recorder − dock), ms. */
  driftMs: number | null;
  /** The file container's own creation_time (the recorder's clock), once probed. */
  containerCreationTime: string | null;
  /** containerCreationTime − recordedStart, ms. */
  containerStartOffsetMs: number | null;
}

export interface Finding {
  id: number;
  kind: string;
  state: string;
  serial: string | null;
  recordingId: number | null;
  sessionId: string | null;
  seqFrom: number | null;
  seqTo: number | null;
  from: string | null;
  to: string | null;
  officerNo: string | null;
  detail: string;
  prefillReason: string | null;
  prefillEvidence: string | null;
  reason: string | null;
  text: string | null;
  justifiedBy: string | null;
  justifiedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionText: string | null;
  /** A `remote_duty` justification's return to the unit (004 §13). */
  returnedAt: string | null;
  createdAt: string;
  /** The justification reasons that fit this kind (the dock refuses others). */
  reasons: string[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  detail: unknown;
  hash: string;
}
