import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecorderClient } from '../../../firmware-protocol/client/client.js';
import { Command, FrameKind, LoginRole, Status } from '../../../firmware-protocol/codec/constants.js';
import { Deframer } from '../../../firmware-protocol/codec/deframer.js';
import { BadResponseError, LinkClosedError, ProtocolError, TimeoutError } from '../../../firmware-protocol/codec/errors.js';
import { encodeFrame, type Frame } from '../../../firmware-protocol/codec/frame.js';
import { encodeFilePage, encodeHello, encodeMsc } from '../../../firmware-protocol/codec/payloads.js';
import { duplexPair, type RecordingDuplex } from '../../helpers/duplex-pair.js';

/** A scripted recorder: answers each request with what `answer` returns (or nothing). */
function scripted(device: RecordingDuplex, answer: (req: Frame) => Buffer | null) {
  const d = new Deframer();
  const requests: Frame[] = [];
  d.on('data', (f: Frame) => {
    requests.push(f);
    const a = answer(f);
    if (a) device.write(a);
  });
  device.on('data', (c: Buffer) => d.write(c));
  return requests;
}

const reply = (req: Frame, status: Status, payload: Buffer = Buffer.alloc(0)) =>
  encodeFrame({ kind: FrameKind.Response, seq: req.seq, command: req.command, status, payload });

afterEach(() => {
  vi.useRealTimers();
});

describe('RecorderClient, in memory', () => {
  it('writes the expected bytes for HELLO and LOGIN', async () => {
    const { host, device } = duplexPair();
    scripted(device, (r) => (r.command === Command.HELLO ? reply(r, Status.OK, encodeHello({ proto: 1, idCode: 'ZFY01', serial: 'A000001', firmware: 'x', caps: 5 })) : reply(r, Status.OK)));
    const c = new RecorderClient(host, { initialSeq: 0x0100 });
    await c.hello();
    await c.login(LoginRole.Admin, '000000');
    expect(host.written.map((b) => b.toString('hex'))).toEqual([
      'a55a0101000101000000' + crcHex('0101000101000000'),
      'a55a0101010102000700' + '01303030303030' + crcHex('010101010200070001303030303030'),
    ]);
  });

  it('retries a time-out with a new seq and takes the answer to the retry', async () => {
    const { host, device } = duplexPair();
    let n = 0;
    const reqs = scripted(device, (r) => (++n === 1 ? null : reply(r, Status.OK, encodeHello({ proto: 1, idCode: 'ZFY01', serial: 'A000009', firmware: '', caps: 0 }))));
    const c = new RecorderClient(host, { initialSeq: 7, timeoutMs: () => 30 });
    expect((await c.hello()).serial).toBe('A000009');
    expect(reqs.map((r) => r.seq)).toEqual([7, 8]);
  });

  it('ignores a late answer to an earlier request', async () => {
    const { host, device } = duplexPair();
    const held: Frame[] = [];
    scripted(device, (r) => {
      held.push(r);
      if (held.length === 4) {
        device.write(reply(held[0]!, Status.OK, Buffer.alloc(3))); // the first HELLO's, come after it failed: ignored
        return reply(r, Status.OK, encodeHello({ proto: 1, idCode: 'ZFY01', serial: 'A000010', firmware: '', caps: 0 }));
      }
      return null;
    });
    const c = new RecorderClient(host, { timeoutMs: () => 30, attempts: 2 });
    await expect(c.hello()).rejects.toBeInstanceOf(TimeoutError);
    expect((await c.hello()).serial).toBe('A000010');
  });

  it('takes a late answer to an earlier attempt of the same request: the recorder carried it out', async () => {
    const { host, device } = duplexPair();
    const held: Frame[] = [];
    // ENTER_MSC answered after the time-out; the retry finds the recorder in mass storage already.
    scripted(device, (r) => {
      held.push(r);
      if (held.length === 2) {
        device.write(reply(held[0]!, Status.OK, encodeMsc({ label: 'BWCA000001', volumeId: 7 })));
        return reply(r, Status.WRONG_MODE);
      }
      return null;
    });
    const c = new RecorderClient(host, { timeoutMs: () => 30 });
    expect(await c.enterMsc()).toEqual({ label: 'BWCA000001', volumeId: 7 });
    expect(held.map((r) => r.command)).toEqual([Command.ENTER_MSC, Command.ENTER_MSC]);
    expect(held[1]!.seq).not.toBe(held[0]!.seq);
  });

  it('never retries LOGIN', async () => {
    const { host, device } = duplexPair();
    const reqs = scripted(device, () => null);
    const c = new RecorderClient(host, { timeoutMs: () => 20, attempts: 3 });
    await expect(c.login(LoginRole.Admin, '000000')).rejects.toBeInstanceOf(TimeoutError);
    expect(reqs).toHaveLength(1);
  });

  it('turns a non-OK status into a ProtocolError', async () => {
    const { host, device } = duplexPair();
    scripted(device, (r) => reply(r, Status.BUSY));
    const err = await new RecorderClient(host).enterMsc().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'PROTOCOL_STATUS', status: Status.BUSY, command: Command.ENTER_MSC });
  });

  it('rejects a malformed answer as BAD_RESPONSE', async () => {
    const { host, device } = duplexPair();
    scripted(device, (r) => reply(r, Status.OK, Buffer.alloc(10)));
    await expect(new RecorderClient(host).getStatus()).rejects.toBeInstanceOf(BadResponseError);
  });

  it('pages LIST_FILES 31 at a time', async () => {
    const { host, device } = duplexPair();
    const entries = Array.from({ length: 40 }, (_, i) => ({ name: `F${i}`, size: 1n, startRaw: '20240101000000', durationMs: 0, seq: i + 1, flags: 0, sha256: null }));
    const reqs = scripted(device, (r) => {
      const start = r.payload.readUInt32LE(0);
      const max = r.payload.readUInt16LE(4);
      return reply(r, Status.OK, encodeFilePage(40, entries.slice(start, start + max)));
    });
    const files = await new RecorderClient(host).listFiles();
    expect(files).toHaveLength(40);
    expect(reqs.map((r) => r.payload.toString('hex'))).toEqual(['000000001f00', '1f0000001f00']);
  });

  it('fails the request in flight at once when the link closes', async () => {
    const { host, device } = duplexPair();
    scripted(device, () => null);
    const c = new RecorderClient(host, { timeoutMs: () => 10_000 });
    const p = c.getStatus();
    host.destroy();
    await expect(p).rejects.toBeInstanceOf(LinkClosedError);
    await expect(c.hello()).rejects.toMatchObject({ code: 'LINK_CLOSED' });
  });
});

function crcHex(hex: string): string {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(crc(Buffer.from(hex, 'hex')));
  return b.toString('hex');
}

/** An independent bitwise CRC-16/CCITT-FALSE, so the trace does not trust the table under test. */
function crc(buf: Buffer): number {
  let c = 0xffff;
  for (const byte of buf) {
    c ^= byte << 8;
    for (let i = 0; i < 8; i++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}
