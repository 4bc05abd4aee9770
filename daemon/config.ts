import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { hostname } from 'node:os';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ANNEX3_MATTERS } from './policy/matters.js';

/** Raised for a config that cannot be used; `key` names the offending key (dotted path). Exit code 2. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(key ? `config ${key}: ${message}` : `config: ${message}`);
    this.name = 'ConfigError';
  }
}

const Hex16 = Type.String({ pattern: '^0x[0-9a-fA-F]{4}$' });
const Strict = { additionalProperties: false } as const;

const Text = (max: number) => Type.String({ maxLength: max });
/** A row of the matters catalogue (004 annex 3); see daemon/policy/matters.ts. */
const MatterRow = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,32}$' }),
    category: Type.String({ minLength: 1, maxLength: 100 }),
    matter: Type.String({ minLength: 1, maxLength: 100 }),
    stage: Text(100),
    place: Text(100),
    recorder: Text(100),
    start: Text(200),
    content: Text(1000),
    end: Text(200),
    storage: Text(100),
    recordClass: Text(100),
    note: Text(1000),
    keepWithCase: Type.Boolean(),
  },
  Strict,
);

const systemZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** The one config file. Unknown keys are refused; every key has a default except where noted. */
export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: '/var/lib/bwc-dock' }),
    dockId: Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9._-]*$', default: '' }),
    timezone: Type.String({ default: '' }),
    console: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        tls: Type.Optional(Type.Object({ cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, Strict)),
        sessionHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 7, default: 12 }),
        idleMinutes: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 60, default: 30 }),
        allowedHosts: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:_\\[\\]-]+$' }), { default: [] }),
        limits: Type.Object(
          {
            maxConnections: Type.Integer({ minimum: 4, maximum: 10_000, default: 256 }),
            connectionTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
            requestTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
            streamsPerSession: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
            streamsTotal: Type.Integer({ minimum: 1, maximum: 1000, default: 32 }),
            thumbnailJobs: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
          },
          { ...Strict, default: {} },
        ),
      },
      { ...Strict, default: {} },
    ),
    detect: Type.Object(
      {
        serialGlobs: Type.Array(Type.String({ minLength: 2, pattern: '^/' }), { default: ['/dev/serial/by-id/usb-*', '/dev/ttyACM*'] }),
        usb: Type.Array(Type.Object({ vid: Hex16, pid: Hex16 }, Strict), { default: [{ vid: '0x1209', pid: '0x0001' }] }),
        mountRoot: Type.String({ minLength: 2, pattern: '^/', default: '/run/bwc-dock/media' }),
        volumeTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
      },
      { ...Strict, default: {} },
    ),
    recorders: Type.Object(
      {
        adminPassword: Type.String({ pattern: '^[0-9]{6}$', default: '000000' }),
        passwords: Type.Record(Type.String({ pattern: '^[A-Za-z0-9]{1,8}$' }), Type.String({ pattern: '^[0-9]{6}$' }), { default: {} }),
      },
      { ...Strict, default: {} },
    ),
    offload: Type.Object(
      {
        eraseAfterCommit: Type.Boolean({ default: true }),
        minFreeBytes: Type.Integer({ minimum: 0, default: 1024 * 1024 * 1024 }),
      },
      { ...Strict, default: {} },
    ),
    retention: Type.Object(
      {
        months: Type.Integer({ minimum: 1, maximum: 1200, default: 10 }),
        autoPurge: Type.Boolean({ default: false }),
        autoPurgeGraceDays: Type.Integer({ minimum: 0, maximum: 3650, default: 30 }),
        sweepHour: Type.Integer({ minimum: 0, maximum: 23, default: 3 }),
      },
      { ...Strict, default: {} },
    ),
    clock: Type.Object(
      {
        assumeSynced: Type.Boolean({ default: false }),
        driftWarnMs: Type.Integer({ minimum: 0, default: 2000 }),
        driftFaultMs: Type.Integer({ minimum: 0, default: 300_000 }),
      },
      { ...Strict, default: {} },
    ),
    checkout: Type.Object(
      {
        minBatteryPct: Type.Integer({ minimum: 0, maximum: 100, default: 30 }),
        minFreeStoragePct: Type.Integer({ minimum: 0, maximum: 100, default: 20 }),
      },
      { ...Strict, default: {} },
    ),
    access: Type.Object(
      {
        /** Days an approved access request stays valid (004 annex 1; CONTRACT default 7). */
        requestValidDays: Type.Number({ exclusiveMinimum: 0, maximum: 365, default: 7 }),
        /** Refusals of one user within refusalWindowHours that raise an `access_refused` finding (004 annex 1 §12). */
        refusalsForFinding: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
        refusalWindowHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 31, default: 24 }),
      },
      { ...Strict, default: {} },
    ),
    catalogue: Type.Object(
      {
        matters: Type.Array(MatterRow, { minItems: 1, maxItems: 1000, default: ANNEX3_MATTERS }),
        /** Largest case document (PDF, photo of a form) accepted, in MiB. */
        documentMaxMiB: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
      },
      { ...Strict, default: {} },
    ),
    reports: Type.Object(
      {
        /** A font with Chinese glyphs for PDF reports (TTF, OTF or TTC); Debian's fonts-wqy-microhei by default. */
        cjkFont: Type.String({ minLength: 1, default: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc' }),
        /** The PostScript name of the face to use when cjkFont is a collection (.ttc). */
        cjkFontName: Type.String({ minLength: 1, maxLength: 100, default: 'WenQuanYiMicroHei' }),
        /** Last day of January to publish last year's statistics (000 (一)5: 20; 001, 002 (一)5: 31); the console reminds from 1 January until exported. */
        yearlyDeadlineDay: Type.Union([Type.Literal(20), Type.Literal(31)], { default: 20 }),
      },
      { ...Strict, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
        pretty: Type.Boolean({ default: false }),
      },
      { ...Strict, default: {} },
    ),
    upstream: Type.Optional(
      Type.Object(
        {
          s3: Type.Object(
            {
              endpoint: Type.String({ minLength: 1 }),
              region: Type.String({ minLength: 1 }),
              bucket: Type.String({ minLength: 1 }),
              accessKeyId: Type.String({ minLength: 1 }),
              secretAccessKey: Type.String({ minLength: 1 }),
            },
            Strict,
          ),
          postgres: Type.String({ minLength: 1 }),
          /** Transfers to the store and the agency ledger at once. */
          concurrency: Type.Integer({ minimum: 1, maximum: 32, default: 4 }),
          /** A failed transfer is tried again after retryBaseMs, doubled per attempt up to retryMaxMs (with jitter). */
          retryBaseMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000 }),
          retryMaxMs: Type.Integer({ minimum: 10, maximum: 86_400_000, default: 300_000 }),
          /** How often the dock reports its backlog, lag and clock to the agency ledger (its "last contact"). */
          heartbeatMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
          /** The shortest COMPLIANCE lock of a footage object from its upload (one already past retainUntil still gets it). */
          minLockSeconds: Type.Integer({ minimum: 1, maximum: 315_360_000, default: 86_400 }),
          /** How long signed manifests and their signatures stay locked in the store. */
          manifestLockDays: Type.Integer({ minimum: 1, maximum: 36_500, default: 3650 }),
          /** The agency console (`bwc-dock agency serve`): listen address; TLS as `console.tls` of the same file. */
          agencyConsole: Type.Object(
            { host: Type.String({ minLength: 1, default: '127.0.0.1' }), port: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }) },
            { ...Strict, default: {} },
          ),
        },
        Strict,
      ),
    ),
  },
  Strict,
);

