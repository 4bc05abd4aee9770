import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { AgencyLedger } from './agency-ledger.js';
import { verifyAgency } from './agency-verify.js';
import { UpstreamError } from './errors.js';

interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

function upstreamConfig(file: string | undefined): Config {
  const config = loadConfig(file);
  if (!config.upstream) throw new ConfigError('upstream', 'the agency commands need `upstream` (s3 and postgres) in the config');
  return config;
}

/** `bwc-dock agency verify|enroll|serve`. Exit codes as the contract's: 0 ok, 1 a finding or runtime error, 2 bad usage. */
export async function runAgency(argv: string[], io: Io, usage: (m: string) => Error): Promise<number> {
  try {
    return await agencyCommand(argv, io, usage);
  } catch (e) {
    // The store or the agency ledger refused or did not answer: say so in one line (exit 1), no stack.
    if (e instanceof UpstreamError) {
      io.stderr.write(`bwc-dock: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function agencyCommand(argv: string[], io: Io, usage: (m: string) => Error): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'verify': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
      const r = await verifyAgency(upstreamConfig(values.config));
      for (const f of r.findings) io.stdout.write(`FINDING: ${f}\n`);
      if (r.findings.length) {
        io.stdout.write(`FAILED: ${r.findings.length} findings (${r.docks} docks, ${r.recordings} recordings, ${r.manifests} manifests checked)\n`);
        return 1;
      }
      io.stdout.write(`OK: ${r.docks} docks, ${r.recordings} recordings, ${r.manifests} manifests verified\n`);
      return 0;
    }
    case 'enroll': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, dock: { type: 'string' }, pubkey: { type: 'string' } } });
      if (!values.dock || !/^[A-Za-z0-9._-]{1,64}$/.test(values.dock)) throw usage('agency enroll needs --dock ID (the dockId of its config)');
      if (!values.pubkey) throw usage('agency enroll needs --pubkey FILE (the dock\'s keys/dock.pub.pem)');
      const config = upstreamConfig(values.config);
      let pem: string;
      try {
        pem = readFileSync(values.pubkey, 'utf8');
      } catch (e) {
        throw usage(`cannot read ${values.pubkey}: ${(e as Error).message}`);
      }
      let type: string | undefined;
      try {
        type = createPublicKey(pem).asymmetricKeyType;
      } catch (e) {
        throw usage(`${values.pubkey} is not a public key: ${(e as Error).message}`);
      }
      if (type !== 'ed25519') throw usage(`${values.pubkey} is a ${type ?? 'unknown'} key; a dock's key is ed25519 (keys/dock.pub.pem)`);
      const agency = await AgencyLedger.open(config.upstream!.postgres);
      try {
        const r = await agency.enroll(values.dock, pem);
        const states = Object.entries(r.states).map(([s, n]) => `${n} ${s}`).join(', ') || 'none yet';
        io.stdout.write(`enrolled ${values.dock}; its manifests: ${states}\n`);
        return r.states.quarantined || r.states.broken ? 1 : 0;
      } finally {
        await agency.close();
      }
    }
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } } });
      const { runAgencyConsole } = await import('./agency-console.js');
      return runAgencyConsole(upstreamConfig(values.config), io);
    }
    default:
      throw usage(sub ? `unknown agency command "${sub}"` : 'agency needs a command: verify, enroll or serve');
  }
}
