/** The bench's results: the targets of issue 9 judged, and the table printed at the end of a run. */
import type { LedgerResult } from './ledger.js';
import type { ReplicationResult } from './upstream.js';
import type { OffloadResult } from './offload.js';
import type { MemoryPhase } from './daemon-proc.js';
import type { SlotRun } from './slots.js';

export interface BenchResults {
  date: string;
  command: string;
  machine: { cpus: number; model: string; memGiB: number; kernel: string; node: string; tmp: string; tmpFs: string };
  seconds: number;
  offload: OffloadResult | null;
  slots: SlotRun[] | null;
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
  }
  if (r.slots && r.slots.length > 1) {
    const eight = r.slots[r.slots.length - 1]!;
    const best = Math.max(...r.slots.slice(0, -1).map((s) => s.aggregateMBps));
    t.push({ target: `${eight.slots} slots ≥ 90% of the best aggregate of fewer`, measured: `${f0((100 * eight.aggregateMBps) / best)}% (${f0(eight.aggregateMBps)} of ${f0(best)} MB/s)`, met: eight.aggregateMBps >= 0.9 * best });
  }
  const firsts = [...(r.slots ?? []).map((s) => s.plugToFirstByteMaxMs), ...(r.offload?.dockRuns ?? []).map((d) => d.plugToFirstByteMs ?? Infinity)];
  if (firsts.length) {
    const worst = Math.max(...firsts);
    t.push({ target: 'plug → first byte < 2 s (worst slot of every run)', measured: `${f0(worst)} ms`, met: worst < 2000 });
  }
  if (r.ledger) {
    const n = r.ledger.rows.recordings.toLocaleString('en');
    const searches = Object.entries(r.ledger.http).filter(([k]) => k.startsWith('recordings'));
    const p99 = Math.max(...searches.map(([, h]) => h.p99Ms));
    t.push({ target: `p99 of the recordings searches (officer, date range, flag) < 20 ms at ${n} recordings`, measured: `${f1(p99)} ms (worst of the three)`, met: p99 < 20 });
    const dev = Object.entries(r.ledger.http).find(([k]) => k.startsWith('device ledger'))?.[1];
    if (dev) t.push({ target: `device ledger p99 < 20 ms, if held to the same target (answers ~${f0(dev.meanItems)} checkout periods)`, measured: `${f1(dev.p99Ms)} ms`, met: dev.p99Ms < 20 });
  }
  t.push(...memoryTargets(r));
  return t;
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
  s += 'anon: heaps, malloc (scrypt at login: 128 MiB), stacks and copy workers; file: mapped files, mostly the node binary\'s code\n';
  return s;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n') + '\n';
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
    s += `\n## Slots at once (same total split between recorders, fresh daemon process each)\n\n`;
    s += table(
      ['slots', 'GiB', 'files', 'aggregate MB/s', 'per-slot MB/s (min–max)', 'share while all busy (min–max)', 'plug→first byte median / max', 'daemon peak RSS'],
      r.slots.map((x) => [
        String(x.slots),
        f2(x.bytes / 2 ** 30),
        String(x.files),
        f0(x.aggregateMBps),
        `${f0(Math.min(...x.perSlot.map((p) => p.mbps)))}–${f0(Math.max(...x.perSlot.map((p) => p.mbps)))}`,
        `${f1(Math.min(...x.perSlot.map((p) => p.sharePct)))}–${f1(Math.max(...x.perSlot.map((p) => p.sharePct)))}%`,
        `${f0(x.plugToFirstByteMedianMs)} / ${f0(x.plugToFirstByteMaxMs)} ms`,
        mib(x.daemonPeakRssBytes),
      ]),
    );
  }
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
    s += `inserted in ${f1(l.insertSeconds)} s (${f0(l.insertRowsPerSecond)} recordings/s, one transaction). retention sweep: ${f0(l.sweep.ms)} ms (queued ${l.sweep.queued}, ${l.rows.queued} already in review); due query alone ${f1(l.sweep.dueQueryMs)} ms (${l.sweep.dueCount} due). daemon start on it ${f0(l.daemonStartMs)} ms, RSS ${mib(l.daemonRssBytes)} after the queries\n\n`;
    s += table(
      ['over HTTP (keep-alive, logged in)', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'items/answer'],
      Object.entries(l.http).map(([k, h]) => [k, String(h.requests), f2(h.p50Ms), f2(h.p99Ms), f2(h.maxMs), f0(h.meanItems)]),
    );
  }
  s += renderMemory(r);
  s += `\n## Targets (issue 9)\n\n`;
  s += table(['target', 'measured', 'met'], r.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO']));
  return s;
}
