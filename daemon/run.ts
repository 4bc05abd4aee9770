import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { startDaemon } from './main.js';

/** Stored files the ledger knows as awaiting their manifest (for `verify`); empty without a ledger. */
export function unsignedInLedger(dataDir: string): Set<string> {
  const file = join(dataDir, 'ledger.sqlite');
  if (!existsSync(file)) return new Set();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return new Set((db.prepare('SELECT stored_path FROM recordings WHERE manifest_session_id IS NULL').all() as Array<{ stored_path: string }>).map((r) => r.stored_path));
  } finally {
    db.close();
  }
}

/** `bwc-dock start`: the daemon and its console until SIGTERM/SIGINT; tells systemd when ready. */
export async function runDaemon(config: Config, log: Logger): Promise<number> {
  // A bug must never pass silently: a stray rejection is logged; an uncaught exception ends the process
  // (systemd restarts it, and start-up recovery resumes what was under way).
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting for a clean restart');
    process.exit(1);
  });
  const daemon = await startDaemon(config, log);
  const { startConsole } = await import('./console/server.js');
  const console_ = await startConsole({ daemon, config, log: log.child({ component: 'console' }) });
  const { notifySystemd } = await import('./sd-notify.js');
  notifySystemd('READY=1', log);
  const watchdog = setInterval(() => notifySystemd('WATCHDOG=1', log), 10_000);
  watchdog.unref();
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  notifySystemd('STOPPING=1', log);
  clearInterval(watchdog);
  await console_.close();
  await daemon.stop();
  return 0;
}
