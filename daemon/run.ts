import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { ManifestChain } from './ingest/chain.js';
import { KeyFileError, assertPrivateKeySafe, finishKeyRotation, generateDockKey, keyPaths, loadOrCreateDockKey, stageNextKey } from './ingest/keys.js';
import { recover } from './ingest/recovery.js';
import { realStorage, type StorageOps } from './ingest/storage.js';
import { createLogger, type Logger } from './log.js';
import { openLedgerFor, startDaemon } from './main.js';
import { startMemoryLog } from './memory-log.js';
import { toIsoInZone } from './policy/time-format.js';
import { LedgerEvidenceView } from './ledger/evidence-view.js';
import { lockDataDir } from './ledger/datadir-lock.js';

export { DataDirBusyError, lockDataDir } from './ledger/datadir-lock.js';

/** The ledger file of a data dir (as openLedgerFor opens it). */
export const ledgerFileOf = (dataDir: string) => join(dataDir, 'ledger.sqlite');

/** Stored files the ledger knows as awaiting their manifest (for `verify`); empty without a ledger. */
export function unsignedInLedger(dataDir: string): Set<string> {
  const file = ledgerFileOf(dataDir);
  if (!existsSync(file)) return new Set();
  const view = LedgerEvidenceView.open(file);
  try {
    return view.unsignedPaths();
  } finally {
    view.close();
  }
}

/** `bwc-dock start`: the daemon and its console until SIGTERM/SIGINT; tells systemd when ready. */
export async function runDaemon(config: Config, log: Logger): Promise<number> {
  // For the bench only (issue 19): the daemon's memory breakdown, one JSON line a second and on SIGUSR2.
  const memoryLogFile = process.env.BWC_DOCK_MEMORY_LOG;
  const memoryLog = memoryLogFile ? startMemoryLog(memoryLogFile) : null;
  // A bug must never pass silently: a stray rejection is logged; an uncaught exception ends the process
  // (systemd restarts it, and start-up recovery resumes what was under way).
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting for a clean restart');
    process.exit(1);
  });
  // One daemon per data dir, and no key rotation under it; a private key others could read or swap is refused
  // before anything is opened (exit 2: an installation fault, like a bad config).
  const lock = lockDataDir(config.dataDir, 'daemon');
  // Listen for the stop from the first moment: a SIGTERM while starting stops cleanly once started.
  const stopRequested = new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    const { priv } = keyPaths(config.dataDir);
    if (existsSync(priv)) assertPrivateKeySafe(priv);
    daemon = await startDaemon(config, log);
  } catch (e) {
    lock.release();
    throw e;
  }
  const { startConsole } = await import('./console/server.js');
  const console_ = await startConsole({ daemon, config, log: log.child({ component: 'console' }) });
  const { notifySystemd } = await import('./sd-notify.js');
  notifySystemd('READY=1', log);
  const watchdog = setInterval(() => notifySystemd('WATCHDOG=1', log), 10_000);
  watchdog.unref();
  await stopRequested;
  notifySystemd('STOPPING=1', log);
  clearInterval(watchdog);
  // The dock first: its sessions are cancelled and marked interrupted at once, whatever the console still serves.
  await daemon.dock.stop();
  await console_.close();
  await daemon.stop();
  lock.release();
  memoryLog?.stop();
  return 0;
}

/**
 * `bwc-dock key rotate`: a new dock key, announced by a `key_rotation` manifest in the same chain, signed by the old
 * key. Refused while the daemon runs (it holds the data dir's lock). The order, so that a stop at any point leaves a
 * dock that signs with the right key:
 * 1. start-up recovery, so the rotation extends the chain's real head;
 * 2. the new pair is written as `keys/dock.key.new` and `keys/dock.pub.pem.new` (durably); the old key stays the key;
 * 3. the `key_rotation` manifest (new public key, old public key, signed by the old key) is written durably and
 *    recorded in the ledger with its audit entry;
 * 4. `dock.key.new` is renamed over `dock.key`, `dock.pub.pem.new` over `dock.pub.pem`, and keys/ is fsynced: the
 *    old private key is gone.
 * Cut off before 3 is durable, the next start removes the staged key (the old one stays); after, it finishes 4.
 */
export async function rotateDockKey(config: Config, opts: { ops?: StorageOps; log?: Logger; now?: () => number } = {}): Promise<{ oldFingerprint: string; newFingerprint: string; sessionId: string }> {
  const ops = opts.ops ?? realStorage;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? createLogger({ level: 'warn' });
  const lock = lockDataDir(config.dataDir, 'key rotate');
  try {
    const { priv } = keyPaths(config.dataDir);
    if (!existsSync(priv)) throw new KeyFileError(`${priv} does not exist: start the dock once (it makes its key) before rotating`);
    const ledger = openLedgerFor(config);
    try {
      const { key: old } = await loadOrCreateDockKey(ops, config.dataDir);
      await recover({ dataDir: config.dataDir, ledger, ops, key: old, log, now });
      const next = generateDockKey();
      await stageNextKey(ops, config.dataDir, next);
      const at = now();
      const sessionId = `key-rotation-${new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`;
      const chain = new ManifestChain(config.dataDir, ledger, ops, old);
      try {
        await chain.append(
          { kind: 'key_rotation', dockId: config.dockId, sessionId, createdAt: toIsoInZone(at, config.timezone), newPublicKeyPem: next.publicPem, previousPublicKeyPem: old.publicPem },
          'cli',
          () => ledger.audit.append(at, 'cli', 'key.rotated', next.fingerprint, { from: old.fingerprint, to: next.fingerprint, manifest: sessionId, publicKeyPem: next.publicPem }),
        );
      } catch (e) {
        const p = keyPaths(config.dataDir);
        for (const f of [p.newPriv, p.newPub]) await ops.unlink(f).catch(() => undefined);
        throw e;
      }
      await finishKeyRotation(ops, config.dataDir);
      return { oldFingerprint: old.fingerprint, newFingerprint: next.fingerprint, sessionId };
    } finally {
      ledger.close();
    }
  } finally {
    lock.release();
  }
}
