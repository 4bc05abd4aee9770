/**
 * A synthetic ledger of a busy dock after about three years: devices used on most days, each docking one
 * checkout period with a few recordings, flags at realistic rates, recordings past retention purged behind
 * tombstones, a review backlog of due recordings, some holds and findings. Inserted in one transaction
 * through prepared statements; rows go in oldest first, as a dock writes them.
 */
import { randomBytes } from 'node:crypto';
import type { Ledger } from '../../daemon/ledger/index.js';

export interface LedgerShape {
  recordings: number;
  devices: number;
  officers: number;
  units: number;
  days: number;
  /** Retention months (the config's `retention.months`). */
  retentionMonths: number;
}

/** Flags and how often a recording carries each (fraction of all recordings). */
const FLAG_RATES: Record<string, number> = {
  no_checkout: 0.03,
  late_offload: 0.02,
  dock_unsynced: 0.005,
  wrong_officer: 0.003,
  clock_reset: 0.002,
  bad_name: 0.0001,
  hash_mismatch: 0.00005,
  size_mismatch: 0.00002,
};
const FINDING_KINDS = new Set(['no_checkout', 'late_offload', 'wrong_officer', 'clock_reset', 'hash_mismatch', 'size_mismatch']);
/**
 * What a docking finds about the session rather than a file (the console's flag search answers the recordings of
 * such dockings, DOCKING_FINDINGS), and how often a docking raises each: a clock past the warning, a time gap,
 * an unplug mid-offload, a missing sequence number. Drawn from a generator of their own, so the rest of the
 * ledger is the one earlier runs built.
 */
const DOCKING_RATES: Record<string, number> = { drift: 0.03, gap: 0.02, interrupted: 0.005, seq_missing: 0.002 };

export interface LedgerFacts {
  serials: string[];
  officers: string[];
  flags: string[];
  /** The kinds of docking findings (the flag search answers the recordings of those dockings). */
  dockingFindings: string[];
  /** Case references of the holds (each holds twenty recordings) and evidence numbers of some live recordings, for the catalogue searches. */
  caseRefs: string[];
  evidenceNos: string[];
  rows: { recordings: number; live: number; purged: number; queued: number; dueUnqueued: number; checkouts: number; sessions: number; flags: number; findings: number; held: number };
  /** Live recordings start from here (ms) to `nowMs`. */
  liveFromMs: number;
  nowMs: number;
  insertMs: number;
}

const DAY = 86_400_000;
const ZONE_MS = 8 * 3_600_000; // Asia/Shanghai, no DST
const iso = (ms: number) => `${new Date(ms + ZONE_MS).toISOString().slice(0, 23)}+08:00`;
const localStamp = (ms: number) => new Date(ms + ZONE_MS).toISOString().replace(/[-:T]/g, '').slice(0, 14);
const startOfLocalDay = (ms: number) => Math.floor((ms + ZONE_MS) / DAY) * DAY - ZONE_MS;
function addMonths(ms: number, months: number): number {
  const d = new Date(ms + ZONE_MS);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.getTime() - ZONE_MS;
}

