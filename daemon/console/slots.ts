import { statfs } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { SlotView } from '../dock/slots.js';
import type { ConsoleDeps } from './deps.js';
import { ApiError, ErrorBody } from './errors.js';
import { ServiceError } from './services/errors.js';
import { SlotSchema } from './schemas.js';
import { securityHeaders } from './security.js';
import { userOf } from './guard.js';
import { Quota } from './services/gate.js';
import { SlotEndings, type SlotEnding } from './services/slot-endings.js';

const Progress = Type.Object({ filesDone: Type.Integer(), filesTotal: Type.Integer(), bytesDone: Type.Number(), bytesTotal: Type.Number(), rate: Type.Number() });
const EndingSchema = Type.Object({
  sessionId: Type.String(),
  port: Type.String(),
  serial: Type.Union([Type.String(), Type.Null()]),
  lastState: Type.String(),
  progress: Progress,
  findings: Type.Array(Type.String()),
  endedAt: Type.String(),
});
/** What the dock's own screen shows without a login: slot state and progress, never who or what was recorded. */
const KioskSlot = Type.Object({
  port: Type.String(),
  serial: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  progress: Progress,
  flagged: Type.Boolean(),
  startedAt: Type.String(),
});
const KioskAnswer = Type.Object({
  time: Type.String(),
  slots: Type.Array(KioskSlot),
  ended: Type.Array(Type.Object({ port: Type.String(), serial: Type.Union([Type.String(), Type.Null()]), lastState: Type.String(), endedAt: Type.String() })),
  disk: Type.Object({ freeBytes: Type.Union([Type.Number(), Type.Null()]), low: Type.Boolean() }),
});

/**
 * Live dock status: `GET /api/slots` and the push `GET /api/slots/stream` (Server-Sent Events): first
 * `event: slots` with the whole list, then `event: slot` per change and `event: gone` with `{ port }`, and
 * `event: ended` with the dockings that ended badly and are not seen yet (at the start and on each change);
 * a `: heartbeat` comment keeps proxies from closing it. The stream ends when the login session expires.
 * Streams are capped per login session and in total (`console.limits.streamsPerSession`, `streamsTotal`): 429 beyond.
 */
export const slotsPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const streams = new Set<() => void>();
  const quota = new Quota(deps.config.console.limits.streamsPerSession, deps.config.console.limits.streamsTotal);
  // A stopping console ends its event streams first: the server's close waits for every open connection, and
  // a status page left open would otherwise hold the daemon's stop until systemd kills it.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  const endings = new SlotEndings(deps.slots, deps.clock.now, deps.iso);
  app.addHook('onClose', async () => endings.close());

  /**
   * A re-docked recorder's card keeps the flags its earlier docking raised and nobody has answered yet (issue 18:
   * after an unplug the second docking showed "file 2 of 2" without the missing-file flag). Read once per session.
   */
  const earlier = new Map<string, string[]>();
  const withEarlierFindings = (s: SlotView): SlotView => {
    if (!s.serial) return s;
    let kinds = earlier.get(s.sessionId);
    if (!kinds) {
      kinds = [...new Set(deps.ledger.findings.query({ serial: s.serial, state: 'open', limit: 200 }).filter((f) => f.sessionId !== s.sessionId).map((f) => f.kind))];
      earlier.set(s.sessionId, kinds);
    }
    return kinds.every((k) => s.findings.includes(k)) ? s : { ...s, findings: [...new Set([...s.findings, ...kinds])].sort() };
  };
  const forgetEarlier = () => {
    const live = new Set(deps.slots.list().map((s) => s.sessionId));
    for (const id of earlier.keys()) if (!live.has(id)) earlier.delete(id);
  };
  deps.slots.on('gone', forgetEarlier);
  app.addHook('onClose', async () => {
    deps.slots.off('gone', forgetEarlier);
  });
  const slotList = () => deps.slots.list().map(withEarlierFindings);

  app.get('/api/slots', { config: { action: 'status' }, schema: { response: { 200: Type.Object({ items: Type.Array(SlotSchema), next: Type.Null() }), '4xx': ErrorBody } } }, async () => ({
    items: slotList(),
    next: null,
  }));

  /** Dockings that ended badly (a recorder pulled out mid-offload, a failure), until someone has seen them. */
  app.get('/api/slots/ended', { config: { action: 'status' }, schema: { response: { 200: Type.Object({ items: Type.Array(EndingSchema), next: Type.Null() }), '4xx': ErrorBody } } }, async () => ({
    items: endings.list(),
    next: null,
  }));

  app.post<{ Params: { sessionId: string } }>(
    '/api/slots/ended/:sessionId/seen',
    {
      config: { action: 'status' },
      schema: { params: Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: Type.Object({ ok: Type.Boolean() }), '4xx': ErrorBody } },
    },
    async (req) => {
      const user = userOf(req);
      const e = endings.get(req.params.sessionId);
      if (!e) throw new ServiceError('not_found', `no unseen ending of docking ${req.params.sessionId}`);
      const now = deps.clock.now();
      deps.ledger.tx(() => deps.ledger.audit.append(now, user.username, 'slot.ending_seen', e.sessionId, { serial: e.serial, port: e.port, lastState: e.lastState }));
      endings.seen(e.sessionId);
      return { ok: true };
    },
  );

  /**
   * The dock's own screen (the 800x480 panel beside the slots), open without a login: each slot's state,
   * progress and recorder serial, whether it is flagged, dockings that ended badly, and whether the disk runs
   * low. Never an officer's name or number, a file name or a finding's detail: anyone at the dock sees this.
   */
  const diskFree = deps.diskFree ?? (async () => {
    const s = await statfs(deps.config.dataDir);
    return s.bavail * s.bsize;
  });
  app.get('/api/kiosk', { config: { public: true }, schema: { response: { 200: KioskAnswer } } }, async () => {
    const free = await diskFree().catch(() => null);
    const floor = deps.config.offload.minFreeBytes;
    return {
      time: deps.iso(deps.clock.now()),
      slots: slotList().map((s) => ({ port: s.port, serial: s.serial, state: s.state, progress: s.progress, flagged: s.findings.length > 0 || s.error !== null, startedAt: s.startedAt })),
      ended: endings.list().map((e: SlotEnding) => ({ port: e.port, serial: e.serial, lastState: e.lastState, endedAt: e.endedAt })),
      disk: { freeBytes: free, low: free !== null && free < 2 * floor },
    };
  });

  app.get('/api/slots/stream', { config: { action: 'status' }, schema: { response: { '4xx': ErrorBody } } }, async (req, reply) => {
    const user = userOf(req);
    const release = quota.take(user.sessionKey);
    if (!release) throw new ApiError('too_many_streams', 'too many live-status streams open; close another console tab');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...securityHeaders(deps.config.console.tls !== undefined),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const onChange = (s: SlotView) => send('slot', withEarlierFindings(s));
    const onGone = (port: string) => send('gone', { port });
    const offEnded = endings.onUpdate(() => send('ended', endings.list()));
    deps.slots.on('change', onChange);
    deps.slots.on('gone', onGone);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), deps.heartbeatMs ?? 15_000);
    const expiry = setTimeout(() => end(), Math.max(0, Math.min(user.expiresAtMs - deps.clock.now(), 2 ** 31 - 1)));
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      clearTimeout(expiry);
      deps.slots.off('change', onChange);
      deps.slots.off('gone', onGone);
      offEnded();
      streams.delete(end);
      release();
      res.end();
    };
    streams.add(end);
    req.raw.on('close', end);
    res.write('retry: 3000\n\n');
    send('slots', slotList());
    send('ended', endings.list());
  });
};
