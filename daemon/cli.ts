#!/usr/bin/env node
/**
 * bwc-dock: the dock's one executable. Exit codes: 0 ok, 1 failure found or runtime error, 2 bad usage
 * or bad config (the message names the key).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, parseConfig, type Config } from './config.js';
import { DockError } from './errors.js';
import { createLogger } from './log.js';

const USAGE = `usage:
  bwc-dock start --config FILE            run the daemon in the foreground
  bwc-dock demo [--port N]                temporary data dir, simulated recorders, console on 127.0.0.1:8080
  bwc-dock simulate --config FILE [--count N]   simulated recorders for a daemon with that config
  bwc-dock verify --data DIR [--pubkey FILE | --fingerprint HEX] [--config FILE]
                                          check every manifest signature (against the pinned key, following
                                          key rotations), the chain, every stored file, the ledger and the
                                          audit trail against the manifests, derived copies of purged files
  bwc-dock setup --config FILE [--force] [--service-user USER]
                                          first start of a new dock: asks the dock id, time zone, data folder, console
                                          address and certificate, first administrator and supervisor, recorders'
                                          password; writes the config (answers one per line when stdin is not a terminal)
  bwc-dock key rotate --config FILE       a new dock key, announced by a key_rotation manifest signed by the old one
  bwc-dock unit drop-in --config FILE     the systemd drop-in that makes the unit follow the config (IP allow-list, paths)
  bwc-dock unit udev-rules --config FILE  the udev rules for the recorder models of detect.usb (ports, hot-plug, volume mounts)
  bwc-dock user add --config FILE --username U --role ROLE   (password on stdin)
  bwc-dock agency verify --config FILE    check the agency store and ledger (objects, versions, locks, manifests)
  bwc-dock agency enroll --config FILE --dock ID --pubkey FILE   register a dock's public key with the agency
  bwc-dock agency serve --config FILE     the agency console over the agency store and ledger
`;

class UsageError extends Error {}

/** Where the commands write (a test passes its own). */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}
let io: CliIo = process;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function configOf(values: { config?: string | undefined }): Config {
  return loadConfig(values.config);
}

async function cmdStart(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const config = configOf(values);
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const { runDaemon } = await import('./run.js');
  return runDaemon(config, log);
}

async function cmdVerify(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, pubkey: { type: 'string' }, fingerprint: { type: 'string' }, config: { type: 'string' } } });
  if (values.pubkey !== undefined && values.fingerprint !== undefined) throw new UsageError('verify: pass --pubkey or --fingerprint, not both');
  // The config, when given, names the data dir and the retention rule (months, timezone) for manifests that do not
  // sign their retention dates; without it the contract's defaults apply (10 months, the system's zone).
  const config = values.config !== undefined ? loadConfig(values.config) : null;
  const dataDir = values.data ?? config?.dataDir;
  if (!dataDir) throw new UsageError('verify needs --data DIR (or --config FILE)');
  const { verifyDataDir, normaliseFingerprint } = await import('./ingest/verify.js');
  let pin: import('./ingest/verify.js').KeyPin | undefined;
  if (values.pubkey !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(values.pubkey, 'utf8');
      createPublicKey(pem);
    } catch (e) {
      throw new UsageError(`--pubkey ${values.pubkey}: not a readable public key (${(e as Error).message})`);
    }
    pin = { pem };
  } else if (values.fingerprint !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(normaliseFingerprint(values.fingerprint))) throw new UsageError('--fingerprint: 64 hex digits (SHA-256), colons allowed');
    pin = { fingerprint: values.fingerprint };
  }
  const defaults = config ?? parseConfig({}, process.env);
  const { unsignedInLedger, ledgerFileOf } = await import('./run.js');
  const report = await verifyDataDir(dataDir, {
    unsignedOk: unsignedInLedger(dataDir),
    ledgerFile: ledgerFileOf(dataDir),
    retention: { months: defaults.retention.months, timezone: defaults.timezone },
    ...(pin ? { pin } : {}),
  });
  for (const f of report.findings) io.stdout.write(`${f.level === 'error' ? 'FAIL' : 'note'}  ${f.what}\n`);
  io.stdout.write(
    `${report.ok ? 'OK' : 'NOT INTACT'}: ${report.manifests} manifests${pin ? ' (pinned key)' : ''}, ${report.files} files verified, ${report.purged} purged with tombstones, ` +
      `${report.ledgerRows} ledger rows held to their manifests, ${report.auditAnchored} audit entries anchored, ${report.findings.filter((f) => f.level === 'error').length} problems\n`,
  );
  return report.ok ? 0 : 1;
}

