import { describe, expect, it } from 'vitest';
import { RecorderClient } from '../../../firmware-protocol/client/client.js';
import { Command, FrameKind, Status } from '../../../firmware-protocol/codec/constants.js';
import { Deframer } from '../../../firmware-protocol/codec/deframer.js';
import { AbortedError } from '../../../firmware-protocol/codec/errors.js';
import { encodeFrame, type Frame } from '../../../firmware-protocol/codec/frame.js';
import { duplexPair } from '../../helpers/duplex-pair.js';

/** A recorder that hears every request and answers none until told to. */
function silent() {
  const { host, device } = duplexPair();
  const seen: Frame[] = [];
  const d = new Deframer();
  d.on('data', (f: Frame) => seen.push(f));
  device.on('data', (c: Buffer) => d.write(c));
  const answer = (f: Frame) => device.write(encodeFrame({ kind: FrameKind.Response, seq: f.seq, command: f.command, status: Status.OK, payload: Buffer.alloc(0) }));
  return { host, seen, answer };
}

describe('RecorderClient cancellation', () => {
  it("the client's signal rejects the request in flight and the queued ones at once, and every later one", async () => {
    const { host, seen } = silent();
    const ac = new AbortController();
    const c = new RecorderClient(host, { signal: ac.signal, timeoutMs: () => 60_000 });
    const inFlight = c.request(Command.EXIT_MSC);
    const queued = c.request(Command.LOGOUT);
    await new Promise((r) => setImmediate(r));
    expect(seen.map((f) => f.command)).toEqual([Command.EXIT_MSC]);
    ac.abort('recorder unplugged');
    await expect(inFlight).rejects.toEqual(new AbortedError('recorder unplugged'));
    await expect(queued).rejects.toBeInstanceOf(AbortedError);
    await expect(c.request(Command.LOGOUT)).rejects.toMatchObject({ code: 'ABORTED', message: 'recorder unplugged' });
    // The queued request was never sent.
    expect(seen.map((f) => f.command)).toEqual([Command.EXIT_MSC]);
  });

  it("a request's own signal cancels only it; the next request is sent and answered", async () => {
    const { host, seen, answer } = silent();
    const c = new RecorderClient(host, { timeoutMs: () => 60_000 });
    const ac = new AbortController();
    const first = c.request(Command.EXIT_MSC, Buffer.alloc(0), ac.signal);
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await expect(first).rejects.toBeInstanceOf(AbortedError);
    const second = c.request(Command.LOGOUT);
    await new Promise((r) => setImmediate(r));
    answer(seen.at(-1)!);
    await expect(second).resolves.toEqual(Buffer.alloc(0));
  });
});
