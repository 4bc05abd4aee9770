import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, isLoopback, parseConfig } from '../config.js';
import { Ledger } from '../ledger/index.js';
import { DataDirBusyError, lockDataDir } from '../ledger/datadir-lock.js';
import { PasswordHasher } from '../ledger/passwords.js';
import { commitSetup, tlsPathsFor, type Owner } from './commit.js';
import { askSetup, type DialogueDefaults } from './dialogue.js';
import { SetupError } from './errors.js';
import { prompterFor } from './prompt.js';
import { selfSignedCertificate, selfSignedNames, type ConsoleCert } from './tls.js';

export { SetupError } from './errors.js';

export interface SetupOptions {
  configFile: string;
  /** Replace an existing config: its answers are replaced, its other keys kept. */
  force: boolean;
  /** The user the daemon runs as: when setup runs as root, the files the daemon uses become theirs (default `bwc-dock` when that user exists). */
  serviceUser?: string | undefined;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** The password hasher (default the console's, OWASP's scrypt cost). */
  hasher?: PasswordHasher;
  now?: () => number;
}

/** The uid and gid of a user, by `id` (NSS, not only /etc/passwd). */
function userIds(name: string): Owner | null {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

/** Who gets the files: the named service user; as root without a name, `bwc-dock` when it exists; else nobody is changed. */
function ownerOf(serviceUser: string | undefined): Owner | null {
  const root = process.getuid?.() === 0;
  if (serviceUser !== undefined) {
    const ids = userIds(serviceUser);
    if (!ids) throw new SetupError('service_user', `没有用户 / no user "${serviceUser}" on this system (install.sh makes bwc-dock)`);
    if (!root && ids.uid !== process.getuid?.())
      throw new SetupError('service_user', `只有 root 能把文件交给 / only root can give the files to "${serviceUser}": run setup as root or as that user`);
    return root ? ids : null;
  }
  return root ? userIds('bwc-dock') : null;
}

const interrupted = () => new SetupError('interrupted', '已中断，未写入任何内容 / interrupted: nothing was written');

type Raw = Record<string, unknown>;
const objectAt = (o: Raw, k: string): Raw => (typeof o[k] === 'object' && o[k] !== null && !Array.isArray(o[k]) ? (o[k] as Raw) : {});

/** The existing config a `--force` setup keeps the other keys of. */
function readBase(file: string): Raw {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('', `${file} exists and is not readable JSON (${(e as Error).message}): fix or remove it before setup`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('', `${file} exists and is not a JSON object: fix or remove it before setup`);
  return raw as Raw;
}

function defaultsFrom(base: Raw): DialogueDefaults {
  const console_ = objectAt(base, 'console');
  const str = (v: unknown, d: string) => (typeof v === 'string' && v ? v : d);
  const host = str(console_.host, '0.0.0.0');
  return {
    dockId: str(
      base.dockId,
      hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 64) || 'dock',
    ),
    timezone: str(base.timezone, 'Asia/Shanghai'),
    dataDir: str(base.dataDir, '/var/lib/bwc-dock'),
    // The console gets a certificate so that it can serve the unit's network: a loopback host is offered as every network.
    host: isLoopback(host) ? '0.0.0.0' : host,
    port: typeof console_.port === 'number' && console_.port > 0 ? console_.port : 8443,
  };
}

/** The config as written: the answers over the base's keys; the console answers to the names its certificate names. */
function configOf(base: Raw, a: Awaited<ReturnType<typeof askSetup>>, cert: ConsoleCert, tls: { certFile: string; keyFile: string }): Raw {
  const console_ = objectAt(base, 'console');
  const allowed = Array.isArray(console_.allowedHosts) ? (console_.allowedHosts as unknown[]).filter((h): h is string => typeof h === 'string') : [];
  for (const n of cert.dnsNames) if (n !== 'localhost' && !allowed.includes(n)) allowed.push(n);
  return {
    ...base,
    dockId: a.dockId,
    timezone: a.timezone,
    dataDir: a.dataDir,
    console: { ...console_, host: a.host, port: a.port, tls: { cert: tls.certFile, key: tls.keyFile }, allowedHosts: allowed },
    recorders: { ...objectAt(base, 'recorders'), adminPassword: a.recorderPassword },
  };
}

/**
 * `bwc-dock setup --config FILE`: the first start of a new dock. Asks (at a terminal, or one answer per line on
 * stdin), then writes the config, the console's certificate and key, and the first administrator and supervisor,
 * all at once (see commitSetup); a Ctrl-C or the end of input before that leaves nothing behind.
 */
export async function runSetup(o: SetupOptions): Promise<{ configFile: string; fingerprint: string; selfSigned: boolean }> {
  const configFile = resolve(o.configFile);
  const now = o.now ?? Date.now;
  const exists = existsSync(configFile);
  if (exists && !o.force) throw new SetupError('config_exists', `${configFile} 已存在 / exists already: pass --force to replace its answers (its other keys are kept)`);
  const base = exists ? readBase(configFile) : {};
  const owner = ownerOf(o.serviceUser);
  const p = prompterFor({ input: o.input, output: o.output });
  let lock: { release(): void; dir: string } | null = null;
  let aborted = false;
  const onSigint = () => (aborted = true);
  try {
    p.say(`bwc-dock 首次设置 / first start → ${configFile}${exists ? '（替换 / replacing）' : ''}`);
    p.say(
      p.interactive
        ? '直接回车取方括号中的默认值；Ctrl-C 取消，不写入任何内容 / Enter takes the [default]; Ctrl-C cancels and writes nothing'
        : '每行一个回答 / one answer per line',
    );
    const answers = await askSetup(p, defaultsFrom(base), {
      now: () => new Date(now()),
      userExists(dataDir, username) {
        const file = join(dataDir, 'ledger.sqlite');
        if (!existsSync(file)) return false;
        const ledger = Ledger.open(file, (ms) => new Date(ms).toISOString());
        try {
          return ledger.users.get(username) !== null;
        } finally {
          ledger.close();
        }
      },
      // A data dir a daemon has used has its lock file: hold it from now on, so no daemon starts there mid-setup.
      dataDirChosen(dir) {
        if (lock?.dir === dir) return;
        lock?.release();
        lock = null;
        if (!existsSync(join(dir, 'daemon.lock'))) return;
        try {
          lock = { ...lockDataDir(dir, 'setup'), dir };
        } catch (e) {
          if (e instanceof DataDirBusyError) throw new SetupError('invalid', `${e.message}`, 'dataDir');
          throw e;
        }
      },
    });
    p.close();
    // From here nothing is asked: a Ctrl-C is noted, and honoured before anything is written.
    process.on('SIGINT', onSigint);
    const tls = tlsPathsFor(configFile);
    let cert: ConsoleCert;
    if (answers.tls.kind === 'agency') cert = answers.tls.cert;
    else {
      o.output.write('正在生成自签名证书 / making the self-signed certificate…\n');
      // A Ctrl-C reaches openssl too (same terminal): its failure is then the interruption, not openssl's.
      cert = await selfSignedCertificate({ dockId: answers.dockId, names: selfSignedNames(answers.host, hostname()) }).catch((e: unknown) => {
        throw aborted ? interrupted() : e;
      });
    }
    o.output.write('正在计算密码散列 / hashing the passwords…\n');
    const hasher = o.hasher ?? new PasswordHasher();
    const adminHash = await hasher.hash(answers.admin.password);
    const supervisorHash = await hasher.hash(answers.supervisor.password);
    if (aborted) throw interrupted();
    const raw = configOf(base, answers, cert, tls);
    const config = parseConfig(raw, {});
    const held = lock as { release(): void } | null;
    lock = null; // commitSetup releases it, whatever happens
    commitSetup(
      {
        configFile,
        force: o.force,
        configText: `${JSON.stringify(raw, null, 2)}\n`,
        config,
        tls: { ...tls, certPem: cert.certPem, keyPem: cert.keyPem },
        users: [
          { username: answers.admin.username, role: 'admin', hash: adminHash },
          { username: answers.supervisor.username, role: 'supervisor', hash: supervisorHash },
        ],
        owner,
        lock: held,
      },
      now(),
    );
    const shownHost = answers.host === '0.0.0.0' || answers.host === '::' ? hostname() : answers.host;
    const lines = [
      '',
      `已写入 / written: ${configFile}`,
      `  证书 / certificate: ${tls.certFile}${cert.selfSigned ? '（自签名 / self-signed）' : ''}, 有效期至 / valid until ${cert.validTo.toISOString().slice(0, 10)}`,
      `  私钥 / key: ${tls.keyFile} (0600${owner ? `, uid ${owner.uid}` : ''})`,
      `  账号 / accounts: ${answers.admin.username} (admin), ${answers.supervisor.username} (supervisor)`,
      `  数据目录 / data folder: ${answers.dataDir}`,
      '',
      `控制台 / console: https://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${answers.port}/`,
      '证书 SHA-256 指纹（首次在浏览器中打开时核对）/ certificate SHA-256 fingerprint (check it in the browser the first time):',
      `  ${cert.fingerprint}`,
      '',
      '下一步 / next: 重新生成 udev 规则和服务的 drop-in，然后重启服务（见 README 的安装一节）/ re-write the udev rules and the unit drop-in, then restart the service (README, "Install on a dock")',
      '',
    ];
    o.output.write(lines.join('\n'));
    return { configFile, fingerprint: cert.fingerprint, selfSigned: cert.selfSigned };
  } finally {
    process.off('SIGINT', onSigint);
    p.close();
    (lock as { release(): void } | null)?.release();
  }
}
