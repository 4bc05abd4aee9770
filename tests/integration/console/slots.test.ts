import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { build, dockRecorder, type Harness } from '../../helpers/console.js';

let h: Harness;
afterEach(async () => h?.close());

interface SseEvent {
  event: string;
  data: unknown;
}

/** Open the stream on a real socket; collect events and comments until `until` says stop. */
async function openStream(
  cookie: string,
): Promise<{ events: SseEvent[]; comments: string[]; headers: Record<string, unknown>; waitFor(n: number): Promise<void>; close(): void; onEnd(fn: () => void): void }> {
  const port = (h.app.server.address() as AddressInfo).port;
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buf = '';
  let wake: (() => void) | null = null;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/slots/stream', headers: { cookie } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.startsWith(':')) comments.push(block);
          const ev = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
          wake?.();
        }
      });
      resolve({
        events,
        comments,
        headers: res.headers,
        waitFor: async (n) => {
          while (events.length < n) await new Promise<void>((r) => (wake = r));
        },
        close: () => req.destroy(),
        onEnd: (fn) => (res.readableEnded ? fn() : res.once('end', fn)),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('slots', () => {
  it('GET /api/slots lists the live slots', async () => {
    h = await build();
    dockRecorder(h, 'SN000001', 'offloading');
    const res = await h.req('GET', '/api/slots', { as: '100002' });
    expect(res.json()).toMatchObject({ items: [{ serial: 'SN000001', state: 'offloading', battery: 90, driftMs: 120 }], next: null });
  });

  it('the stream sends the full list, then each change and each leaving slot, with heartbeats', async () => {
    h = await build({ heartbeatMs: 50 });
    dockRecorder(h, 'SN000001', 'offloading');
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const s = await h.login('100001');
    // The console itself listens for endings (issue 18); the stream's own listeners are the ones that must go.
    const listeners = h.slots.listenerCount('gone');
    const stream = await openStream(s.cookie);
    // `ended` events (dockings that ended badly, issue 18) come between: this test follows the slots.
    const slotEvents = () => stream.events.filter((e) => e.event !== 'ended');
    expect(stream.headers['content-type']).toMatch(/text\/event-stream/);
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
    await stream.waitFor(2);
    expect(slotEvents()[0]).toMatchObject({ event: 'slots', data: [{ serial: 'SN000001', state: 'offloading' }] });
    expect(stream.events[1]).toEqual({ event: 'ended', data: [] });
    h.slots.update('/dev/ttyBWC-SN000001', { progress: { filesDone: 1, filesTotal: 2, bytesDone: 500, bytesTotal: 1000, rate: 250 } });
    await stream.waitFor(3);
    expect(slotEvents()[1]).toMatchObject({ event: 'slot', data: { port: '/dev/ttyBWC-SN000001', progress: { bytesDone: 500 } } });
    h.slots.remove('/dev/ttyBWC-SN000001');
    await stream.waitFor(5);
    expect(slotEvents()[2]).toEqual({ event: 'gone', data: { port: '/dev/ttyBWC-SN000001' } });
    // It left mid-offload: the ending is sent too.
    expect(stream.events.filter((e) => e.event === 'ended').at(-1)).toMatchObject({ event: 'ended', data: [{ serial: 'SN000001', lastState: 'offloading' }] });
    await new Promise((r) => setTimeout(r, 120));
    expect(stream.comments.some((c) => c.startsWith(': heartbeat'))).toBe(true);
    stream.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.slots.listenerCount('gone')).toBe(listeners);
  });

  it('closing the console ends open event streams instead of waiting for them (a stopping daemon exits)', async () => {
    h = await build({ heartbeatMs: 60_000 });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const s = await h.login('sup1');
    const streams = [await openStream(s.cookie), await openStream(s.cookie)];
    await Promise.all(streams.map((x) => x.waitFor(1)));
    const ended = streams.map((x) => new Promise<void>((r) => x.onEnd(r)));
    await h.app.close(); // before: never resolved while a stream was open
    await Promise.all(ended);
    expect(h.slots.listenerCount('change')).toBe(0);
  });
});
