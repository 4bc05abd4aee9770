import { Duplex } from 'node:stream';

export type RecordingDuplex = Duplex & { written: Buffer[] };

/** One end of an in-memory link: what it writes is recorded and handed to `deliver`. */
function end(deliver: (chunk: Buffer | null) => void): RecordingDuplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      d.written.push(Buffer.from(chunk));
      deliver(Buffer.from(chunk));
      cb();
    },
    final(cb) {
      deliver(null);
      cb();
    },
  }) as RecordingDuplex;
  d.written = [];
  return d;
}

/** Two in-memory byte duplexes wired back to back: what `host` writes `device` reads and vice versa. */
export function duplexPair(): { host: RecordingDuplex; device: RecordingDuplex } {
  const pair = {} as { host: RecordingDuplex; device: RecordingDuplex };
  pair.host = end((c) => pair.device.push(c));
  pair.device = end((c) => pair.host.push(c));
  return pair;
}
