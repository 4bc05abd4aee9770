/**
 * Ledger at scale: a synthetic ledger of 1,000,000 recordings, the daily retention sweep over it, then
 * the console's searches and the device ledger over HTTP from a real daemon with a logged-in session.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../daemon/config.js';
import { ManifestChain } from '../../daemon/ingest/chain.js';
import { loadOrCreateDockKey } from '../../daemon/ingest/keys.js';
import { realStorage } from '../../daemon/ingest/storage.js';
import { createLogger } from '../../daemon/log.js';
import { openLedgerFor } from '../../daemon/main.js';
import { toIsoInZone } from '../../daemon/policy/time-format.js';
import { RetentionLock } from '../../daemon/retention/lock.js';
import { RetentionService } from '../../daemon/retention/service.js';
import { benchConfig, peakOfPhases, startDaemonProc, type DaemonProc, type MemoryPhase } from './daemon-proc.js';
import { now, percentile, rmTree, round, tempDir } from './env.js';
import { synthesize, type LedgerFacts, type LedgerShape } from './ledger-data.js';

export interface LatencyResult {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Mean items per answer (a search answering nothing would be cheap and misleading). */
  meanItems: number;
  /**
   * The daemon's main thread on a CPU during each request (/proc/PID/schedstat; it runs the SQL and the JSON): what
   * the request costs whatever else the machine runs, where the wall times above also hold the waits for a core.
   */
  cpuP50Ms: number;
  cpuP99Ms: number;
}

export interface LedgerResult {
  shape: LedgerShape;
  rows: LedgerFacts['rows'];
  insertSeconds: number;
  insertRowsPerSecond: number;
  dbBytes: number;
  sweep: { ms: number; queued: number; dequeued: number; dueQueryMs: number; dueCount: number; retentionModule: boolean };
  daemonStartMs: number;
  /** The daemon's peak resident set over start, login and the queries. */
  daemonRssBytes: number | null;
  /** The daemon's memory by phase (start, login, idle, queries, after). */
  memory: MemoryPhase[];
  http: Record<string, LatencyResult>;
  /** The machine's 1-minute load average before and after the HTTP requests (others' work on a shared machine shows here). */
  loadAverage: { before: number; after: number };
}

const DAY = 86_400_000;

/** A deterministic pseudo-random pick, so every run asks the same questions. */
function picker(seed: number) {
  let s = seed;
  return <T>(xs: readonly T[]): T => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return xs[s % xs.length]!;
  };
}

