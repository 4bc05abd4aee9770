import { crc16ccittFalse } from './crc.js';
import { CRC_SIZE, type FrameKind, HEADER_SIZE, MAGIC0, MAGIC1, MAX_PAYLOAD, PROTOCOL_VERSION } from './constants.js';

export interface Frame {
  kind: FrameKind;
  seq: number;
  command: number;
  status: number;
  payload: Buffer;
}

export function encodeFrame(f: Frame): Buffer {
  if (f.payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${f.payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const buf = Buffer.alloc(HEADER_SIZE + f.payload.length + CRC_SIZE);
  buf[0] = MAGIC0;
  buf[1] = MAGIC1;
  buf[2] = PROTOCOL_VERSION;
  buf[3] = f.kind;
  buf.writeUInt16LE(f.seq & 0xffff, 4);
  buf[6] = f.command & 0xff;
  buf[7] = f.status & 0xff;
  buf.writeUInt16LE(f.payload.length, 8);
  f.payload.copy(buf, HEADER_SIZE);
  buf.writeUInt16LE(crc16ccittFalse(buf, 2, HEADER_SIZE + f.payload.length), HEADER_SIZE + f.payload.length);
  return buf;
}
