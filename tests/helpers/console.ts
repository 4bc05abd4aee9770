import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { parseConfig, type Config } from '../../daemon/config.js';
import { CheckoutService, type OpenRecorderLink } from '../../daemon/dock/checkout.js';
import { SlotBoard, type SlotView } from '../../daemon/dock/slots.js';
import { FfmpegMedia } from '../../daemon/ingest/media.js';
import { Ledger } from '../../daemon/ledger/index.js';
import { PasswordHasher } from '../../daemon/ledger/passwords.js';
import type { Role } from '../../daemon/ledger/users.js';
import { createLogger } from '../../daemon/log.js';
import { buildConsole } from '../../daemon/console/server.js';
import { toIsoInZone } from '../../daemon/policy/time-format.js';

export const PASSWORD = 'correct-horse-1';
export const ZONE = 'Asia/Shanghai';
/** One user per role (two supervisors, two officers); officers' usernames are their officer numbers. */
const USERS: Record<string, Role> = {
  admin1: 'admin',
  em1: 'equipment_manager',
  sup1: 'supervisor',
  sup2: 'supervisor',
  legal1: 'legal',
  aud1: 'auditor',
  '100001': 'officer',
  '100002': 'officer',
};
export const ROLE_USER: Record<Role, string> = { admin: 'admin1', equipment_manager: 'em1', supervisor: 'sup1', legal: 'legal1', auditor: 'aud1', officer: '100001' };

export interface Clock {
  t: number;
  synced: boolean;
}

export interface Login {
  cookie: string;
  csrf: string;
}

export interface Harness {
  app: FastifyInstance;
  ledger: Ledger;
  slots: SlotBoard;
  clock: Clock;
  config: Config;
  dataDir: string;
  checkout: CheckoutService;
  login(username: string): Promise<Login>;
  /** A request as `as` (a username; logged in once and remembered); CSRF header sent unless `csrf: false`. */
  req(method: string, url: string, opts?: { as?: string; body?: unknown; headers?: Record<string, string>; csrf?: boolean; payload?: string }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const T0 = Date.parse('2026-03-02T08:00:00+08:00');

/** Tests hash at a low scrypt cost (production's N=2^15, p=3 takes about 0.3 s a hash); tests/security asserts production's. */
export const testHasher = (o: { concurrency?: number; maxQueue?: number; scrypt?: import('../../daemon/ledger/passwords.js').ScryptFn } = {}) =>
  new PasswordHasher({ cost: { N: 1 << 10, r: 8, p: 1 }, ...o });

export async function build(
  opts: { open?: OpenRecorderLink; loginLimit?: { max: number; windowMs: number }; sessionHours?: number; idleMinutes?: number; heartbeatMs?: number; tls?: boolean; passwords?: PasswordHasher; consoleConfig?: Record<string, unknown>; diskFree?: () => Promise<number> } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bwc-console-'));
  for (const d of ['footage', 'manifests', 'keys', 'cache', 'tmp']) mkdirSync(join(dataDir, d), { recursive: true });
  const config = parseConfig({ dataDir, dockId: 'dock-test', timezone: ZONE, console: { sessionHours: opts.sessionHours ?? 12, ...(opts.idleMinutes ? { idleMinutes: opts.idleMinutes } : {}), ...(opts.tls ? { tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } } : {}), ...opts.consoleConfig } }, {});
  const iso = (ms: number) => toIsoInZone(ms, ZONE);
  const ledger = Ledger.open(join(dataDir, 'ledger.sqlite'), iso, { passwords: opts.passwords ?? testHasher() });
  for (const [u, role] of Object.entries(USERS)) await ledger.users.add(u, role, PASSWORD, T0);
  const clock: Clock = { t: T0, synced: true };
  const dockClock = { now: () => clock.t, synced: () => clock.synced };
  const slots = new SlotBoard();
  const log = createLogger({ level: 'silent' });
  const checkout = new CheckoutService({ ledger, slots, clock: dockClock, config, log, open: opts.open ?? (() => null) });
  const app = await buildConsole({
    config,
    ledger,
    slots,
    clock: dockClock,
    log,
    checkout,
    media: new FfmpegMedia(),
    version: '0.0.0-test',
    iso,
    ...(opts.loginLimit ? { loginLimit: opts.loginLimit } : {}),
    ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.diskFree ? { diskFree: opts.diskFree } : {}),
  });
  const sessions = new Map<string, Login>();
  const h: Harness = {
    app,
    ledger,
    slots,
    clock,
    config,
    dataDir,
    checkout,
    async login(username) {
      const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username, password: PASSWORD } });
      if (res.statusCode !== 200) throw new Error(`login of ${username} answered ${res.statusCode}: ${res.body}`);
      const c = res.cookies.find((x) => x.name === 'bwc_session');
      if (!c) throw new Error('no session cookie');
      return { cookie: `bwc_session=${c.value}`, csrf: (res.json() as { csrfToken: string }).csrfToken };
    },
    async req(method, url, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.as) {
        let s = sessions.get(o.as);
        if (!s) {
          s = await h.login(o.as);
          sessions.set(o.as, s);
        }
        headers.cookie = s.cookie;
        if (o.csrf !== false && method !== 'GET') headers['x-csrf-token'] = s.csrf;
      }
      return app.inject({ method: method as 'GET', url, headers, ...(o.body !== undefined ? { payload: o.body as object } : {}), ...(o.payload !== undefined ? { payload: o.payload } : {}) });
    },
    async close() {
      await app.close();
      ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** A real 2-second 160x120 MP4 made with the system ffmpeg, in a temp folder. */
export function makeMp4(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-mp4-'));
  const out = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=160x120:rate=10', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', out]);
  return out;
}