async function cmdKey(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'rotate') throw new UsageError('key: only "key rotate" exists');
  const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
  const config = configOf(values);
  const { rotateDockKey } = await import('./run.js');
  const r = await rotateDockKey(config);
  io.stdout.write(`dock key rotated: ${r.oldFingerprint} -> ${r.newFingerprint} (announced by manifest ${r.sessionId}, signed by the old key)\n`);
  return 0;
}

async function cmdUnit(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'drop-in' && sub !== 'udev-rules') throw new UsageError('unit: "unit drop-in" or "unit udev-rules"');
  const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
  const config = configOf(values);
  const { collectHostFacts, unitDropIn, udevRules } = await import('./unit.js');
  if (sub === 'udev-rules') {
    io.stdout.write(udevRules(config, values.config ?? process.env.BWC_DOCK_CONFIG));
    return 0;
  }
  io.stdout.write(unitDropIn(config, await collectHostFacts(config), values.config ?? process.env.BWC_DOCK_CONFIG));
  return 0;
}

async function cmdUser(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'add') throw new UsageError('user: only "user add" exists');
  const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, username: { type: 'string' }, role: { type: 'string' } } });
  if (!values.username || !values.role) throw new UsageError('user add needs --username and --role');
  const config = configOf(values);
  const { openLedgerFor } = await import('./main.js');
  const { UserError } = await import('./ledger/users.js');
  const password = await readStdin();
  const ledger = openLedgerFor(config);
  try {
    await ledger.users.add(values.username, values.role, password, Date.now());
    ledger.tx(() => ledger.audit.append(Date.now(), 'cli', 'user.added', values.username!, { role: values.role }));
    io.stdout.write(`user ${values.username} (${values.role}) added\n`);
    return 0;
  } catch (e) {
    if (e instanceof UserError) throw new UsageError(`${e.field}: ${e.message}`);
    throw e;
  } finally {
    ledger.close();
  }
}

async function cmdSetup(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, force: { type: 'boolean' }, 'service-user': { type: 'string' } } });
  if (!values.config) throw new UsageError('setup needs --config FILE (the config to write)');
  const { runSetup, SetupError } = await import('./setup/index.js');
  try {
    await runSetup({ configFile: values.config, force: values.force === true, serviceUser: values['service-user'], input: process.stdin, output: io.stdout });
    return 0;
  } catch (e) {
    // A refused answer, a config that exists, input that ended, an account that exists: the message says which;
    // nothing was written.
    if (e instanceof DockError) {
      io.stderr.write(`bwc-dock setup: ${e.message}\n`);
      return e instanceof SetupError && e.code === 'interrupted' ? 130 : 2;
    }
    throw e;
  }
}

async function cmdSimulate(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, count: { type: 'string' } } });
  const config = configOf(values);
  const count = values.count === undefined ? 3 : Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError('--count must be 1..64');
  const { runSimulateCommand } = await import('./simulate.js');
  return runSimulateCommand(config, count);
}

async function cmdAgency(argv: string[]): Promise<number> {
  const { runAgency } = await import('./upstream/agency-cli.js');
  return runAgency(argv, io, (m) => new UsageError(m));
}

async function cmdDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, 'data-dir': { type: 'string' } } });
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
  const { runDemo } = await import('./demo.js');
  return runDemo({ port, dataDir: values['data-dir'] });
}

export async function main(argv: string[], out: CliIo = process): Promise<number> {
  io = out;
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        return await cmdStart(rest);
      case 'verify':
        return await cmdVerify(rest);
      case 'user':
        return await cmdUser(rest);
      case 'key':
        return await cmdKey(rest);
      case 'setup':
        return await cmdSetup(rest);
      case 'unit':
        return await cmdUnit(rest);
      case 'simulate':
        return await cmdSimulate(rest);
      case 'demo':
        return await cmdDemo(rest);
      case 'agency':
        return await cmdAgency(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    // A key file that is unsafe (mode, owner) or a data dir another bwc-dock holds is a setup fault like a bad
    // config: exit 2 with the message, so systemd (RestartPreventExitStatus=2) does not loop on it.
    if (e instanceof ConfigError || (e as Error).name === 'KeyFileError' || (e as Error).name === 'DataDirBusyError') {
      io.stderr.write(`bwc-dock: ${(e as Error).message}\n`);
      return 2;
    }
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.stderr.write(`bwc-dock: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    io.stderr.write(`bwc-dock: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain || process.argv[1]?.endsWith('/bwc-dock')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Everything was closed in order; a native handle (serial poller) must not keep the process alive.
      setTimeout(() => process.exit(code), 1500).unref();
    },
    (e) => {
      process.stderr.write(`bwc-dock: ${e}\n`);
      process.exitCode = 1;
    },
  );
}