export async function benchLedger(o: { shape: LedgerShape; requests: number; maxSecondsPerKind: number; log: (s: string) => void }): Promise<LedgerResult> {
  const dir = tempDir('ledger');
  try {
    const raw = { ...benchConfig({ dir, dataDir: join(dir, 'data'), devDir: join(dir, 'dev'), mountRoot: join(dir, 'media') }), retention: { months: o.shape.retentionMonths } };
    const config = parseConfig(raw, {});
    const ledger = openLedgerFor(config);
    o.log(`ledger: inserting ${o.shape.recordings.toLocaleString('en')} recordings…`);
    const facts = synthesize(ledger, o.shape);
    o.log(`ledger: ${facts.rows.recordings} recordings in ${round(facts.insertMs / 1000, 1)} s; ${facts.rows.live} live, ${facts.rows.queued} queued for review, ${facts.rows.dueUnqueued} due since the last sweep`);

    // The due query on its own, then the daily sweep as the daemon runs it.
    const t0 = now();
    const due = ledger.rawForTests().prepare('SELECT COUNT(*) AS n FROM recordings WHERE retain_until_ms <= ? AND purged_at_ms IS NULL').get(facts.nowMs) as { n: number };
    const dueQueryMs = now() - t0;
    const { key } = await loadOrCreateDockKey(realStorage, config.dataDir);
    const service = new RetentionService(
      {
        dataDir: config.dataDir,
        dockId: config.dockId,
        ledger,
        chain: new ManifestChain(config.dataDir, ledger, realStorage, key),
        ops: realStorage,
        log: createLogger({ level: 'silent' }),
        lock: new RetentionLock(),
        now: () => facts.nowMs,
        iso: (ms) => toIsoInZone(ms, config.timezone),
      },
      { autoPurge: config.retention.autoPurge, autoPurgeGraceDays: config.retention.autoPurgeGraceDays },
    );
    const t1 = now();
    const swept = await service.sweep();
    const sweepMs = now() - t1;
    ledger.rawForTests().pragma('wal_checkpoint(TRUNCATE)');
    const dbBytes = (ledger.rawForTests().prepare('SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()').get() as { b: number }).b;
    ledger.close();
    o.log(`ledger: sweep ${round(sweepMs)} ms (queued ${swept.queued}); starting the daemon on it…`);

    const s0 = now();
    const daemon = await startDaemonProc({ dir, dataDir: config.dataDir, devDir: join(dir, 'dev'), mountRoot: join(dir, 'media') }, raw);
    const daemonStartMs = now() - s0;
    try {
      const before = loadavg()[0]!;
      await daemon.phase('queries');
      const http = await measureHttp(daemon, facts, o.requests, o.maxSecondsPerKind, o.log);
      await daemon.phase('after queries');
      const after = loadavg()[0]!;
      return {
        shape: o.shape,
        rows: facts.rows,
        insertSeconds: facts.insertMs / 1000,
        insertRowsPerSecond: facts.rows.recordings / (facts.insertMs / 1000),
        dbBytes,
        sweep: { ms: sweepMs, queued: swept.queued, dequeued: swept.dequeued, dueQueryMs, dueCount: due.n, retentionModule: true },
        daemonStartMs,
        daemonRssBytes: peakOfPhases(daemon.memoryPhases),
        memory: daemon.memoryPhases,
        http,
        loadAverage: { before, after },
      };
    } finally {
      await daemon.stop();
    }
  } finally {
    rmTree(dir);
  }
}

/** Nanoseconds the process's main thread has run on a CPU (first field of /proc/PID/schedstat). */
const onCpuNs = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);

/** The device ledger's pages are this long: what the console's device page asks for (the API's default is 100). */
const LEDGER_PAGE = 50;
/** The deep page starts after this many periods. */
const DEEP_AFTER = 800;

/**
 * Cursors to a deep page of some recorders, taken by following `nextCursor` from the first page as a client does:
 * the page after DEEP_AFTER periods (about the oldest of a recorder's ~980 at a million recordings), or the deepest
 * one a smaller ledger has. `after` is the fewest periods before any of them.
 */
async function deepCursors(d: DaemonProc, serials: string[]): Promise<{ urls: string[]; after: number }> {
  const urls: string[] = [];
  let after = DEEP_AFTER;
  for (const serial of serials) {
    let cursor: string | null = null;
    let deepest: string | null = null;
    let shown = 0;
    while (shown < DEEP_AFTER) {
      const res = await d.get(`/api/devices/${serial}?limit=${LEDGER_PAGE}${cursor ? `&cursor=${cursor}` : ''}`);
      if (res.status !== 200) throw new Error(`GET the ledger of ${serial} answered ${res.status}: ${res.body.slice(0, 300)}`);
      cursor = (JSON.parse(res.body) as { nextCursor: string | null }).nextCursor;
      if (!cursor) break;
      deepest = cursor;
      shown += LEDGER_PAGE;
    }
    if (!deepest) continue;
    urls.push(`/api/devices/${serial}?limit=${LEDGER_PAGE}&cursor=${deepest}`);
    after = Math.min(after, shown);
  }
  if (urls.length === 0) throw new Error(`no recorder has more than ${LEDGER_PAGE} checkout periods`);
  return { urls, after };
}

