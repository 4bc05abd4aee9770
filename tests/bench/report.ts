/** The bench's results: the targets of issue 9 judged, and the table printed at the end of a run. */
import type { LatencyResult, LedgerResult } from './ledger.js';
import type { ReplicationResult } from './upstream.js';
import type { OffloadResult } from './offload.js';
import type { RatedResult } from './rated.js';
import type { MemoryPhase } from './daemon-proc.js';
import type { SlotRun } from './slots.js';

export interface BenchResults {
  date: string;
  command: string;
  machine: { cpus: number; model: string; memGiB: number; kernel: string; node: string; tmp: string; tmpFs: string };
  seconds: number;
  offload: OffloadResult | null;
  slots: SlotRun[] | null;
  /** Recorders at USB link speed (issue 19); absent when not run. */
  rated?: RatedResult | null;
  ledger: LedgerResult | null;
  /** Replication to the agency store against a plain multipart upload of the same files (issue 16); absent when not run. */
  replication?: ReplicationResult | null;
  targets: Target[];
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const mib = (b: number | null) => (b === null ? '?' : `${f0(b / 2 ** 20)} MiB`);

export function targetsOf(r: Omit<BenchResults, 'targets'>): Target[] {
  const t: Target[] = [];
  if (r.offload) {
    t.push({ target: 'offload ≥ 90% of (a)', measured: `${f0(r.offload.dockOverA * 100)}%`, met: r.offload.dockOverA >= 0.9 });
    t.push({ target: 'offload ≥ 1.8× (b)', measured: `${f2(r.offload.dockOverB)}×`, met: r.offload.dockOverB >= 1.8 });
    // Issue 19's one-recorder targets, on the medians of the same rounds.
    const overC = r.offload.mbps.dock / r.offload.mbps.c;
    t.push({ target: 'one recorder: offload ≥ 0.8 × (c) cp + sync of the same files', measured: `${f2(overC)}× (${f0(r.offload.mbps.dock)} of ${f0(r.offload.mbps.c)} MB/s)`, met: overC >= 0.8 });
    t.push({ target: 'one recorder: offload ≥ 2 × (b) cp, then sha256sum', measured: `${f2(r.offload.dockOverB)}×`, met: r.offload.dockOverB >= 2 });
  }
  t.push(...slotTargets(r));
  if (r.ledger) {
    const n = r.ledger.rows.recordings.toLocaleString('en');
    // Issue 19: each row is the worst p99 of its kind of request (every search; the first and a deep ledger page).
    const worst = (prefix: string) => Object.entries(r.ledger!.http).filter(([k]) => k.startsWith(prefix)).sort(([, a], [, b]) => b.p99Ms - a.p99Ms)[0];
    const dev = worst('device ledger page');
    const cpu = (h: LatencyResult) => `; its daemon CPU p99 ${f1(h.cpuP99Ms)} ms`;
    if (dev) t.push({ target: `device ledger page p99 < 20 ms at ${n} recordings`, measured: `${f1(dev[1].p99Ms)} ms (worst: ${dev[0].replace('device ledger page: ', '')}${cpu(dev[1])})`, met: dev[1].p99Ms < 20 });
    const search = worst('recordings');
    if (search) t.push({ target: `recordings searches p99 < 20 ms at ${n} recordings`, measured: `${f1(search[1].p99Ms)} ms (worst: ${search[0].replace('recordings ', '')}${cpu(search[1])})`, met: search[1].p99Ms < 20 });
  }
  t.push(...memoryTargets(r));
  return t;
}

/** Issue 19's targets of recorders at once: aggregate and shares at 8 and 20 slots, first bytes at 20, rated links. */
function slotTargets(r: Omit<BenchResults, 'targets'>): Target[] {
  const t: Target[] = [];
  // The best single-recorder figure of this run: one slot, and the offload's median when that ran too.
  const singles = [...(r.slots ?? []).filter((s) => s.slots === 1).map((s) => ({ mbps: s.aggregateMBps, what: 'one slot' })), ...(r.offload ? [{ mbps: r.offload.mbps.dock, what: 'offload median' }] : [])];
  const best = singles.sort((a, b) => b.mbps - a.mbps)[0];
  for (const x of (r.slots ?? []).filter((s) => s.slots >= 8)) {
    if (best) t.push({ target: `${x.slots} slots: aggregate ≥ 90% of the best single recorder`, measured: `${f0((100 * x.aggregateMBps) / best.mbps)}% (${f0(x.aggregateMBps)} of ${f0(best.mbps)} MB/s, ${best.what})`, met: x.aggregateMBps >= 0.9 * best.mbps });
    const equal = 100 / x.slots;
    const off = sharesOff(x.perSlot.map((p) => p.sharePct), equal);
    t.push({ target: `${x.slots} slots: every share while all are busy within ±20% of equal (${f1(equal)}%)`, measured: off === null ? 'never all busy at once' : `${shareRange(x.perSlot)} (worst ${off > 0 ? '+' : ''}${f0(off * 100)}%)`, met: off !== null && Math.abs(off) <= 0.2 });
  }
  // First bytes of the slots phase: a rated recorder's own volume takes a FUSE mount to appear (shown in its table).
  const most = (r.slots ?? []).filter((s) => s.slots > 1).sort((a, b) => b.slots - a.slots)[0];
  if (most) t.push({ target: `plug → first byte < 2 s for the worst recorder at ${most.slots} slots`, measured: `${f0(most.plugToFirstByteMaxMs)} ms`, met: most.plugToFirstByteMaxMs < 2000 });
  for (const x of r.rated?.runs ?? []) {
    const by = x.sumOfRatesMBps <= x.cpSync.MBps ? 'sum of rates' : 'cp+sync';
    t.push({ target: `${x.link} (${f0(x.rateMBps)} MB/s each) × ${x.recorders}: dock ≥ 95% of min(sum of rates, cp+sync)`, measured: `${f0(100 * x.dockOverBound)}% (${f0(x.dockMBps)} of ${f0(x.boundMBps)} MB/s, ${by})`, met: x.dockOverBound >= 0.95 });
  }
  return t;
}

/** The share furthest from `equal`, as a signed fraction of it; null when some slot had none (never all busy). */
function sharesOff(shares: Array<number | null>, equal: number): number | null {
  if (shares.length === 0 || shares.some((s) => s === null)) return null;
  return (shares as number[]).map((s) => s / equal - 1).sort((a, b) => Math.abs(b) - Math.abs(a))[0]!;
}

function shareRange(perSlot: Array<{ sharePct: number | null }>): string {
  const s = perSlot.map((p) => p.sharePct);
  if (s.some((x) => x === null)) return 'never all busy';
  const v = s as number[];
  return `${f1(Math.min(...v))}–${f1(Math.max(...v))}%`;
}

const RSS_TARGET = 150 * 2 ** 20;

/** The peak of one phase, by the phase's name ('?' when the run had no such phase). */
const phasePeak = (phases: readonly MemoryPhase[], name: string) => mib(phases.find((p) => p.phase === name)?.peakRssBytes ?? null);

/** Issue 19: the daemon's peak RSS over its whole run (start and login included) with the most slots, and on the ledger. */
function memoryTargets(r: Omit<BenchResults, 'targets'>): Target[] {
  const t: Target[] = [];
  const most = [...(r.slots ?? [])].sort((a, b) => b.slots - a.slots)[0];
  if (most?.daemonPeakRssBytes != null) {
    const peak = most.daemonPeakRssBytes;
    t.push({ target: `daemon peak RSS < 150 MiB at ${most.slots} slots`, measured: `${mib(peak)} (docking ${phasePeak(most.memory ?? [], 'docking')}, login ${phasePeak(most.memory ?? [], 'login')})`, met: peak < RSS_TARGET });
  }
  if (r.ledger?.daemonRssBytes != null) {
    const peak = r.ledger.daemonRssBytes;
    const n = r.ledger.rows.recordings.toLocaleString('en');
    t.push({ target: `daemon peak RSS < 150 MiB on the ${n}-recording ledger`, measured: `${mib(peak)} (queries ${phasePeak(r.ledger.memory ?? [], 'queries')}, login ${phasePeak(r.ledger.memory ?? [], 'login')})`, met: peak < RSS_TARGET });
  }
  return t;
}

/** One row per phase of each daemon process: its peak, and the daemon's own breakdown at its highest sample. */
function renderMemory(r: BenchResults): string {
  const runs: Array<[string, readonly MemoryPhase[]]> = [...(r.slots ?? []).map((x): [string, readonly MemoryPhase[]] => [`${x.slots} slots`, x.memory ?? []]), ...(r.ledger ? [['ledger', r.ledger.memory ?? []] as [string, readonly MemoryPhase[]]] : [])];
  if (!runs.some(([, p]) => p.length)) return '';
  let s = `\n## Daemon memory by phase (peak: VmHWM, reset at each phase; the rest: the daemon's own sample with the highest RSS in the phase; MiB)\n\n`;
  const m = (b: number | null | undefined) => (b == null ? '?' : f0(b / 2 ** 20));
  s += table(
    ['run', 'phase', 's', 'peak RSS', 'RSS at sample', 'heap used / total', 'external', 'arrayBuffers', 'anon / file'],
    runs.flatMap(([run, phases]) =>
      phases.map((p) => {
        const a = p.atPeak;
        return [run, p.phase, f1(p.ms / 1000), `${m(p.peakRssBytes)}${p.peakExact ? '' : ' (sampled)'}`, m(a?.rss), a ? `${m(a.heapUsed)} / ${m(a.heapTotal)}` : '?', m(a?.external), m(a?.arrayBuffers), a ? `${m(a.rssAnon)} / ${m(a.rssFile)}` : '?'];
      }),
    ),
  );
  s += 'anon: heaps, malloc (the login\'s scrypt, 128·N·r bytes of its cost, among them), stacks and copy workers; file: mapped files, mostly the node binary\'s code\n';
  return s;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}

/** Plug → each state's first appearance, median over the slots of a run. */
const statesLine = (m: Record<string, number> | undefined) => `ms after plug (median of slots): ${Object.entries(m ?? {}).map(([k, v]) => `${k} ${f0(v)}`).join(', ')}`;

function renderRated(x: RatedResult): string {
  let s = `\n## Recorders at link speed: exFAT loop volumes (exfat-fuse) read through a blkio throttle, ${f0(x.bytesPerRecorder / 2 ** 20)} MiB each in files of ${f0(x.segmentBytes / 2 ** 20)} MiB; per run a lone cat, cp+sync, then the dock, from the same volumes\n\n`;
  s += table(
    ['link × recorders', 'GiB', 'lone cat MB/s (set)', 'sum of rates', 'cp+sync MB/s', 'bound MB/s', 'dock MB/s', 'dock ÷ bound', 'dock plug→ready MB/s', 'all busy s', 'share while all busy', 'plug→volume max', 'plug→first byte median / max', 'daemon peak RSS'],
    x.runs.map((u) => [
      `${u.link} × ${u.recorders}`,
      f2(u.bytes / 2 ** 30),
      `${f1(u.loneCat.MBps)} (${f0(u.rateMBps)})`,
      f0(u.sumOfRatesMBps),
      f0(u.cpSync.MBps),
      f0(u.boundMBps),
      f0(u.dockMBps),
      f2(u.dockOverBound),
      f0(u.aggregateMBps),
      f1(u.allBusyMs / 1000),
      shareRange(u.perSlot),
      `${f0(u.plugToVolumeMaxMs)} ms`,
      `${f0(u.plugToFirstByteMedianMs)} / ${f0(u.plugToFirstByteMaxMs)} ms`,
      mib(u.daemonPeakRssBytes),
    ]),
  );
  s += `dock MB/s: all bytes over first volume shown → last slot leaving mass storage (stored, signed, erased), as cp+sync is timed from mounted volumes to its sync's end; bound: min(sum of rates, cp+sync); plug→volume: the dock's identification, ENTER_MSC and the simulator's 150 ms before the volume appears\n`;
  for (const u of x.runs) {
    const cached = u.cacheDropped ? '' : ' (page cache NOT dropped)';
    s += `${u.link} × ${u.recorders}${cached}: read through the throttle ${f2(u.dockThrottledBytes / 2 ** 30)} GiB; per recorder first byte ms ${u.perSlot.map((p) => (p.plugToFirstByteMs === null ? '?' : f0(p.plugToFirstByteMs))).join(' ')}; share % ${u.perSlot.map((p) => (p.sharePct === null ? '–' : f1(p.sharePct))).join(' ')}; ${statesLine(u.stateMedianMs)}\n`;
  }
  return s;
}

export function renderReport(r: BenchResults): string {
  let s = `\nbwc-dock bench — ${r.date} — ${r.command}\n`;
  s += `machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memGiB} GiB RAM, Linux ${r.machine.kernel}, Node ${r.machine.node}, temp ${r.machine.tmp} (${r.machine.tmpFs}); run took ${f0(r.seconds)} s\n`;
  if (r.offload) {
    const o = r.offload;
    s += `\n## Offload: one recorder, ${f2(o.bytes / 2 ** 30)} GiB in ${o.files} files of ${f0(o.segmentBytes / 2 ** 20)} MiB; ${o.rounds.length} rounds, alternating order; page cache ${o.cacheDropped ? 'dropped before every run' : 'NOT dropped (not root?)'}\n\n`;
    const kinds = ['dock', 'a', 'b', 'c'] as const;
    s += table(
      ['run', ...o.rounds.map((_, i) => `round ${i + 1} MB/s`), 'median MB/s', 'mean MB/s', 'dock ÷ this (median)'],
      kinds.map((k) => [o.names[k], ...o.rounds.map((rd) => f0(o.bytes / 1e6 / (rd.ms[k] / 1000))), f0(o.mbps[k]), f0(o.meanMbps[k]), k === 'dock' ? '' : f2(o.mbps.dock / o.mbps[k])]),
    );
    s += `orders: ${o.rounds.map((rd) => rd.order.join(' → ')).join('; ')}\n`;
    for (const [i, d] of o.dockRuns.entries()) {
      s += `dock run ${i + 1}: ${d.stored} stored, ${d.signed} signed, ${d.erased} erased (ledger); first byte ${d.plugToFirstByteMs === null ? '?' : f0(d.plugToFirstByteMs)} ms; ms after replug: ${Object.entries(d.phases).map(([k, v]) => `${k} ${v}`).join(', ')}\n`;
    }
  }
  if (r.slots) {
    s += `\n## Slots at once (the same total split between recorders, at least 256 MiB each; fresh daemon process each)\n\n`;
    s += table(
      ['slots', 'GiB', 'files', 'aggregate MB/s', 'per-slot MB/s (min–max)', 'all busy s', 'share while all busy (min–max)', 'plug→first byte median / max', 'daemon peak RSS'],
      r.slots.map((x) => [
        String(x.slots),
        f2(x.bytes / 2 ** 30),
        String(x.files),
        f0(x.aggregateMBps),
        `${f0(Math.min(...x.perSlot.map((p) => p.mbps)))}–${f0(Math.max(...x.perSlot.map((p) => p.mbps)))}`,
        f1(x.allBusyMs / 1000),
        shareRange(x.perSlot),
        `${f0(x.plugToFirstByteMedianMs)} / ${f0(x.plugToFirstByteMaxMs)} ms`,
        mib(x.daemonPeakRssBytes),
      ]),
    );
    for (const x of r.slots) s += `${x.slots} slots: ${statesLine(x.stateMedianMs)}\n`;
  }
  if (r.rated) s += renderRated(r.rated);
  if (r.replication) {
    const x = r.replication;
    s += `\n## Replication to the agency store (one-node Ceph RGW, Object Lock; ${x.files} files of ${f0(x.bytes / x.files / 2 ** 20)} MiB, ${x.concurrency} at once)\n\n`;
    s += table(
      ['run', 'MiB/s'],
      [
        ['plain multipart upload (no checksum, lock or ledger)', f0(x.plainMBps)],
        ['dock replication (Content-MD5, SHA-256 check, lock, HEAD, PostgreSQL rows)', f0(x.replicationMBps)],
      ],
    );
    s += `replication ÷ plain: ${f2(x.ratio)}\n`;
  }
  if (r.ledger) {
    const l = r.ledger;
    s += `\n## Ledger: ${l.rows.recordings.toLocaleString('en')} recordings (${l.rows.live.toLocaleString('en')} live, ${l.rows.purged.toLocaleString('en')} purged with tombstones), ${l.rows.checkouts.toLocaleString('en')} checkouts, ${l.rows.flags.toLocaleString('en')} flags, ${l.rows.findings.toLocaleString('en')} findings; ${f0(l.dbBytes / 2 ** 20)} MiB\n`;
    s += `inserted in ${f1(l.insertSeconds)} s (${f0(l.insertRowsPerSecond)} recordings/s, one transaction). retention sweep: ${f0(l.sweep.ms)} ms (queued ${l.sweep.queued}, ${l.rows.queued} already in review); due query alone ${f1(l.sweep.dueQueryMs)} ms (${l.sweep.dueCount} due). daemon start on it ${f0(l.daemonStartMs)} ms, RSS ${mib(l.daemonRssBytes)} after the queries; load average ${f2(l.loadAverage.before)} before the requests, ${f2(l.loadAverage.after)} after\n\n`;
    s += table(
      ['over HTTP (keep-alive, logged in)', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'items/answer', 'daemon CPU p50 / p99 ms'],
      Object.entries(l.http).map(([k, h]) => [k, String(h.requests), f2(h.p50Ms), f2(h.p99Ms), f2(h.maxMs), f0(h.meanItems), `${f2(h.cpuP50Ms)} / ${f2(h.cpuP99Ms)}`]),
    );
  }
  s += renderMemory(r);
  s += `\n## Targets (issues 9 and 19)\n\n`;
  s += table(['target', 'measured', 'met'], r.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO']));
  return s;
}
