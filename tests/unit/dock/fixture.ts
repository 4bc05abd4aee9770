import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { MscControl } from '../../../firmware-protocol/simulator/handlers.js';
import { SimulatedRecorder } from '../../../firmware-protocol/simulator/device.js';
import { createRecorderState, type RecorderState } from '../../../firmware-protocol/simulator/state.js';
import { RecorderVolume } from '../../../firmware-protocol/simulator/volume.js';
import { parseConfig, type Config } from '../../../daemon/config.js';
import { makeDockContext, type DockContext } from '../../../daemon/dock/context.js';
import { CopyPool } from '../../../daemon/ingest/copy-pool.js';
import { loadOrCreateDockKey } from '../../../daemon/ingest/keys.js';
import { realStorage, type StorageOps } from '../../../daemon/ingest/storage.js';
import type { Ledger } from '../../../daemon/ledger/index.js';
import { createLogger } from '../../../daemon/log.js';
import { openLedgerFor } from '../../../daemon/main.js';
import { VolumeWatcher } from '../../../daemon/transport/volumes.js';
import { duplexPair, type RecordingDuplex } from '../../helpers/duplex-pair.js';

/** Storage operations that do the real thing and keep the order of every call (paths relative to `root`). */
function orderedOps(root: string): StorageOps & { calls: string[] } {
  const calls: string[] = [];
  const rel = (p: string) => (p.startsWith(root) ? p.slice(root.length + 1) : p);
  const wrap =
    <A extends unknown[], R>(name: string, f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      calls.push(`${name} ${rel(String(a[0]))}`);
      return f(...a);
    };
  return {
    ...realStorage,
    calls,
    fsyncFile: wrap('fsyncFile', realStorage.fsyncFile),
    fsyncDir: wrap('fsyncDir', realStorage.fsyncDir),
    link: wrap('link', realStorage.link),
    rename: wrap('rename', realStorage.rename),
    unlink: wrap('unlink', realStorage.unlink),
    chmod: wrap('chmod', realStorage.chmod),
    unlinkOnVolume: wrap('unlinkOnVolume', realStorage.unlinkOnVolume),
    fsyncVolumeDir: wrap('fsyncVolumeDir', realStorage.fsyncVolumeDir),
  };
}

export interface MemRecorder {
  state: RecorderState;
  /** The dock's end of the in-memory link. */
  link: RecordingDuplex;
  sim: SimulatedRecorder;
  volume: RecorderVolume;
  /** Yank the cable: both ends close, the volume goes. */
  unplug(): void;
}

export interface DockFixture {
  dir: string;
  config: Config;
  ctx: DockContext;
  ledger: Ledger;
  ops: StorageOps & { calls: string[] };
  /** A simulated recorder on an in-memory link whose volume is a folder renamed into the mount root. */
  recorder(serial: string, o?: { files?: number; label?: string; appearDelayMs?: number; msc?: (volume: RecorderVolume) => MscControl }): MemRecorder;
  close(): Promise<void>;
}

/** Put `n` catalogued files (real bytes, capture hashes) into a recorder's storage. */
export function addFiles(state: RecorderState, storageDir: string, n: number, sizeBytes = 64 * 1024): void {
  for (let i = 0; i < n; i++) {
    const seq = state.nextSeq++;
    const name = `DCIM/100BWC/${state.identity.serial}_${state.info.userNo}_20261124080000_${String(seq).padStart(4, '0')}.MP4`;
    const bytes = randomBytes(sizeBytes);
    const path = join(storageDir, ...name.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    state.files.push({ name, size: BigInt(bytes.length), start: '20261124080000', durationMs: 2000, seq, flags: 0, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
}

/** A dock's context on temp folders (real SQLite, real copy workers, real files), no pty anywhere. */
export async function dockFixture(raw: Record<string, unknown> = {}): Promise<DockFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-unit-dock-'));
  const mountRoot = join(dir, 'media');
  mkdirSync(mountRoot, { recursive: true });
  const config = parseConfig(
    {
      dataDir: join(dir, 'data'),
      dockId: 'unit-dock',
      timezone: 'Asia/Shanghai',
      detect: { serialGlobs: [join(dir, 'dev', 'bwc-*')], usb: [], mountRoot, volumeTimeoutMs: 5_000 },
      clock: { assumeSynced: true },
      offload: { minFreeBytes: 0 },
      console: { port: 0 },
      ...raw,
    },
    {},
  );
  const log = createLogger({ level: process.env.BWC_TEST_LOG ?? 'silent' });
  const ops = orderedOps(dir);
  const ledger = openLedgerFor(config);
  const { key } = await loadOrCreateDockKey(realStorage, config.dataDir);
  const volumes = new VolumeWatcher(mountRoot, log);
  await volumes.start();
  const pool = new CopyPool(2);
  const ctx = makeDockContext({ config, ledger, log, volumes, pool, ops, clock: { now: () => Date.now(), synced: () => true }, key });
  const sims: SimulatedRecorder[] = [];
  return {
    dir,
    config,
    ctx,
    ledger,
    ops,
    recorder(serial, o = {}) {
      const state = createRecorderState({ serial, ...(o.label ? { label: o.label } : {}) });
      const volume = new RecorderVolume(state, { storageDir: join(dir, 'storage', serial), mountRoot, appearDelayMs: o.appearDelayMs ?? 20 });
      addFiles(state, volume.storageDir, o.files ?? 0);
      const pair = duplexPair();
      const sim = new SimulatedRecorder(pair.device, state, { msc: o.msc ? o.msc(volume) : volume });
      sims.push(sim);
      return {
        state,
        link: pair.host,
        sim,
        volume,
        unplug() {
          volume.vanish();
          sim.detach();
          pair.device.destroy();
          pair.host.destroy();
        },
      };
    },
    async close() {
      for (const s of sims) s.detach();
      await volumes.stop();
      await pool.close();
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