async function measureHttp(d: DaemonProc, f: LedgerFacts, requests: number, maxSeconds: number, log: (s: string) => void): Promise<Record<string, LatencyResult>> {
  const pick = picker(7);
  const liveDays = Math.max(1, Math.floor((f.nowMs - f.liveFromMs) / DAY) - 1);
  const dayIso = (ms: number) => toIsoInZone(ms, 'Asia/Shanghai').slice(0, 10);
  const offsets = Array.from({ length: liveDays }, (_, i) => i);
  /** `from` and `to` of a range of `days` ending on a day of the live recordings. */
  const range = (days: number[]) => {
    const end = f.nowMs - pick(offsets) * DAY;
    return `from=${dayIso(end - pick(days) * DAY)}&to=${dayIso(end)}`;
  };
  const deep = await deepCursors(d, f.serials.slice(0, 25));
  // Every search the console's recordings page offers (officer, recorder, dates, flag) alone and combined, and the
  // catalogue's (a case, an evidence number); `recordings` leads each name (the target row takes the worst of them).
  const kinds: Record<string, () => string> = {
    'recordings by officer': () => `/api/recordings?officer=${pick(f.officers)}`,
    'recordings by recorder': () => `/api/recordings?serial=${pick(f.serials)}`,
    'recordings by date range (1–7 days)': () => `/api/recordings?${range([1, 2, 7])}`,
    'recordings by flag': () => `/api/recordings?flag=${pick(f.flags)}`,
    'recordings by officer and date range (7–30 days)': () => `/api/recordings?officer=${pick(f.officers)}&${range([7, 30])}`,
    'recordings by a docking’s finding (drift, gap, interrupted, seq_missing)': () => `/api/recordings?flag=${pick(f.dockingFindings)}`,
    'recordings by flag and date range (7–30 days)': () => `/api/recordings?flag=${pick(f.flags)}&${range([7, 30])}`,
    'recordings by recorder and flag': () => `/api/recordings?serial=${pick(f.serials)}&flag=${pick(f.flags)}`,
    'recordings by case (a hold of 20)': () => `/api/recordings?case=${pick(f.caseRefs)}`,
    'recordings by evidence number': () => `/api/recordings?evidence=${pick(f.evidenceNos)}`,
    [`device ledger page: first (${LEDGER_PAGE} periods, the last 20 dockings and findings)`]: () => `/api/devices/${pick(f.serials)}?limit=${LEDGER_PAGE}`,
    [`device ledger page: deep by cursor (periods ${deep.after + 1}–${deep.after + LEDGER_PAGE})`]: () => pick(deep.urls),
  };
  const out: Record<string, LatencyResult> = {};
  for (const [name, url] of Object.entries(kinds)) {
    for (let i = 0; i < 5; i++) await d.get(url()); // warm-up: connection, statement cache
    const times: number[] = [];
    const cpu: number[] = [];
    let items = 0;
    const until = now() + maxSeconds * 1000;
    for (let i = 0; i < requests && now() < until; i++) {
      const u = url();
      const c0 = onCpuNs(d.pid);
      const t0 = now();
      const res = await d.get(u);
      times.push(now() - t0);
      cpu.push((onCpuNs(d.pid) - c0) / 1e6);
      if (res.status !== 200) throw new Error(`GET ${u} answered ${res.status}: ${res.body.slice(0, 300)}`);
      const j = JSON.parse(res.body) as { items?: unknown[]; checkouts?: unknown[] };
      items += (j.items ?? j.checkouts ?? []).length;
    }
    out[name] = {
      requests: times.length,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: Math.max(...times),
      meanItems: items / times.length,
      cpuP50Ms: percentile(cpu, 50),
      cpuP99Ms: percentile(cpu, 99),
    };
    log(`ledger: ${name}: p50 ${round(out[name]!.p50Ms, 2)} ms, p99 ${round(out[name]!.p99Ms, 2)} ms over ${times.length} (daemon CPU p50 ${round(out[name]!.cpuP50Ms, 2)}, p99 ${round(out[name]!.cpuP99Ms, 2)} ms)`);
  }
  return out;
}
