import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiError } from '../../daemon/console/errors.js';
import { Gate, Quota } from '../../daemon/console/services/gate.js';
import { build, type Harness } from '../helpers/console.js';

/**
 * Attack 10 of issue 13: what one client can hold open or make the dock do at once is bounded. Live-status
 * streams per login session and in total, thumbnail (ffmpeg) jobs, open connections, idle and slow clients;
 * and a JSON body is taken with its own types (no `"false"` read as false).
 */

let h: Harness;
let port: number;
beforeAll(async () => {
  h = await build({ consoleConfig: { limits: { streamsPerSession: 2, streamsTotal: 3, maxConnections: 6, connectionTimeoutMs: 1500 } } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  port = (h.app.server.address() as { port: number }).port;
});
afterAll(async () => h.close());

/** Open the live-status stream as a login; resolves with its status and a way to close it. */
function stream(cookie: string): Promise<{ status: number; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/slots/stream', headers: { cookie, host: 'localhost' } }, (res) => {
      res.on('data', () => undefined);
      resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
}

const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

describe('attack: holding the console open', () => {
  it('live-status streams are capped per login session (429) and in total', async () => {
    const a = (await h.login('sup1')).cookie;
    const b = (await h.login('aud1')).cookie;
    const a1 = await stream(a);
    const a2 = await stream(a);
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await stream(a);
    expect(a3.status).toBe(429);
    const b1 = await stream(b);
    expect(b1.status).toBe(200);
    const b2 = await stream(b);
    expect(b2.status).toBe(429); // the total of 3 is reached
    a1.close();
    await new Promise((r) => setTimeout(r, 200));
    const b3 = await stream(b);
    expect(b3.status).toBe(200); // a closed stream gives its place back
    for (const s of [a2, a3, b1, b2, b3]) s.close();
  });

  it('connections beyond console.limits.maxConnections are closed at once', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const open: Socket[] = [];
    for (let i = 0; i < 6; i++) {
      const s = connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      open.push(s);
    }
    await new Promise((r) => setTimeout(r, 200));
    const extra = connect(port, '127.0.0.1');
    extra.on('error', () => undefined);
    await closed(extra); // dropped by the server, not left waiting
    expect(extra.destroyed).toBe(true);
    for (const s of open) s.destroy();
  });

  it('an idle connection is closed after console.limits.connectionTimeoutMs', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    s.write('GET /api/health HTTP/1.1\r\nhost: localhost\r\n'); // headers never finished
    await closed(s);
    expect(s.destroyed).toBe(true);
  });
});

describe('attack: type coercion of a JSON body', () => {
  it('a string where a boolean belongs is refused, not read as a boolean', async () => {
    for (const disabled of ['false', 'true', '', 0, 1, null]) {
      const res = await h.req('POST', '/api/users/em1/disabled', { as: 'admin1', body: { disabled } });
      expect(res.statusCode, `${JSON.stringify(disabled)}: ${res.body}`).toBe(400);
      expect(res.json().error).toMatch(/body\.disabled/);
    }
  });

  it('query strings and path parameters are still read as the numbers their schemas ask for', async () => {
    const res = await h.req('GET', '/api/users?limit=2', { as: 'admin1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toHaveLength(2);
  });
});

describe('bounded work', () => {
  it('a gate runs at most `running` jobs, queues `waiting`, and refuses the rest with 503', async () => {
    const gate = new Gate(2, 3, 'thumbnails');
    let now = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const job = () =>
      gate.run(async () => {
        peak = Math.max(peak, ++now);
        await new Promise<void>((r) => release.push(r));
        now--;
      });
    const results = Array.from({ length: 10 }, () => job().then(() => 'done', (e: unknown) => (toApiError(e)?.status ?? 'other')));
    await new Promise((r) => setTimeout(r, 10));
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(results)).toEqual(['done', 'done', 'done', 'done', 'done', 503, 503, 503, 503, 503]);
    expect(peak).toBe(2);
    expect(gate.busy).toBe(0);
  });

  it('a quota counts per key and in total, and a release is counted once', () => {
    const q = new Quota(2, 3);
    const a1 = q.take('a')!;
    q.take('a');
    expect(q.take('a')).toBeNull();
    q.take('b');
    expect(q.take('c')).toBeNull();
    a1();
    a1();
    expect(q.take('c')).not.toBeNull();
    expect(q.take('d')).toBeNull();
  });
});