export type Config = Static<typeof ConfigSchema>;

function isValidZone(z: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: z });
    return true;
  } catch {
    return false;
  }
}

/** Turn TypeBox's '/detect/usb/0/vid' into 'detect.usb[0].vid'. */
function keyOf(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

/** Validate a parsed config object and fill in defaults. Throws ConfigError naming the first bad key. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('', 'must be a JSON object');
  const withDefaults = Value.Default(ConfigSchema as TSchema, structuredClone(raw)) as unknown;
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const unknownKey = first.message.includes('additional') || first.message.includes('Unexpected property');
    throw new ConfigError(keyOf(first.path) || '(root)', unknownKey ? `unknown key` : first.message);
  }
  const cfg = withDefaults as Config;
  if (!cfg.dockId) cfg.dockId = hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'dock';
  if (!cfg.timezone) cfg.timezone = env.TZ && isValidZone(env.TZ) ? env.TZ : systemZone();
  if (!isValidZone(cfg.timezone)) throw new ConfigError('timezone', `"${cfg.timezone}" is not an IANA time zone`);
  if (cfg.console.tls === undefined && !isLoopback(cfg.console.host)) {
    throw new ConfigError('console.host', `"${cfg.console.host}" is not loopback: set console.tls first (the console carries passwords and footage)`);
  }
  const matterIds = new Set<string>();
  for (const [i, m] of cfg.catalogue.matters.entries()) {
    if (matterIds.has(m.id)) throw new ConfigError(`catalogue.matters[${i}].id`, `"${m.id}" is used twice`);
    matterIds.add(m.id);
  }
  if (cfg.clock.driftWarnMs > cfg.clock.driftFaultMs) throw new ConfigError('clock.driftWarnMs', 'must not exceed clock.driftFaultMs');
  if (env.BWC_DOCK_LOG_LEVEL) cfg.log.level = env.BWC_DOCK_LOG_LEVEL as Config['log']['level'];
  return cfg;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/**
 * Whether the console's listen host is loopback, decided by parsing it as an address: `localhost`, 127.0.0.0/8,
 * `::1` and IPv4-mapped 127/8. A name (`127.evil.example`) is not an address and so not loopback.
 */
export function isLoopback(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 4) return LOOPBACK.check(bare, 'ipv4');
  if (family === 6) return LOOPBACK.check(bare, 'ipv6');
  return false;
}

export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  const file = path ?? env.BWC_DOCK_CONFIG;
  if (!file) throw new ConfigError('', 'no config file: pass --config FILE or set BWC_DOCK_CONFIG');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('', `cannot read ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, env);
}