let sessionCounter = 0;

/** Store a real file under footage/ and its recording row (with a docking session); returns the recording id. */
export function addRecording(
  h: Harness,
  r: { serial?: string; seq: number; officerNo: string | null; file: string; name?: string; startMs?: number; durationMs?: number; flags?: string[]; checkoutId?: number | null; fileFlags?: number },
): number {
  const serial = r.serial ?? 'SN000001';
  const name = r.name ?? `${serial}_${String(r.seq).padStart(6, '0')}.mp4`;
  const storedPath = `footage/${serial}/${name}`;
  const dest = join(h.dataDir, storedPath);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(r.file, dest);
  const sha = createHash('sha256').update(readFileSync(dest)).digest('hex');
  const sessionId = `S${++sessionCounter}-${r.seq}-${serial}`;
  h.ledger.sessions.create(sessionId, '/dev/ttyFAKE', h.clock.t);
  const start = r.startMs ?? h.clock.t - 3_600_000;
  const iso = (ms: number) => toIsoInZone(ms, ZONE);
  return h.ledger.recordings.insert({
    serial,
    seq: r.seq,
    name,
    devicePath: `DCIM/${name}`,
    storedPath,
    size: statSync(dest).size,
    sha256: sha,
    deviceSha256: null,
    fileFlags: r.fileFlags ?? 0,
    recordedStart: iso(start),
    recordedStartMs: start,
    correctedStart: iso(start),
    correctedStartMs: start,
    driftMs: 0,
    driftUncertaintyMs: 10,
    durationMs: r.durationMs ?? 2000,
    offloadedAt: iso(h.clock.t),
    offloadedAtMs: h.clock.t,
    delayMs: 0,
    sessionId,
    officerNo: r.officerNo,
    unitNo: r.officerNo ? 'U01' : null,
    checkoutId: r.checkoutId ?? null,
    retainUntil: iso(h.clock.t + 300 * 86_400_000),
    retainUntilMs: h.clock.t + 300 * 86_400_000,
    flags: r.flags ?? [],
  });
}

/** A docked recorder: its registry row and a slot in `state`. */
export function dockRecorder(h: Harness, serial: string, state = 'ready'): SlotView {
  h.ledger.devices.docked({ serial, idCode: 'AB123', firmware: 'ref-1.0', caps: 3 }, h.clock.t);
  const view: SlotView = {
    port: `/dev/ttyBWC-${serial}`,
    sessionId: `dock-${serial}`,
    serial,
    idCode: 'AB123',
    officer: null,
    state,
    progress: { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, rate: 0 },
    driftMs: 120,
    battery: 90,
    error: null,
    findings: [],
    startedAt: toIsoInZone(h.clock.t, ZONE),
  };
  h.slots.put(view);
  return view;
}

export function addOfficers(h: Harness): void {
  h.ledger.officers.upsert({ officerNo: '100001', name: '张伟', unitNo: 'U01', unitName: '城管执法一中队' }, h.clock.t);
  h.ledger.officers.upsert({ officerNo: '100002', name: '李娜', unitNo: 'U02', unitName: '城管执法二中队' }, h.clock.t);
}
