import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { SlotView } from '../dock/slots.js';
import type { ConsoleDeps } from './deps.js';
import { ApiError, ErrorBody } from './errors.js';
import { SlotSchema } from './schemas.js';
import { securityHeaders } from './security.js';
import { userOf } from './guard.js';
import { Quota } from './services/gate.js';

/**
 * Live dock status: `GET /api/slots` and the push `GET /api/slots/stream` (Server-Sent Events): first
 * `event: slots` with the whole list, then `event: slot` per change and `event: gone` with `{ port }`;
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

  app.get('/api/slots', { config: { action: 'status' }, schema: { response: { 200: Type.Object({ items: Type.Array(SlotSchema), next: Type.Null() }), '4xx': ErrorBody } } }, async () => ({
    items: deps.slots.list(),
    next: null,
  }));

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
    const onChange = (s: SlotView) => send('slot', s);
    const onGone = (port: string) => send('gone', { port });
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
      streams.delete(end);
      release();
      res.end();
    };
    streams.add(end);
    req.raw.on('close', end);
    res.write('retry: 3000\n\n');
    send('slots', deps.slots.list());
  });
};
