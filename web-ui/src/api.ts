/** The console API: JSON over fetch with the session cookie, the CSRF header on every POST. */
export type Role = 'admin' | 'equipment_manager' | 'supervisor' | 'legal' | 'auditor' | 'officer';

export interface Me {
  username: string;
  role: Role;
  csrfToken: string;
  expiresAt: string;
  /** After an administrator's reset (or with a password below today's rules): set a new one before anything else. */
  mustChangePassword?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; reasons?: string[]; [k: string]: unknown },
  ) {
    super(body.error ?? `the dock answered ${status}`);
    this.name = 'ApiError';
  }
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
    throw new ApiError(0, { error: 'The dock does not answer. Check that it is on and try again.' });
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
