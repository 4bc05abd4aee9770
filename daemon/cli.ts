#!/usr/bin/env node
/**
 * bwc-dock: the dock's one executable. Exit codes: 0 ok, 1 failure found or runtime error, 2 bad usage
 * or bad config (the message names the key).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './log.js';

const USAGE = `usage:
  bwc-dock start --config FILE            run the daemon in the foreground
  bwc-dock demo [--port N]                temporary data dir, simulated recorders, console on 127.0.0.1:8080
  bwc-dock simulate --config FILE [--count N]   simulated recorders for a daemon with that config
  bwc-dock verify --data DIR              check every manifest signature, the chain, every stored file
  bwc-dock user add --config FILE --username U --role ROLE   (password on stdin)
`;

class UsageError extends Error {}

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
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' } } });
  if (!values.data) throw new UsageError('verify needs --data DIR');
  const { verifyDataDir } = await import('./ingest/verify.js');
  const { unsignedInLedger } = await import('./run.js');
  const report = await verifyDataDir(values.data, { unsignedOk: unsignedInLedger(values.data) });
  for (const f of report.findings) process.stdout.write(`${f.level === 'error' ? 'FAIL' : 'note'}  ${f.what}\n`);
  process.stdout.write(`${report.ok ? 'OK' : 'NOT INTACT'}: ${report.manifests} manifests, ${report.files} files verified, ${report.purged} purged with tombstones, ${report.findings.filter((f) => f.level === 'error').length} problems\n`);
  return report.ok ? 0 : 1;
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
    process.stdout.write(`user ${values.username} (${values.role}) added\n`);
    return 0;
  } catch (e) {
    if (e instanceof UserError) throw new UsageError(`${e.field}: ${e.message}`);
    throw e;
  } finally {
    ledger.close();
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

async function cmdDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, 'data-dir': { type: 'string' } } });
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
  const { runDemo } = await import('./demo.js');
  return runDemo({ port, dataDir: values['data-dir'] });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start':
        return await cmdStart(rest);
      case 'verify':
        return await cmdVerify(rest);
      case 'user':
        return await cmdUser(rest);
      case 'simulate':
        return await cmdSimulate(rest);
      case 'demo':
        return await cmdDemo(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`bwc-dock: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`bwc-dock: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`bwc-dock: ${(e as Error).stack ?? e}\n`);
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
