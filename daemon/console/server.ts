import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AjvCompiler, type Options as AjvOptions, type ValidatorFactory } from '@fastify/ajv-compiler';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { RecorderClient } from '../../firmware-protocol/client/client.js';
import type { Config } from '../config.js';
import { CheckoutService } from '../dock/checkout.js';
import type { SlotView } from '../dock/slots.js';
import { FfmpegMedia } from '../ingest/media.js';
import type { Logger } from '../log.js';
import type { Daemon } from '../main.js';
import { accessPlugin } from './access.js';
import { activitiesPlugin } from './activities.js';
import { archivesPlugin } from './archives.js';
import { auditPlugin } from './audit.js';
import { authPlugin } from './auth.js';
import { cataloguePlugin } from './catalogue.js';
import { confidentialPlugin } from './confidential.js';
import { custodyPlugin } from './custody.js';
import type { ConsoleDeps } from './deps.js';
import { devicesPlugin } from './devices.js';
import { exportPlugin } from './export.js';
import { formatSchemaError, installErrorHandler } from './errors.js';
import { findingsPlugin } from './findings.js';
import { guardedApi } from './guard.js';
import { healthPlugin } from './health.js';
import { installHostCheck } from './hosts.js';
import { holdsPlugin } from './holds.js';
import { ledgerPlugin } from './ledger.js';
import { manifestsPlugin } from './manifests.js';
import { mediaPlugin } from './media.js';
import { officersPlugin } from './officers.js';
import { recordingsPlugin } from './recordings.js';
import { reportsPlugin } from './reports.js';
import { retentionPlugin } from './retention.js';
import { installSecurityHeaders } from './security.js';
import { ActivityService } from './services/activities.js';
import { sessionsPlugin } from './sessions.js';
import { slotsPlugin } from './slots.js';
import { spotChecksPlugin } from './spot-checks.js';
import { uiPlugin } from './ui.js';
import { upstreamPlugin } from './upstream.js';
import { usersPlugin } from './users.js';

/** Slot states in which a recorder's footage may still be arriving. */
const SETTLED_STATES = new Set(['ready', 'failed', 'interrupted']);

const ajvCompilers = AjvCompiler();

/**
 * Type coercion only where the input is text by nature: a query string, path parameters and headers are
 * strings that a schema may read as numbers or lists; a JSON body has its own types, and `"false"` or `0`
 * there is not a boolean.
 */
