import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import cookie from '@fastify/cookie';
import { Type, type Static } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { ConfigError, isLoopback, type Config } from '../config.js';
import { authPlugin } from '../console/auth.js';
import type { ConsoleDeps } from '../console/deps.js';
import { installErrorHandler } from '../console/errors.js';
import { guardedApi, scopeOfRequest, userOf } from '../console/guard.js';
import { healthPlugin } from '../console/health.js';
import { installHostCheck } from '../console/hosts.js';
import { decodeCursor, ListQuery, page } from '../console/pagination.js';
import { TimeQuery, timeParam } from '../console/params.js';
import { SEES_CONFIDENTIAL } from '../console/rights.js';
import { installSecurityHeaders } from '../console/security.js';
import { ServiceError } from '../console/services/errors.js';
import { CheckoutService } from '../dock/checkout.js';
import { SlotBoard } from '../dock/slots.js';
import { FfmpegMedia } from '../ingest/media.js';
import { Ledger } from '../ledger/index.js';
import { createLogger, type Logger } from '../log.js';
import { toIsoInZone } from '../policy/time-format.js';
import { AgencyLedger, fleet, getRecording, registerView, searchRecordings, type AgencyRecording } from './agency-ledger.js';
import { describeStoreError, ObjectStore } from './store.js';

export interface AgencyConsoleDeps {
  config: Config;
  /** The agency console's own small ledger (`<dataDir>/ledger.sqlite` of its config): accounts and login sessions. */
  ledger: Ledger;
  agency: AgencyLedger;
  store: ObjectStore;
  log: Logger;
  version: string;
}

