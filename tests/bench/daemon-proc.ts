/**
 * The daemon as the bench sees it: a child process `node FLAGS dist/daemon/cli.js start --config FILE` with the
 * node flags and environment of the systemd unit, its console over HTTP with a logged-in session, the slot board
 * through the SSE stream, and its memory: the peak resident set of each phase from /proc (the high-water mark is
 * reset at every phase) and what held it, from the memory log the daemon writes for the bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../daemon/config.js';
import type { SlotView } from '../../daemon/dock/slots.js';
import { openLedgerFor } from '../../daemon/main.js';
import type { MemorySample } from '../../daemon/memory-log.js';
import { now, procMemory, waitUntil } from './env.js';

const BENCH_USER = 'bench';
const BENCH_PASSWORD = 'offload-timing-pass-1'; // a password may not contain the username (bench)

const CLI = fileURLToPath(new URL('../../daemon/cli.js', import.meta.url));
const UNIT = fileURLToPath(new URL('../../../systemd/bwc-dock.service', import.meta.url));

/**
 * How the systemd unit starts node: the flags between `node` and `cli.js` on its ExecStart line, and its
 * `Environment=` lines (but BWC_DOCK_CONFIG: the bench names its own config). The unit is the one place they live.
 */
export function unitLaunch(unitFile = UNIT): { nodeFlags: string[]; env: Record<string, string> } {
  const lines = readFileSync(unitFile, 'utf8').split('\n');
  const exec = lines.find((l) => l.startsWith('ExecStart='))?.slice('ExecStart='.length).trim().split(/\s+/) ?? [];
  const node = exec.findIndex((w) => /(^|\/)node$/.test(w));
  const cli = exec.findIndex((w) => w.endsWith('/cli.js'));
  if (node < 0 || cli < node) throw new Error(`bench: no "node … cli.js" on the ExecStart line of ${unitFile}`);
  const env: Record<string, string> = {};
  for (const l of lines) {
    const m = /^Environment=([A-Z0-9_]+)=(\S*)$/.exec(l.trim());
    if (l.startsWith('Environment=') && !m) throw new Error(`bench: cannot read "${l}" of ${unitFile} (one unquoted KEY=VALUE a line)`);
    if (m && m[1] !== 'BWC_DOCK_CONFIG') env[m[1]!] = m[2]!;
  }
  return { nodeFlags: exec.slice(node + 1, cli), env };
}

/** The daemon's memory through one phase of a bench run. */
export interface MemoryPhase {
  phase: string;
  ms: number;
  /** Peak resident set during the phase: VmHWM, reset when the phase began (the highest sampled rss if it could not be). */
  peakRssBytes: number | null;
  peakExact: boolean;
  /** The daemon's own sample with the highest rss in the phase (one a second, and one asked for at its end). */
  atPeak: MemorySample | null;
}

export interface DaemonDirs {
  /** Holds config.json and the daemon's log. */
  dir: string;
  dataDir: string;
  devDir: string;
  mountRoot: string;
}

/** One slot as seen through the SSE stream, with bench-clock times (performance.now()). */
export interface SlotTrace {
  port: string;
  serial: string | null;
  firstSeenAt: number;
  firstByteAt: number | null;
  finalAt: number | null;
  state: string;
  error: string | null;
  /** (time, state) at every state change. */
  states: Array<[number, string]>;
  /** (time, bytesDone) at every progress change. */
  progress: Array<[number, number]>;
  bytesTotal: number;
}

export interface DaemonProc {
  pid: number;
  url: string;
  cookie: string;
  traces: Map<string, SlotTrace>;
  bySerial(serial: string): SlotTrace | undefined;
  get(path: string): Promise<{ status: number; body: string }>;
  memory(): { hwmBytes: number; rssBytes: number } | null;
  /** End the current memory phase (start, login, then idle until the first call) and begin `name`. */
  phase(name: string): Promise<void>;
  /** The phases ended so far; after stop(), all of them. */
  readonly memoryPhases: MemoryPhase[];
  stop(): Promise<void>;
}

/** Config of a bench dock: loopback console on a free port, serial links found in `devDir`, no USB. */
export function benchConfig(d: DaemonDirs): Record<string, unknown> {
  return {
    dataDir: d.dataDir,
    dockId: 'bench-dock',
    timezone: 'Asia/Shanghai',
    console: { host: '127.0.0.1', port: 0 },
    detect: { serialGlobs: [join(d.devDir, 'bwc-*')], usb: [], mountRoot: d.mountRoot, volumeTimeoutMs: 30_000 },
    clock: { assumeSynced: true },
    offload: { minFreeBytes: 0 },
    log: { level: 'info' },
  };
}

/** Create the bench user in the ledger (before the daemon opens it). */
async function addBenchUser(raw: Record<string, unknown>): Promise<void> {
  const ledger = openLedgerFor(parseConfig(raw, {}));
  try {
    if (!ledger.users.get(BENCH_USER)) await ledger.users.add(BENCH_USER, 'supervisor', BENCH_PASSWORD, Date.now());
  } finally {
    ledger.close();
  }
}