/** xorshift32: a seeded generator, so every run builds the same ledger. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function poisson(rand: () => number, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

export function synthesize(ledger: Ledger, shape: LedgerShape, nowMs = Date.now()): LedgerFacts {
  const rand = rng(20240901);
  const drand = rng(20261201);
  const db = ledger.rawForTests();
  // The bench's own connection only: a page cache large enough for the indexes while it bulk-loads.
  db.pragma('cache_size = -524288');
  const t0 = performance.now();
  const serials = Array.from({ length: shape.devices }, (_, i) => `D${String(i + 1).padStart(6, '0')}`);
  const officers = Array.from({ length: shape.officers }, (_, i) => String(200001 + i));
  const unitOf = (officerIdx: number) => `4109${String(officerIdx % shape.units).padStart(8, '0')}`;
  // Days up to yesterday; the last daily sweep ran a day ago, so about a day's recordings came due since.
  const firstDay = startOfLocalDay(nowMs) - shape.days * DAY;
  const lastSweep = nowMs - DAY;
  const purgeBefore = nowMs - 45 * DAY;

  // Recordings per device-day, fixed first (newest back, so the recent past is complete), to reach the target exactly.
  const used = 0.9;
  const lambda = shape.recordings / (shape.devices * shape.days * used);
  const counts = new Uint8Array(shape.devices * shape.days);
  let total = 0;
  outer: for (let d = shape.days - 1; d >= 0; d--) {
    for (let i = 0; i < shape.devices; i++) {
      if (rand() > used) continue;
      const n = Math.min(255, Math.max(1, poisson(rand, lambda)), shape.recordings - total);
      counts[d * shape.devices + i] = n;
      total += n;
      if (total >= shape.recordings) break outer;
    }
  }

  const insDevice = db.prepare(
    `INSERT INTO devices (serial, id_code, firmware, caps, status, docked, last_docked_at_ms, last_undocked_at_ms, last_sync_at_ms, last_battery, last_free_mib, last_total_mib, last_file_count, created_at_ms)
     VALUES (?, 'SIM01', 'bwc-sim 1.0.0', 15, 'in_dock', 0, ?, ?, ?, 90, 30000, 32768, 0, ?)`,
  );
  const insOfficer = db.prepare('INSERT INTO officers (officer_no, name, unit_no, unit_name, created_at_ms) VALUES (?,?,?,?,?)');
  const insCheckout = db.prepare('INSERT INTO checkouts (serial, officer_no, out_at_ms, out_by, left_dock_at_ms, in_at_ms, in_by, in_session_id) VALUES (?,?,?,?,?,?,?,?)');
  const insSession = db.prepare(
    `INSERT INTO sessions (id, serial, port_path, started_at_ms, ended_at_ms, result, device_time, device_tz, dock_time_ms, drift_ms, drift_uncertainty_ms, dock_synced, clock_set, battery, free_mib, total_mib, files_total, files_stored, files_erased, bytes_stored, manifest_sha256)
     VALUES (?,?,?,?,?,'ok',?,480,?,?,40,1,1,?,30000,32768,?,?,?,?,?)`,
  );
  const insManifest = db.prepare('INSERT INTO manifests (session_id, kind, seqno, created_at_ms, sha256, prev_sha256) VALUES (?,?,?,?,?,?)');
  const insRec = db.prepare(
    `INSERT INTO recordings (serial, seq, name, device_path, stored_path, size, sha256, device_sha256, file_flags, recorded_start, recorded_start_ms,
       corrected_start, corrected_start_ms, drift_ms, drift_uncertainty_ms, duration_ms, offloaded_at, offloaded_at_ms, delay_ms, session_id, manifest_session_id,
       officer_no, unit_no, checkout_id, retain_until, retain_until_ms, erased_at_ms, purged_at_ms)
     VALUES (?,?,?,?,?,?,?,?,0,?,?,?,?,?,40,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  // Each flag row carries its recording's sort key, as the daemon writes it (RecordingRepo.addFlag, migration 4).
  const insFlag = db.prepare('INSERT INTO recording_flags (recording_id, flag, sort_ms) VALUES (?,?,?)');
  const insFinding = db.prepare(
    `INSERT INTO findings (kind, serial, recording_id, session_id, seq_from, seq_to, officer_no, detail, dedupe_key, state, created_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const insTomb = db.prepare(
    `INSERT INTO tombstones (recording_id, manifest_session_id, serial, seq, name, stored_path, size, sha256, approved_by, at, at_ms, reason, file_removed_at_ms) VALUES (?,?,?,?,?,?,?,?,'sup1',?,?,'retention period over',?)`,
  );
  const insQueue = db.prepare('INSERT INTO retention_queue (recording_id, entered_at, entered_at_ms, due_at_ms) VALUES (?,?,?,?)');
  const insHold = db.prepare("INSERT INTO holds (reason, case_ref, note, placed_by, placed_at, placed_at_ms) VALUES ('case', ?, NULL, 'legal1', ?, ?)");
  const insHoldRec = db.prepare('INSERT INTO hold_recordings (hold_id, recording_id) VALUES (?,?)');

  const rows = { recordings: 0, live: 0, purged: 0, queued: 0, dueUnqueued: 0, checkouts: 0, sessions: 0, flags: 0, findings: 0, held: 0 };
  const flagNames = Object.keys(FLAG_RATES);
  const seqOf = new Uint32Array(shape.devices).fill(1);
  const held: number[] = [];
  const caseRefs: string[] = [];
  let manifestSeq = 1;
  let liveFromMs = nowMs;
  // SHA-256-looking hex from a pool of random bytes (one randomBytes call per 64 Ki hashes).
  let pool = randomBytes(32 << 16);
  let at = 0;
  const hex = () => {
    if (at === pool.length) (pool = randomBytes(32 << 16)), (at = 0);
    at += 32;
    return pool.toString('hex', at - 32, at);
  };

  ledger.tx(() => {
    for (let i = 0; i < shape.officers; i++) insOfficer.run(officers[i]!, `警员${i + 1}`, unitOf(i), `第${(i % shape.units) + 1}中队`, firstDay);
    for (const s of serials) insDevice.run(s, nowMs - DAY, nowMs - DAY + 600_000, nowMs - DAY, firstDay);
    for (let d = 0; d < shape.days; d++) {
      const day = firstDay + d * DAY;
      for (let i = 0; i < shape.devices; i++) {
        const n = counts[d * shape.devices + i]!;
        if (n === 0) continue;
        const serial = serials[i]!;
        // Officers of the device's unit share it; one officer a shift.
        const oIdx = ((i % shape.units) + shape.units * Math.floor(rand() * Math.floor(shape.officers / shape.units))) % shape.officers;
        const officerNo = officers[oIdx]!;
        const unitNo = unitOf(oIdx);
        const outMs = day + 8 * 3_600_000 + Math.floor(rand() * 3_600_000);
        const inMs = day + 18 * 3_600_000 + Math.floor(rand() * 7_200_000);
        if (inMs > nowMs) continue;
        const sessionId = `${localStamp(inMs)}-${serial}`;
        const checkoutId = Number(insCheckout.run(serial, officerNo, outMs, 'em1', outMs + 300_000, inMs, 'dock', sessionId).lastInsertRowid);
        rows.checkouts++;
        // The recordings of this period first (the session row names their count and bytes, and comes first).
        const slot = (inMs - outMs - 1_800_000) / n;
        const planned = Array.from({ length: n }, (_, k) => {
          const durationMs = 30_000 + Math.floor(rand() * 570_000);
          return { k, seq: seqOf[i]!++, durationMs, size: Math.floor(durationMs * (700 + rand() * 600)), startMs: outMs + 600_000 + Math.floor(k * slot + rand() * Math.max(0, slot - durationMs)) };
        });
        const bytes = planned.reduce((a, p) => a + p.size, 0);
        insSession.run(sessionId, serial, `/dev/serial/by-id/usb-bwc-${serial}`, inMs, inMs + 600_000, localStamp(inMs), inMs, 300, 80, n, n, n, bytes, `m${manifestSeq}`);
        insManifest.run(sessionId, 'docking', manifestSeq, inMs + 590_000, `m${manifestSeq}`, manifestSeq > 1 ? `m${manifestSeq - 1}` : null);
        manifestSeq++;
        rows.sessions++;
        for (const [kind, rate] of Object.entries(DOCKING_RATES)) {
          if (drand() >= rate) continue;
          const state = inMs < nowMs - 30 * DAY ? 'approved' : 'open';
          insFinding.run(kind, serial, null, sessionId, null, null, officerNo, `${sessionId}: ${kind}`, `${kind}:${sessionId}`, state, inMs + 300_000);
          rows.findings++;
        }
        for (const { k, seq, durationMs, size, startMs } of planned) {
          const flags = flagNames.filter((f) => rand() < FLAG_RATES[f]!);
          const reset = flags.includes('clock_reset');
          const noCheckout = flags.includes('no_checkout');
          const drift = Math.floor((rand() - 0.5) * 4000);
          const recordedMs = reset ? null : startMs + drift;
          const correctedMs = reset ? null : startMs;
          const offloadedMs = inMs + 60_000 + k * 2000;
          const sortMs = correctedMs ?? offloadedMs;
          const retainMs = addMonths(sortMs, shape.retentionMonths);
          const isHeld = rand() < 0.001;
          const purged = !isHeld && retainMs < purgeBefore;
          const purgedAt = purged ? retainMs + 20 * DAY + Math.floor(rand() * 10 * DAY) : null;
          const name = `${serial}_${officerNo}_${localStamp(startMs)}_${String(seq % 10000).padStart(4, '0')}.MP4`;
          const sha = hex();
          const storedPath = `footage/${serial}/${iso(inMs).slice(0, 7)}/${seq}-${name}`;
          const id = Number(
            insRec.run(serial, seq, name, `DCIM/100BWC/${name}`, storedPath, size, sha, flags.includes('hash_mismatch') ? hex() : sha,
              recordedMs === null ? null : iso(recordedMs), recordedMs, correctedMs === null ? null : iso(correctedMs), correctedMs, correctedMs === null ? null : drift,
              durationMs, iso(offloadedMs), offloadedMs, offloadedMs - startMs - durationMs, sessionId, sessionId,
              officerNo, unitNo, noCheckout ? null : checkoutId, iso(retainMs), retainMs, offloadedMs + 120_000, purgedAt).lastInsertRowid,
          );
          rows.recordings++;
          for (const f of flags) {
            insFlag.run(id, f, sortMs);
            rows.flags++;
            if (FINDING_KINDS.has(f)) {
              const state = offloadedMs < nowMs - 30 * DAY ? 'approved' : 'open';
              insFinding.run(f, serial, id, sessionId, seq, seq, officerNo, `${name}: ${f}`, `${f}:${serial}:${seq}:${sha}`, state, offloadedMs);
              rows.findings++;
            }
          }
          if (isHeld) (held.push(id), rows.held++);
          if (purged) {
            insTomb.run(id, `purge-${localStamp(purgedAt!)}`, serial, seq, name, storedPath, size, sha, iso(purgedAt!), purgedAt!, purgedAt!);
            rows.purged++;
          } else {
            rows.live++;
            liveFromMs = Math.min(liveFromMs, sortMs);
            if (retainMs <= nowMs) {
              if (retainMs <= lastSweep) {
                const entered = Math.max(retainMs, lastSweep - Math.floor(rand() * 30) * DAY);
                insQueue.run(id, iso(entered), entered, retainMs);
                rows.queued++;
              } else rows.dueUnqueued++;
            }
          }
        }
      }
    }
    // Holds: cases of twenty recordings each.
    for (let h = 0; h < held.length; h += 20) {
      const at = nowMs - Math.floor(rand() * 300) * DAY;
      caseRefs.push(`CASE-${h / 20 + 1}`);
      const holdId = Number(insHold.run(caseRefs.at(-1), iso(at), at).lastInsertRowid);
      for (const id of held.slice(h, h + 20)) insHoldRec.run(holdId, id);
    }
  });
  const insertMs = performance.now() - t0;
  // Evidence numbers the trigger gave to an even spread of live recordings (a search by one finds one recording).
  const evidenceNos = (
    db.prepare('SELECT e.evidence_no AS n FROM evidence_numbers e JOIN recordings r ON r.id = e.recording_id WHERE r.purged_at_ms IS NULL AND r.id % 997 = 0 LIMIT 300').all() as { n: string }[]
  ).map((r) => r.n);
  return { serials, officers, flags: flagNames, dockingFindings: Object.keys(DOCKING_RATES), caseRefs, evidenceNos, rows, liveFromMs, nowMs, insertMs };
}
