import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { isLoopback } from '../config.js';

/** The host name of a `Host` header (`name`, `name:port`, `[v6]:port`), lower-case, without a trailing dot; null when malformed. */
export function hostOfHeader(header: string | undefined): string | null {
  if (!header) return null;
  const h = header.trim().toLowerCase();
  let name: string;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || (h.length > end + 1 && !/^:\d{1,5}$/.test(h.slice(end + 1)))) return null;
    name = h.slice(1, end);
    if (isIP(name) !== 6) return null;
  } else {
    const m = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(h);
    if (!m) return null;
    name = m[1]!;
  }
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();

/**
 * The names the console answers to (CONTRACT `console.allowedHosts`): its configured host, the addresses it
 * listens on (every interface's when it listens on all), `localhost` and the loopback addresses when it is on
 * loopback, and the configured extra names.
 */
export function consoleHostNames(cfg: { host: string; allowedHosts: readonly string[] }, listening: readonly string[] = []): Set<string> {
  const names = new Set<string>(['localhost', bare(cfg.host), ...cfg.allowedHosts.map(bare), ...listening.map(bare)]);
  if (isLoopback(cfg.host)) for (const a of ['127.0.0.1', '::1']) names.add(a);
  if (cfg.host === '0.0.0.0' || cfg.host === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
  }
  return names;
}

/**
 * DNS rebinding: a web page anywhere can make a browser send requests to a loopback console under the page's
 * own host name. Every request (API and UI) whose `Host` is not one of the console's own names answers 421
 * before anything else runs.
 */
export function installHostCheck(app: FastifyInstance, cfg: { host: string; allowedHosts: readonly string[] }): void {
  let names = consoleHostNames(cfg);
  app.addHook('onListen', async () => {
    const addr = app.server.address();
    if (addr && typeof addr === 'object') names = consoleHostNames(cfg, [addr.address]);
  });
  app.addHook('onRequest', async (req, reply) => {
    const name = hostOfHeader(req.headers.host);
    if (name === null || !names.has(name)) {
      return reply.code(421).send({ error: `this console does not answer to host ${JSON.stringify(String(req.headers.host ?? '').slice(0, 100))}; add it to console.allowedHosts` });
    }
    return undefined;
  });
}
