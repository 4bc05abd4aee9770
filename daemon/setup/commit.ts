import { chownSync, closeSync, fchmodSync, existsSync, fsyncSync, linkSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { UserError } from '../ledger/users.js';
import type { Role } from '../ledger/users.js';
import { openLedgerFor } from '../main.js';
import { lockDataDir } from '../ledger/datadir-lock.js';
import { SetupError } from './errors.js';

/** Who the files belong to: the service user the daemon runs as (when setup runs as root), else whoever runs setup. */
export interface Owner {
  uid: number;
  gid: number;
}

/** Everything setup writes, decided and checked before any of it is. */
export interface SetupPlan {
  configFile: string;
  force: boolean;
  /** The config as written (the answers over the base config's other keys) and as the daemon will read it. */
  configText: string;
  config: Config;
  tls: { dir: string; certFile: string; keyFile: string; certPem: string; keyPem: string };
  /** The first accounts, their passwords hashed already (as the console hashes them). */
  users: Array<{ username: string; role: Role; hash: string }>;
  owner: Owner | null;
  /** The data dir's lock when the dialogue took it already (a data dir the daemon had used). */
  lock: { release(): void } | null;
}

/** Write `text` to a new file with `mode` and make it durable. */
function writeDurably(file: string, text: string, mode: number): void {
  const fd = openSync(file, 'wx', mode);
  try {
    fchmodSync(fd, mode); // the mode asked, whatever the umask
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What the daemon writes in its data dir and setup may have made: the folders of prepareDataDir and the ledger's files. */
const DATA_DIR_ENTRIES = ['footage', 'manifests', 'tmp', 'keys', 'cache', 'ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm', 'daemon.lock'];

/**
 * Write the setup, all at once and synchronously (a Ctrl-C waits until it is done; nothing is half-written):
 * 1. the data dir's lock (refused while a daemon runs there);
 * 2. the certificate, key and config are staged in a private folder beside the config, each fsynced;
 * 3. the ledger is opened (made, migrated) and both accounts are inserted with their audit entries in one transaction;
 * 4. the staged files are renamed into place (the config last; without `--force` a config that appeared meanwhile
 *    is not replaced), and their folders fsynced.
 * With an owner (setup as root for a service user), the data dir's files, the key and the config's group are theirs.
 * File modes: the key 0600, the config 0640 (it holds the recorders' password), the certificate 0644, keys/ 0700.
 */
export function commitSetup(plan: SetupPlan, nowMs: number): void {
  const { config, owner } = plan;
  const configDir = dirname(plan.configFile);
  if (!plan.force && existsSync(plan.configFile))
    throw new SetupError('config_exists', `${plan.configFile} 已存在 / exists already: pass --force to replace its answers (its other keys are kept)`);
  const umask = process.umask(0o027);
  let lock: { release(): void } | null = null;
  let stage: string | null = null;
  try {
    lock = plan.lock ?? lockDataDir(config.dataDir, 'setup');
    mkdirSync(configDir, { recursive: true, mode: 0o750 });
    stage = mkdtempSync(join(configDir, '.bwc-dock-setup-'));
    const staged = { key: join(stage, 'console.key'), cert: join(stage, 'console.crt'), config: join(stage, 'config.json') };
    writeDurably(staged.key, plan.tls.keyPem, 0o600);
    writeDurably(staged.cert, plan.tls.certPem, 0o644);
    writeDurably(staged.config, plan.configText, 0o640);
    if (!existsSync(plan.tls.dir)) mkdirSync(plan.tls.dir, { mode: 0o750 });
    if (owner) {
      chownSync(staged.key, owner.uid, owner.gid);
      chownSync(staged.cert, process.getuid?.() ?? 0, owner.gid);
      chownSync(staged.config, process.getuid?.() ?? 0, owner.gid);
      chownSync(plan.tls.dir, process.getuid?.() ?? 0, owner.gid);
    }

    const ledger = openLedgerFor(config);
    try {
      for (const u of plan.users)
        if (ledger.users.get(u.username)) throw new UserError('exists', 'username', `账号 "${u.username}" 已存在 / an account "${u.username}" exists already`);
      ledger.tx(() => {
        for (const u of plan.users) {
          ledger.users.insertHashed(u.username, u.role, u.hash, nowMs);
          ledger.audit.append(nowMs, 'cli', 'user.added', u.username, { role: u.role, by: 'setup' });
        }
      });
    } finally {
      ledger.close();
    }
    if (owner) {
      chownSync(config.dataDir, owner.uid, owner.gid);
      for (const e of DATA_DIR_ENTRIES) if (existsSync(join(config.dataDir, e))) chownSync(join(config.dataDir, e), owner.uid, owner.gid);
    }

    renameSync(staged.key, plan.tls.keyFile);
    renameSync(staged.cert, plan.tls.certFile);
    fsyncDir(plan.tls.dir);
    if (plan.force) renameSync(staged.config, plan.configFile);
    else {
      // link() never replaces: a config written by someone else since the check above stays as it is.
      try {
        linkSync(staged.config, plan.configFile);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new SetupError('config_exists', `${plan.configFile} 已存在 / appeared meanwhile: not replaced`);
        throw e;
      }
      unlinkSync(staged.config);
    }
    fsyncDir(configDir);
  } finally {
    if (stage) rmSync(stage, { recursive: true, force: true });
    process.umask(umask);
    lock?.release();
  }
}

/** The certificate's and key's paths for a config file: `tls/console.crt` and `tls/console.key` beside it. */
export function tlsPathsFor(configFile: string): { dir: string; certFile: string; keyFile: string } {
  const dir = join(dirname(configFile), 'tls');
  return { dir, certFile: join(dir, 'console.crt'), keyFile: join(dir, 'console.key') };
}
