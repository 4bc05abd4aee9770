/**
 * `npm run bench`: offload throughput against the machine's own limits, slots at once, recorders at USB
 * link speed, the ledger at 1,000,000 recordings and the daemon's memory (issues 9, 19). Prints a table and
 * writes bench-results.json at the repository root. Not part of the tests; takes about 15 minutes and
 * several GiB under the temp folder.
 *
 *   node dist/tests/bench/run.js [--only offload,slots,rated,ledger,replication] [--offload-gib 3]
 *                                [--slots-gib 2] [--slot-counts 1,8,20] [--rated-mib 192] [--rated-counts 8,20]
 *                                [--segment-mib 256] [--rounds 3] [--recordings 1000000] [--replication-mib 256]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sharedClips } from '../helpers/dock.js';
import { MiB, rmTree, tempDir } from './env.js';
import { benchLedger } from './ledger.js';
import { benchOffload } from './offload.js';
import { benchRated } from './rated.js';
import { renderReport, targetsOf, type BenchResults } from './report.js';
import { benchSlots } from './slots.js';
import { benchReplication } from './upstream.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));


function freeGiB(dir: string): number {
  const out = execFileSync('df', ['-Pk', dir], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
  return Number(out[3]) / 2 ** 20;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      'offload-gib': { type: 'string', default: '3' },
      'slots-gib': { type: 'string', default: '2' },
      'slot-counts': { type: 'string', default: '1,8,20' },
      'rated-mib': { type: 'string', default: '192' },
      'rated-counts': { type: 'string', default: '8,20' },
      'segment-mib': { type: 'string', default: '256' },
      rounds: { type: 'string', default: '3' },
      recordings: { type: 'string', default: '1000000' },
      'replication-mib': { type: 'string', default: '256' },
    },
  });
  const only = new Set((values.only ?? 'offload,slots,rated,ledger,replication').split(','));
  const log = (s: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);
  const t0 = performance.now();
  const offloadBytes = Math.round(Number(values['offload-gib']) * 1024) * MiB;
  const slotsBytes = Math.round(Number(values['slots-gib']) * 1024) * MiB;
  const segmentBytes = Number(values['segment-mib']) * MiB;
  const slotCounts = values['slot-counts'].split(',').map(Number);
  const ratedCounts = values['rated-counts'].split(',').map(Number);
  const ratedBytes = Math.round(Number(values['rated-mib'])) * MiB;
  // Rated: pristine footage, the images, the cp copy and the dock's store of the largest count at once.
  const need = Math.max(offloadBytes * 3, Math.max(slotsBytes, Math.max(...slotCounts) * 256 * MiB) * 3, ratedBytes * Math.max(...ratedCounts) * 4) / 2 ** 30 + 1;
  const free = freeGiB(tmpdir());
  if (free < need) throw new Error(`bench needs about ${need.toFixed(1)} GiB free under ${tmpdir()}, there are ${free.toFixed(1)}`);

  const root = tempDir('run');
  const clips = sharedClips();
  const results: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '?',
      memGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      node: process.version,
      tmp: tmpdir(),
      tmpFs: execFileSync('df', ['-PT', tmpdir()], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/)[1] ?? '?',
    },
    seconds: 0,
    offload: null,
    slots: null,
    rated: null,
    ledger: null,
    targets: [],
  };
  try {
    // Templates are encoded once with ffmpeg (cached between runs), before anything is timed.
    await clips.template('video', 60_000);
    if (only.has('offload')) results.offload = await benchOffload({ root, clips, totalBytes: offloadBytes, segmentBytes, rounds: Number(values.rounds), log });
    if (only.has('slots')) results.slots = await benchSlots({ root, clips, counts: slotCounts, totalBytes: slotsBytes, segmentBytes, log });
    if (only.has('rated')) results.rated = await benchRated({ root, clips, counts: ratedCounts, bytesPerRecorder: ratedBytes, log });
    if (only.has('ledger')) {
      results.ledger = await benchLedger({
        shape: { recordings: Number(values.recordings), devices: 250, officers: 400, units: 20, days: 1100, retentionMonths: 10 },
        requests: 300,
        maxSecondsPerKind: 30,
        log,
      });
    }
    if (only.has('replication')) {
      const fileBytes = 32 * MiB;
      results.replication = await benchReplication({ root, files: Math.max(1, Math.round((Number(values['replication-mib']) * MiB) / fileBytes)), fileBytes, concurrency: 4, log });
    }
  } finally {
    rmTree(root);
  }
  results.seconds = (performance.now() - t0) / 1000;
  results.targets = targetsOf(results);
  const file = join(REPO, 'bench-results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(renderReport(results));
  process.stdout.write(`\nresults written to ${file}\n`);
}

main().then(
  () => setTimeout(() => process.exit(0), 200).unref(),
  (e: Error) => {
    process.stderr.write(`bench failed: ${e.stack ?? e}\n`);
    process.exit(1);
  },
);
