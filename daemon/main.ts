import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { SystemClock } from './dock/clock.js';
import { makeDockContext, type DockClock, type DockContext } from './dock/context.js';
import { Dock } from './dock/dock.js';
import { COPIES_PER_RECORDER } from './dock/session.js';
import { CopyPool } from './ingest/copy-pool.js';
import { loadOrCreateDockKey, type DockKey } from './ingest/keys.js';
import { FfmpegMedia, type MediaProbe } from './ingest/media.js';
import { MediaProber } from './ingest/prober.js';
import { recover } from './ingest/recovery.js';
import { realStorage, type StorageOps } from './ingest/storage.js';
import { Ledger } from './ledger/index.js';
import type { Logger } from './log.js';
import { toIsoInZone } from './policy/time-format.js';
import { retentionFor, type RetentionServices } from './retention/index.js';
import type { Replicator } from './upstream/index.js';

export interface Daemon {
  ctx: DockContext;
  dock: Dock;
  /** Probes stored files' containers in the background (never on a docking's path). */
  prober: MediaProber;
  key: DockKey;
  retention: RetentionServices;
  /** Replication to the agency store (`upstream`), or null when the dock stands alone. */
  upstream: Replicator | null;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  clock?: DockClock;
  ops?: StorageOps;
  /** Start the console (default true). */
  console?: boolean;
  /** How long after start a recorder docked at the last stop may take to be found again (default 15 s). */
  startGraceMs?: number;
  /** What probes stored files' containers (default ffprobe through fluent-ffmpeg). */
  media?: MediaProbe;
  /** How long a copy may make no progress before it fails as a device not answering (default 60 s). */
  copyStallMs?: number;
}

/** Folders under dataDir, created at start with the modes they need. */
function prepareDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  for (const d of ['footage', 'manifests', 'tmp', 'keys', 'cache']) mkdirSync(join(dataDir, d), { recursive: true, mode: d === 'keys' || d === 'tmp' ? 0o700 : 0o750 });
}

export function openLedgerFor(config: Config): Ledger {
  prepareDataDir(config.dataDir);
  return Ledger.open(join(config.dataDir, 'ledger.sqlite'), (ms) => toIsoInZone(ms, config.timezone));
}

/**
 * Build and start the daemon: ledger, key, recovery of whatever the last stop cut off, then detection.
 * The console is attached by the caller (see cli.ts) so tests can run the dock without it.
 */
export async function startDaemon(config: Config, log: Logger, opts: DaemonOptions = {}): Promise<Daemon> {
  const ops = opts.ops ?? realStorage;
  const ledger = openLedgerFor(config);
  const { key, created } = await loadOrCreateDockKey(ops, config.dataDir);
  if (created) {
    ledger.tx(() => ledger.audit.append(Date.now(), 'dock', 'key.created', key.fingerprint, { publicKeyPem: key.publicPem }));
    log.info({ fingerprint: key.fingerprint }, 'dock key pair created');
  }
  let clock = opts.clock;
  let systemClock: SystemClock | null = null;
  if (!clock) {
    systemClock = new SystemClock(config.clock.assumeSynced);
    await systemClock.start();
    clock = systemClock;
  }
  await recover({ dataDir: config.dataDir, ledger, ops, key, log: log.child({ component: 'recovery' }), now: clock.now });
  // Replication drains the outbox in the background (ingest never waits for it); a reachable bucket without Object
  // Lock stops the start before any recorder is docked.
  // Imported only when configured: the S3 client and pg are about 30 MiB of a daemon's memory (issue 19).
  const upstream = config.upstream
    ? await import('./upstream/index.js').then(({ startReplication }) => startReplication(config, ledger, log.child({ component: 'upstream' }), clock)).catch((e: unknown) => {
        systemClock?.stop();
        ledger.close();
        throw e;
      })
    : null;

  const { VolumeWatcher } = await import('./transport/volumes.js');
  const volumes = new VolumeWatcher(config.detect.mountRoot, log.child({ component: 'volumes' }));
  await volumes.start();
  const pool = new CopyPool(undefined, opts.copyStallMs, undefined, undefined, COPIES_PER_RECORDER);
  const ctx = makeDockContext({ config, ledger, log, volumes, pool, ops, clock, key });
  const retention = retentionFor(ctx);
  await retention.service.recover();
  const dock = new Dock(ctx, opts.startGraceMs);
  await dock.start();
  retention.scheduler.start();
  // After the dock: files committed by a docking (each one moves its slot's progress) and any left unprobed.
  const prober = new MediaProber({ ledger, media: opts.media ?? new FfmpegMedia(), dataDir: config.dataDir, log: log.child({ component: 'media-probe' }), now: clock.now });
  const nudge = () => prober.nudge();
  ctx.slots.on('change', nudge);
  prober.start();
  const nudgeUpstream = () => upstream?.nudge();
  if (upstream) ctx.slots.on('change', nudgeUpstream);
  log.info({ dockId: config.dockId, dataDir: config.dataDir, synced: clock.synced() }, 'dock started');
  let stopped = false;
  return {
    ctx,
    dock,
    prober,
    key,
    retention,
    upstream,
    async stop() {
      if (stopped) return;
      stopped = true;
      ctx.slots.off('change', nudge);
      ctx.slots.off('change', nudgeUpstream);
      await upstream?.stop();
      prober.stop();
      await retention.scheduler.stop();
      await dock.stop();
      await volumes.stop();
      await pool.close();
      systemClock?.stop();
      ledger.close();
      log.info('dock stopped');
    },
  };
}
