import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ManifestChain } from '../../../daemon/ingest/chain.js';
import { loadOrCreateDockKey, type DockKey } from '../../../daemon/ingest/keys.js';
import { realStorage, type StorageOps } from '../../../daemon/ingest/storage.js';
import { Ledger } from '../../../daemon/ledger/index.js';
import { createLogger } from '../../../daemon/log.js';
import { retainUntil } from '../../../daemon/policy/retention.js';
import { toIsoInZone } from '../../../daemon/policy/time-format.js';
import type { RetentionDeps } from '../../../daemon/retention/deps.js';
import { RetentionLock } from '../../../daemon/retention/lock.js';
import { RetentionService } from '../../../daemon/retention/service.js';
import type { SweepOptions } from '../../../daemon/retention/sweep.js';

export const ZONE = 'Asia/Shanghai';
export const iso = (ms: number) => toIsoInZone(ms, ZONE);
export const at = (s: string) => Date.parse(s);

/** StorageOps that records unlink/fsyncDir calls (order) and can fail an unlink. */
export function recordingOps(): StorageOps & { calls: string[]; failUnlink: Set<string> } {
  const calls: string[] = [];
  const failUnlink = new Set<string>();
  return {
    ...realStorage,
    calls,
    failUnlink,
    async unlink(p) {
      calls.push(`unlink ${p}`);
      if (failUnlink.has(p)) throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
      return realStorage.unlink(p);
    },
    async fsyncDir(p) {
      calls.push(`fsyncDir ${p}`);
      return realStorage.fsyncDir(p);
    },
  };
}

export interface Fixture {
  dataDir: string;
  ledger: Ledger;
  key: DockKey;
  chain: ManifestChain;
  ops: ReturnType<typeof recordingOps>;
  clock: { t: number };
  deps: RetentionDeps;
  service(opts?: Partial<SweepOptions>): RetentionService;
  /** A stored recording (real file, read-only) listed in a signed docking manifest; retention from `startMs` + 10 months. */
  addRecording(r: { seq: number; startMs: number; serial?: string; signed?: boolean; officerNo?: string | null }): Promise<number>;
  close(): void;
}

let n = 0;

export async function fixture(t0: number): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bwc-ret-'));
  for (const d of ['footage', 'manifests', 'keys', 'tmp']) mkdirSync(join(dataDir, d), { recursive: true });
  const ledger = Ledger.open(join(dataDir, 'ledger.sqlite'), iso);
  const ops = recordingOps();
  const { key } = await loadOrCreateDockKey(ops, dataDir);
  const chain = new ManifestChain(dataDir, ledger, ops, key);
  const clock = { t: t0 };
  const deps: RetentionDeps = {
    dataDir,
    dockId: 'dock-test',
    ledger,
    chain,
    ops,
    log: createLogger({ level: 'silent' }),
    lock: new RetentionLock(),
    now: () => clock.t,
    iso,
  };
  return {
    dataDir,
    ledger,
    key,
    chain,
    ops,
    clock,
    deps,
    service: (o = {}) => new RetentionService(deps, { autoPurge: false, autoPurgeGraceDays: 30, ...o }),
    async addRecording(r) {
      const serial = r.serial ?? 'SN000001';
      const name = `${serial}_${String(r.seq).padStart(6, '0')}.mp4`;
      const storedPath = `footage/${serial}/2026/${name}`;
      const full = join(dataDir, storedPath);
      mkdirSync(dirname(full), { recursive: true });
      const body = Buffer.from(`clip ${serial} ${r.seq} ${n++}`);
      writeFileSync(full, body);
      chmodSync(full, 0o444);
      const sha256 = createHash('sha256').update(body).digest('hex');
      const sessionId = `S${n}-${serial}-${r.seq}`;
      ledger.sessions.create(sessionId, '/dev/ttyFAKE', clock.t);
      const until = retainUntil(r.startMs, 10, ZONE);
      const id = ledger.recordings.insert({
        serial, seq: r.seq, name, devicePath: `DCIM/${name}`, storedPath, size: body.length, sha256, deviceSha256: null, fileFlags: 0,
        recordedStart: iso(r.startMs), recordedStartMs: r.startMs, correctedStart: iso(r.startMs), correctedStartMs: r.startMs,
        driftMs: 0, driftUncertaintyMs: 10, durationMs: 2000, offloadedAt: iso(clock.t), offloadedAtMs: clock.t, delayMs: 0, sessionId,
        officerNo: r.officerNo === undefined ? '100001' : r.officerNo, unitNo: 'U01', checkoutId: null, retainUntil: until.iso, retainUntilMs: until.epochMs, flags: [],
      });
      if (r.signed !== false) {
        await chain.append(
          {
            kind: 'docking', dockId: 'dock-test', sessionId, createdAt: iso(clock.t), result: 'ok',
            device: { serial, idCode: 'AB123', officerNo: '100001', officerName: '张伟', unitNo: 'U01' },
            clock: { deviceTime: null, dockTime: null, driftMs: 0, dockSynced: true, clockSet: true },
            files: [{ name, storedPath, size: body.length, sha256, deviceSha256: null, seq: r.seq, recordedStart: iso(r.startMs), correctedStart: iso(r.startMs), durationMs: 2000, flags: [], sessionId }],
          },
          'dock',
          () => ledger.recordings.markSigned([id], sessionId),
        );
      }
      return id;
    },
    close() {
      ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `openssl pkeyutl -verify` over every manifest: the count that verified. */
export function opensslVerifyAll(dataDir: string): number {
  const dir = join(dataDir, 'manifests');
  let ok = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dataDir, 'keys', 'dock.pub.pem'), '-rawin', '-in', join(dir, f), '-sigfile', join(dir, `${f}.sig`)], { encoding: 'utf8' });
    if (/Signature Verified Successfully/.test(out)) ok++;
  }
  return ok;
}