const coerceOnlyStrings: ValidatorFactory = (externalSchemas, options) => {
  const opts = (options ?? {}) as { customOptions?: AjvOptions; plugins?: never[] };
  const custom = opts.customOptions ?? {};
  const text = ajvCompilers(externalSchemas, { ...opts, customOptions: { ...custom, coerceTypes: 'array' } });
  const json = ajvCompilers(externalSchemas, { ...opts, customOptions: { ...custom, coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? json(route) : text(route));
};

/** The console as a Fastify instance (not listening): for `inject()` tests and for {@link startConsole}. */
export async function buildConsole(deps: ConsoleDeps, opts: { https?: { cert: Buffer; key: Buffer } } = {}): Promise<FastifyInstance> {
  const limits = deps.config.console.limits;
  const app = Fastify({
    loggerInstance: deps.log,
    ...(opts.https ? { https: opts.https } : {}),
    bodyLimit: 1024 * 1024,
    schemaErrorFormatter: formatSchemaError,
    ajv: { customOptions: { removeAdditional: false, useDefaults: true, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: coerceOnlyStrings } },
    return503OnClosing: true,
    // Slow clients: a request must arrive whole within requestTimeoutMs, an idle connection closes after
    // connectionTimeoutMs (the live-status stream's heartbeat keeps it busy).
    connectionTimeout: limits.connectionTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
  }) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD' && r.url.startsWith('/api/')) routes.push({ method: m, url: r.url });
  });
  app.decorate('consoleRoutes', routes);
  installHostCheck(app, deps.config.console);
  await app.register(cookie);
  installErrorHandler(app);
  installSecurityHeaders(app, deps.config.console.tls !== undefined);

  const activities = new ActivityService({
    ledger: deps.ledger,
    now: deps.clock.now,
    iso: deps.iso,
    timezone: deps.config.timezone,
    offloading: (serial) => {
      const s = deps.slots.bySerial(serial);
      return s !== undefined && !SETTLED_STATES.has(s.state);
    },
  });
  // A docking that ends may bring the footage an activity was waiting for.
  const onSlot = (s: SlotView) => {
    if (s.state !== 'ready' || !s.serial) return;
    try {
      activities.afterReturn(s.serial);
    } catch (e) {
      deps.log.error({ err: e, serial: s.serial }, 'activity gap check failed');
    }
  };
  deps.slots.on('change', onSlot);
  app.addHook('onClose', async () => {
    deps.slots.off('change', onSlot);
  });
  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'POST' && reply.statusCode === 200 && req.routeOptions.url === '/api/devices/:serial/checkin') {
      activities.afterReturn((req.params as { serial: string }).serial);
    }
  });

  const o = { deps };
  await guardedApi(app, deps, async (api) => {
    await api.register(healthPlugin, o);
    await api.register(authPlugin, o);
    await api.register(slotsPlugin, o);
    await api.register(devicesPlugin, o);
    await api.register(officersPlugin, o);
    await api.register(ledgerPlugin, o);
    await api.register(sessionsPlugin, o);
    await api.register(recordingsPlugin, o);
    await api.register(mediaPlugin, o);
    await api.register(manifestsPlugin, o);
    await api.register(findingsPlugin, o);
    await api.register(activitiesPlugin, { deps, activities });
    await api.register(retentionPlugin, o);
    await api.register(holdsPlugin, o);
    await api.register(archivesPlugin, o);
    await api.register(auditPlugin, o);
    await api.register(usersPlugin, o);
    // Evidence access (issue 15): the register and its requests, copies, confidentiality, catalogue, custody.
    await api.register(accessPlugin, o);
    await api.register(exportPlugin, o);
    await api.register(confidentialPlugin, o);
    await api.register(cataloguePlugin, o);
    await api.register(custodyPlugin, o);
    // Oversight (issue 17): spot-checks and the yearly statistics.
    await api.register(spotChecksPlugin, o);
    await api.register(reportsPlugin, o);
    // Replication to the agency store (issue 16).
    await api.register(upstreamPlugin, o);
  });
  await app.register(uiPlugin);
  return app;
}

/** This package's version, from the nearest package.json named bwc-dock above this file. */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'bwc-dock' && pkg.version) return pkg.version;
    } catch {
      /* not here; look further up */
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** The console of a running daemon, listening on `console.host`/`console.port` (HTTPS with `console.tls`). */
export async function startConsole(a: { daemon: Daemon; config: Config; log: Logger }): Promise<{ close(): Promise<void>; url: string }> {
  const { daemon, config, log } = a;
  const ctx = daemon.ctx;
  const checkout = new CheckoutService({
    ledger: ctx.ledger,
    slots: ctx.slots,
    clock: ctx.clock,
    config,
    log: log.child({ component: 'checkout' }),
    open: (serial) => {
      const port = daemon.dock.portOf(serial);
      return port ? new RecorderClient(port, { log: log.child({ component: 'checkout', serial }) }) : null;
    },
  });
  const tls = config.console.tls;
  const app = await buildConsole(
    {
      config,
      ledger: ctx.ledger,
      slots: ctx.slots,
      clock: ctx.clock,
      log,
      checkout,
      media: new FfmpegMedia(),
      version: packageVersion(),
      iso: ctx.iso,
      retention: daemon.retention,
    },
    tls ? { https: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } } : {},
  );
  await app.listen({ host: config.console.host, port: config.console.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.console.port;
  const host = config.console.host.includes(':') ? `[${config.console.host}]` : config.console.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  log.info({ url }, 'console listening');
  return { url, close: () => app.close() };
}