export async function startDaemonProc(d: DaemonDirs, raw: Record<string, unknown> = benchConfig(d)): Promise<DaemonProc> {
  for (const p of [d.dir, d.devDir, d.mountRoot]) mkdirSync(p, { recursive: true });
  await addBenchUser(raw);
  const configFile = join(d.dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(raw, null, 2));
  // The I/O thread pool as the systemd unit sizes it (systemd/bwc-dock.service: UV_THREADPOOL_SIZE).
  const memoryLog = join(d.dir, 'memory.jsonl');
  writeFileSync(memoryLog, '');
  // The node flags and environment of the systemd unit (I/O thread pool, V8 heap sizing), not this process's.
  const unit = unitLaunch();
  const child = spawn(process.execPath, [...unit.nodeFlags, CLI, 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...unit.env, BWC_DOCK_MEMORY_LOG: memoryLog } });
  const phases = memoryPhases(child, memoryLog, 'start');
  let url: string | null = null;
  let exited: string | null = null;
  const errors: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string; level?: number };
        if (j.msg === 'console listening' && j.url) url = j.url;
        if ((j.level ?? 0) >= 50) errors.push(line);
      } catch {
        /* not JSON: ignore */
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => errors.push(c));
  child.once('exit', (code, sig) => (exited = `daemon exited (${code ?? sig}): ${errors.join('\n').slice(-2000)}`));
  await waitUntil('daemon console', () => {
    if (exited) throw new Error(exited);
    return url;
  }, 60_000);
  const base = url as unknown as string;
  await phases.next('login');
  const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: BENCH_USER, password: BENCH_PASSWORD }) });
  if (login.status !== 200) throw new Error(`bench login answered ${login.status}: ${await login.text()}`);
  const sc = login.headers.getSetCookie().find((c) => c.startsWith('bwc_session='));
  if (!sc) throw new Error('bench login set no session cookie');
  const cookie = sc.split(';')[0]!;
  const traces = new Map<string, SlotTrace>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const stream = await openSlotStream(base, cookie, traces);
  await phases.next('idle');

  return {
    pid: child.pid!,
    url: base,
    cookie,
    traces,
    bySerial: (serial) => [...traces.values()].find((t) => t.serial === serial),
    get: (path) => httpGet(agent, `${base}${path}`, cookie),
    memory: () => procMemory(child.pid!),
    phase: (name) => phases.next(name),
    memoryPhases: phases.done,
    async stop() {
      stream.destroy();
      agent.destroy();
      await phases.next(null).catch(() => undefined);
      await stopChild(child);
      if (errors.length) process.stderr.write(`bench: daemon logged errors:\n${errors.join('\n').slice(-4000)}\n`);
    },
  };
}

/** The highest peak of the phases: the daemon's peak resident set over its whole run. */
export function peakOfPhases(phases: readonly MemoryPhase[]): number | null {
  const peaks = phases.map((p) => p.peakRssBytes).filter((b): b is number => b !== null);
  return peaks.length ? Math.max(...peaks) : null;
}

/**
 * Memory phases of a daemon process: at each phase's end its VmHWM is the phase's peak, then reset (clear_refs 5);
 * the daemon's sample with the highest rss in the phase says what held it (SIGUSR2 asks for one at once, so a
 * phase shorter than the log's second has one).
 */
function memoryPhases(child: ChildProcess, logFile: string, first: string) {
  const done: MemoryPhase[] = [];
  let current: { name: string; from: number } | null = { name: first, from: Date.now() };
  let exact = true;
  const samples = () =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as MemorySample)
      : [];
  return {
    done,
    async next(name: string | null): Promise<void> {
      const cur = current;
      if (!cur || child.exitCode !== null || child.signalCode !== null) return;
      const asked = Date.now();
      child.kill('SIGUSR2');
      await waitUntil('the daemon\'s memory sample', () => samples().some((s) => s.why === 'signal' && s.at >= asked), 2_000).catch(() => undefined);
      const inPhase = samples().filter((s) => s.at >= cur.from);
      const atPeak = inPhase.reduce<MemorySample | null>((a, s) => (!a || s.rss > a.rss ? s : a), null);
      const hwm = procMemory(child.pid!)?.hwmBytes ?? null;
      done.push({ phase: cur.name, ms: asked - cur.from, peakRssBytes: exact ? hwm : (atPeak?.rss ?? null), peakExact: exact && hwm !== null, atPeak });
      try {
        writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
      } catch {
        exact = false; // the next phases' peaks are sampled
      }
      current = name === null ? null : { name, from: Date.now() };
    },
  };
}

function httpGet(agent: http.Agent, url: string, cookie: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { cookie } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Follow `GET /api/slots/stream`, stamping each slot change with the bench clock as it arrives. */
function openSlotStream(base: string, cookie: string, traces: Map<string, SlotTrace>): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/slots/stream`, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`slot stream answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        const at = now();
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!data) continue;
          if (event === 'slot') onSlot(JSON.parse(data) as SlotView, at, traces);
          else if (event === 'slots') for (const s of JSON.parse(data) as SlotView[]) onSlot(s, at, traces);
        }
      });
      resolve(req);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
  });
}

const FINAL = new Set(['ready', 'failed', 'interrupted']);

function onSlot(s: SlotView, at: number, traces: Map<string, SlotTrace>): void {
  // A new session on a port (a replug) starts a new trace.
  const key = `${s.port}#${s.sessionId}`;
  let t = traces.get(key);
  if (!t) {
    t = { port: s.port, serial: s.serial, firstSeenAt: at, firstByteAt: null, finalAt: null, state: s.state, error: null, states: [], progress: [], bytesTotal: 0 };
    traces.set(key, t);
  }
  t.serial = s.serial ?? t.serial;
  if (t.states[t.states.length - 1]?.[1] !== s.state) t.states.push([at, s.state]);
  t.state = s.state;
  t.error = s.error;
  t.bytesTotal = s.progress.bytesTotal;
  const last = t.progress[t.progress.length - 1];
  if (!last || last[1] !== s.progress.bytesDone) t.progress.push([at, s.progress.bytesDone]);
  if (t.firstByteAt === null && s.progress.bytesDone > 0) t.firstByteAt = at;
  if (t.finalAt === null && FINAL.has(s.state)) t.finalAt = at;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await gone;
  clearTimeout(t);
}