const SearchQuery = Type.Object(
  {
    ...ListQuery,
    dock: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
    serial: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,8}$' })),
    officer: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
    flag: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
    from: Type.Optional(Type.String(TimeQuery)),
    to: Type.Optional(Type.String(TimeQuery)),
  },
  { additionalProperties: false },
);
const RecordingParams = Type.Object({ dock: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
type Cursor = [number, string, number];
const isCursor = (v: unknown): v is Cursor => Array.isArray(v) && v.length === 3 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && Number.isSafeInteger(v[2]);

/** What a role may see of a recording at the agency: its own (officer), confidential ones only for those who may. */
function mayRead(r: AgencyRecording, role: string, username: string, scope: string): boolean {
  if (scope === 'own' && r.officerNo !== username) return false;
  if (r.confidential !== null && !SEES_CONFIDENTIAL.includes(role as never) && r.officerNo !== username) return false;
  return true;
}

const view = ({ sortAtMs: _s, ...r }: AgencyRecording & { sortAtMs: number }) => r;

/**
 * The agency console (`bwc-dock agency serve`): the dock console's login, roles, rights matrix and guard over the
 * agency ledger and store. Search of every dock's recordings, playback from the store with Range (each playback
 * written to the agency's access register), and the fleet: every dock's last contact, backlog, lag, clock, open
 * findings and manifests not accepted. Access requests live on the dock that holds the recording: a role that may
 * play footage only with a request (`request` scope) plays it there, not here.
 */
export async function buildAgencyConsole(d: AgencyConsoleDeps, opts: { https?: { cert: Buffer; key: Buffer } } = {}): Promise<FastifyInstance> {
  const { config } = d;
  const ac = config.upstream!.agencyConsole;
  const consoleConfig: Config = { ...config, console: { ...config.console, host: ac.host, port: ac.port } };
  const clock = { now: () => Date.now(), synced: () => true };
  const slots = new SlotBoard();
  const deps: ConsoleDeps = {
    config: consoleConfig,
    ledger: d.ledger,
    slots,
    clock,
    log: d.log,
    checkout: new CheckoutService({ ledger: d.ledger, slots, clock, config: consoleConfig, open: () => null, log: d.log }),
    media: new FfmpegMedia(),
    version: d.version,
    iso: (ms) => toIsoInZone(ms, config.timezone),
  };
  const app = Fastify({ loggerInstance: d.log, ...(opts.https ? { https: opts.https } : {}), bodyLimit: 64 * 1024, ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true } } }) as unknown as FastifyInstance;
  installHostCheck(app, consoleConfig.console);
  await app.register(cookie);
  installErrorHandler(app);
  installSecurityHeaders(app, config.console.tls !== undefined);
  await guardedApi(app, deps, async (api) => {
    await api.register(healthPlugin, { deps });
    await api.register(authPlugin, { deps });

    api.get('/api/agency/docks', { config: { action: 'registry.read' } }, async () => ({ items: await fleet(d.agency) }));

    api.get<{ Querystring: Static<typeof SearchQuery> }>('/api/agency/recordings', { config: { action: 'recordings.search' }, schema: { querystring: SearchQuery } }, async (req) => {
      const user = userOf(req);
      const scope = scopeOfRequest(req);
      const q = req.query;
      const c = decodeCursor(q.cursor, isCursor);
      const fromMs = timeParam(q.from, 'from', config.timezone);
      const toMs = timeParam(q.to, 'to', config.timezone);
      const rows = await searchRecordings(d.agency, {
        ...(q.dock ? { dock: q.dock } : {}),
        ...(q.serial ? { serial: q.serial } : {}),
        ...(q.officer ? { officer: q.officer } : {}),
        ...(q.flag ? { flag: q.flag } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        ...(c ? { after: { sortAtMs: c[0], dockId: c[1], id: c[2] } } : {}),
        ...(scope === 'own' ? { own: user.username } : {}),
        seesConfidential: SEES_CONFIDENTIAL.includes(user.role),
        limit: q.limit + 1,
      });
      return page(rows, q.limit, (r): Cursor => [r.sortAtMs, r.dockId, r.id], view);
    });

    const find = async (dock: string, id: number, role: string, username: string, scope: string) => {
      const r = await getRecording(d.agency, dock, id);
      if (!r || !mayRead(r, role, username, scope)) throw new ServiceError('not_found', `no recording ${dock}#${id}`);
      return r;
    };

    api.get<{ Params: Static<typeof RecordingParams> }>('/api/agency/recordings/:dock/:id', { config: { action: 'recordings.search' }, schema: { params: RecordingParams } }, async (req) => {
      const user = userOf(req);
      return view(await find(req.params.dock, req.params.id, user.role, user.username, scopeOfRequest(req)));
    });

    api.get<{ Params: Static<typeof RecordingParams> }>('/api/agency/recordings/:dock/:id/media', { config: { action: 'footage.play' }, schema: { params: RecordingParams } }, async (req, reply) => {
      const user = userOf(req);
      const scope = scopeOfRequest(req);
      if (scope === 'request') throw new ServiceError('forbidden', 'footage you may play only with an approved request is played on the dock that holds it, where the request is filed');
      const r = await find(req.params.dock, req.params.id, user.role, user.username, scope);
      if (r.purged) throw new ServiceError('not_found', `recording ${r.dockId}#${r.id} was purged`);
      if (!r.versionId) throw new ServiceError('not_found', `recording ${r.dockId}#${r.id} has not reached the agency store yet`);
      const range = typeof req.headers.range === 'string' && /^bytes=\d*-\d*$/.test(req.headers.range) ? req.headers.range : undefined;
      let got: Awaited<ReturnType<ObjectStore['get']>>;
      try {
        got = await d.store.get(r.objectKey, r.versionId, range);
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) {
          return reply.code(416).header('content-range', `bytes */${r.size}`).send({ error: 'range not satisfiable' });
        }
        d.log.error({ err: describeStoreError(e), key: r.objectKey }, 'agency store read failed');
        return reply.code(502).send({ error: 'the agency store did not answer' });
      }
      await registerView(d.agency, { dockId: r.dockId, id: r.id, username: user.username, role: user.role, ground: scope === 'own' ? 'own' : 'oversight', playbackKey: user.sessionKey });
      reply.header('accept-ranges', 'bytes').header('content-type', got.ContentType ?? 'application/octet-stream');
      if (got.ContentLength !== undefined) reply.header('content-length', got.ContentLength);
      if (got.ContentRange) reply.code(206).header('content-range', got.ContentRange);
      return reply.send(got.Body as Readable);
    });
  });
  app.get('/', { config: { public: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(AGENCY_HTML));
  app.get('/agency.js', { config: { public: true } }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(AGENCY_JS));
  return app;
}

/** `bwc-dock agency serve`: listen on `upstream.agencyConsole` until SIGINT/SIGTERM. */
export async function runAgencyConsole(config: Config, io: { stdout: { write(s: string): unknown } }): Promise<number> {
  const ac0 = config.upstream!.agencyConsole;
  const tls = config.console.tls;
  if (!tls && !isLoopback(ac0.host)) throw new ConfigError('upstream.agencyConsole.host', `"${ac0.host}" is not loopback: set console.tls first (the agency console carries passwords and footage)`);
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const ledger = Ledger.open(join(config.dataDir, 'ledger.sqlite'), (ms) => toIsoInZone(ms, config.timezone));
  const agency = await AgencyLedger.open(config.upstream!.postgres);
  const store = new ObjectStore(config.upstream!.s3);
  const app = await buildAgencyConsole({ config, ledger, agency, store, log, version: packageVersion() }, tls ? { https: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } } : {});
  const ac = config.upstream!.agencyConsole;
  await app.listen({ host: ac.host, port: ac.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : ac.port;
  io.stdout.write(`agency console on ${tls ? 'https' : 'http'}://${ac.host.includes(':') ? `[${ac.host}]` : ac.host}:${port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
  store.close();
  await agency.close();
  ledger.close();
  return 0;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const AGENCY_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agency console</title><meta name="viewport" content="width=device-width"></head>
<body><main id="main"><h1>Agency console</h1><p>Loading…</p></main><script src="/agency.js"></script></body></html>
`;

/** The agency console's page: login, the fleet, search and playback. Text only through textContent (strict CSP). */
const AGENCY_JS = `'use strict';
const main = document.getElementById('main');
let csrf = null;
const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v); for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(typeof k === 'string' ? document.createTextNode(k) : k); return e; };
const get = async (path) => { const r = await fetch(path, { credentials: 'same-origin' }); if (r.status === 401) { login(); throw new Error('login'); } if (!r.ok) throw new Error((await r.json()).error || r.status); return r.json(); };
function login() {
  const u = el('input', { name: 'username', autocomplete: 'username' }); const p = el('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const msg = el('p'); const f = el('form', {}, el('label', {}, 'Username ', u), el('label', {}, ' Password ', p), el('button', {}, 'Log in'), msg);
  f.addEventListener('submit', async (ev) => { ev.preventDefault(); const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u.value, password: p.value }) }); if (r.ok) { csrf = (await r.json()).csrfToken; show(); } else msg.textContent = 'Wrong username or password'; });
  main.replaceChildren(el('h1', {}, 'Agency console'), f);
}
const cell = (v) => el('td', {}, v === null || v === undefined ? '—' : String(v));
async function show() {
  const fleetBox = el('section', {}, el('h2', {}, 'Fleet'));
  const results = el('section', {}, el('h2', {}, 'Recordings'));
  const q = el('input', { name: 'officer', placeholder: 'officer number' }); const dock = el('input', { name: 'dock', placeholder: 'dock' });
  const form = el('form', {}, q, dock, el('button', {}, 'Search'));
  const player = el('video', { controls: '', width: '480' });
  main.replaceChildren(el('h1', {}, 'Agency console'), fleetBox, form, results, player);
  try {
    const f = await get('/api/agency/docks');
    fleetBox.append(el('table', { id: 'fleet' }, el('tr', {}, ['Dock', 'Enrolled', 'Last contact', 'Files waiting', 'Records waiting', 'Lag (s)', 'Clock synced', 'Open findings', 'Manifests not accepted'].map((t) => el('th', {}, t))),
      f.items.map((d) => el('tr', {}, cell(d.dockId), cell(d.enrolled ? 'yes' : 'no'), cell(d.lastContactAt), cell(d.objectsPending), cell(d.rowsPending), cell(d.lagSeconds), cell(d.clockSynced === null ? null : d.clockSynced ? 'yes' : 'no'), cell(d.openFindings), cell(d.manifestProblems)))));
  } catch (e) { fleetBox.append(el('p', {}, 'The fleet is not shown to this role.')); }
  const search = async () => {
    const params = new URLSearchParams(); if (q.value) params.set('officer', q.value); if (dock.value) params.set('dock', dock.value);
    const r = await get('/api/agency/recordings?' + params);
    results.replaceChildren(el('h2', {}, 'Recordings'), el('table', { id: 'recordings' }, r.items.map((x) => { const play = el('button', {}, 'Play'); play.addEventListener('click', () => { player.src = '/api/agency/recordings/' + encodeURIComponent(x.dockId) + '/' + x.id + '/media'; player.play(); }); return el('tr', {}, cell(x.dockId), cell(x.evidenceNo), cell(x.serial), cell(x.officerNo), cell(x.name), cell(x.correctedStart || x.recordedStart), cell(x.flags.join(', ')), el('td', {}, play)); })));
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search().catch(() => undefined); });
  search().catch(() => undefined);
}
fetch('/api/me', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json().then((m) => { csrf = m.csrfToken; show(); }) : login()));
`;
