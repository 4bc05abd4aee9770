import {
  EVENT_ENTRY_SIZE,
  type EventCode,
  FILE_ENTRY_SIZE,
  INFO_BLOCK_SIZE,
  type LoginRole,
} from './constants.js';
import { BadResponseError, EncodeError } from './errors.js';
import {
  expectLength,
  parseDeviceTime,
  readAscii,
  readGbk,
  readTimeString,
  writeAscii,
  writeGbk,
  writeTime,
  type DeviceTime,
} from './fields.js';

// ---- HELLO -------------------------------------------------------------------------------------

export interface Hello {
  proto: number;
  idCode: string;
  serial: string;
  firmware: string;
  caps: number;
}
const HELLO_SIZE = 34;

export function encodeHello(h: Hello): Buffer {
  const b = Buffer.alloc(HELLO_SIZE);
  b[0] = h.proto;
  writeAscii(b, 1, 5, h.idCode, 'idCode');
  writeAscii(b, 6, 8, h.serial, 'serial');
  writeAscii(b, 14, 16, h.firmware, 'firmware');
  b.writeUInt32LE(h.caps >>> 0, 30);
  return b;
}

export function decodeHello(p: Buffer): Hello {
  expectLength('HELLO', p, HELLO_SIZE);
  return { proto: p[0]!, idCode: readAscii(p, 1, 5), serial: readAscii(p, 6, 8), firmware: readAscii(p, 14, 16), caps: p.readUInt32LE(30) };
}

// ---- LOGIN -------------------------------------------------------------------------------------

export interface Login {
  role: LoginRole;
  password: string;
}

export function encodeLogin(l: Login): Buffer {
  if (!/^\d{6}$/.test(l.password)) throw new EncodeError('password', 'must be 6 ASCII digits');
  const b = Buffer.alloc(7);
  b[0] = l.role;
  b.write(l.password, 1, 'latin1');
  return b;
}

/** Device side: `null` when the payload has the wrong length. The password is returned raw. */
export function decodeLogin(p: Buffer): { role: number; password: string } | null {
  if (p.length !== 7) return null;
  return { role: p[0]!, password: p.subarray(1, 7).toString('latin1') };
}

// ---- INFO block --------------------------------------------------------------------------------

export interface InfoBlock {
  serial: string;
  userNo: string;
  userName: string;
  unitNo: string;
  unitName: string;
}

export function encodeInfo(i: InfoBlock): Buffer {
  const b = Buffer.alloc(INFO_BLOCK_SIZE);
  writeAscii(b, 0, 8, i.serial, 'serial');
  writeAscii(b, 8, 7, i.userNo, 'userNo');
  writeGbk(b, 15, 33, i.userName, 'userName');
  writeAscii(b, 48, 13, i.unitNo, 'unitNo');
  writeGbk(b, 61, 33, i.unitName, 'unitName');
  return b;
}

export function decodeInfo(p: Buffer): InfoBlock {
  expectLength('INFO block', p, INFO_BLOCK_SIZE);
  return {
    serial: readAscii(p, 0, 8),
    userNo: readAscii(p, 8, 7),
    userName: readGbk(p, 15, 33),
    unitNo: readAscii(p, 48, 13),
    unitName: readGbk(p, 61, 33),
  };
}

// ---- GET_TIME / SET_TIME -----------------------------------------------------------------------

export interface ClockReading {
  /** The raw 14-character time string as the recorder sent it. */
  raw: string;
  /** Parsed wall-clock fields, or null when the recorder sent something that is not a date. */
  time: DeviceTime | null;
  ms: number;
  /** Minutes east of UTC. */
  tz: number;
}
const TIME_SIZE = 18;

export function encodeTime(t: { time: DeviceTime; ms: number; tz: number }): Buffer {
  if (!Number.isInteger(t.ms) || t.ms < 0 || t.ms > 999) throw new EncodeError('ms', 'must be 0..999');
  if (!Number.isInteger(t.tz) || t.tz < -32768 || t.tz > 32767) throw new EncodeError('tz', 'must fit an int16');
  const b = Buffer.alloc(TIME_SIZE);
  writeTime(b, 0, t.time, 'time');
  b.writeUInt16LE(t.ms, 14);
  b.writeInt16LE(t.tz, 16);
  return b;
}

export function decodeTime(p: Buffer): ClockReading {
  expectLength('GET_TIME', p, TIME_SIZE);
  const raw = readTimeString(p, 0);
  return { raw, time: parseDeviceTime(raw), ms: p.readUInt16LE(14), tz: p.readInt16LE(16) };
}

// ---- GET_STATUS --------------------------------------------------------------------------------

export interface RecorderStatus {
  battery: number;
  charging: boolean;
  recording: boolean;
  totalMiB: number;
  freeMiB: number;
  fileCount: number;
}
const STATUS_SIZE = 16;

export function encodeStatus(s: RecorderStatus): Buffer {
  const b = Buffer.alloc(STATUS_SIZE);
  b[0] = s.battery;
  b[1] = s.charging ? 1 : 0;
  b[2] = s.recording ? 1 : 0;
  b.writeUInt32LE(s.totalMiB >>> 0, 4);
  b.writeUInt32LE(s.freeMiB >>> 0, 8);
  b.writeUInt32LE(s.fileCount >>> 0, 12);
  return b;
}

export function decodeStatus(p: Buffer): RecorderStatus {
  expectLength('GET_STATUS', p, STATUS_SIZE);
  return {
    battery: p[0]!,
    charging: p[1] !== 0,
    recording: p[2] !== 0,
    totalMiB: p.readUInt32LE(4),
    freeMiB: p.readUInt32LE(8),
    fileCount: p.readUInt32LE(12),
  };
}

// ---- paging requests (LIST_FILES, GET_EVENTS) --------------------------------------------------

export interface PageRequest {
  start: number;
  max: number;
}

export function encodePageRequest(r: PageRequest): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt32LE(r.start >>> 0, 0);
  b.writeUInt16LE(r.max, 4);
  return b;
}

export function decodePageRequest(p: Buffer): PageRequest | null {
  if (p.length !== 6) return null;
  return { start: p.readUInt32LE(0), max: p.readUInt16LE(4) };
}

export interface Page<T> {
  total: number;
  entries: T[];
}

function encodePage<T>(total: number, entries: T[], size: number, enc: (e: T) => Buffer): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(total >>> 0, 0);
  head.writeUInt16LE(entries.length, 4);
  return Buffer.concat([head, ...entries.map((e) => {
    const b = enc(e);
    if (b.length !== size) throw new Error('entry size');
    return b;
  })]);
}

function decodePage<T>(what: string, p: Buffer, size: number, dec: (b: Buffer) => T): Page<T> {
  if (p.length < 6) throw new BadResponseError(`${what}: payload of ${p.length} bytes is shorter than its header`);
  const total = p.readUInt32LE(0);
  const count = p.readUInt16LE(4);
  if (p.length !== 6 + count * size) throw new BadResponseError(`${what}: ${count} entries need ${6 + count * size} bytes, got ${p.length}`);
  const entries: T[] = [];
  for (let i = 0; i < count; i++) entries.push(dec(p.subarray(6 + i * size, 6 + (i + 1) * size)));
  return { total, entries };
}

// ---- FILE entry --------------------------------------------------------------------------------

export interface FileEntry {
  /** Path relative to the volume root, `/` separators, as the recorder sent it (not yet trusted). */
  name: string;
  size: bigint;
  /** Raw 14-character start time, recorder local time. */
  startRaw: string;
  start: DeviceTime | null;
  durationMs: number;
  seq: number;
  flags: number;
  /** Capture hash, lowercase hex, or null when all zero (no CAPTURE_HASH). */
  sha256: string | null;
}

export function encodeFileEntry(f: Omit<FileEntry, 'start'> | (FileEntry & { start: DeviceTime | null })): Buffer {
  const b = Buffer.alloc(FILE_ENTRY_SIZE);
  writeAscii(b, 0, 64, f.name, 'name');
  b.writeBigUInt64LE(f.size, 64);
  b.write(f.startRaw.padEnd(14, '0').slice(0, 14), 72, 'latin1');
  b.writeUInt32LE(f.durationMs >>> 0, 86);
  b.writeUInt32LE(f.seq >>> 0, 90);
  b[94] = f.flags;
  if (f.sha256) {
    if (!/^[0-9a-f]{64}$/.test(f.sha256)) throw new EncodeError('sha256', 'must be 64 lowercase hex digits');
    Buffer.from(f.sha256, 'hex').copy(b, 98);
  }
  return b;
}

export function decodeFileEntry(b: Buffer): FileEntry {
  const hash = b.subarray(98, 130);
  const startRaw = readTimeString(b, 72);
  return {
    name: readAscii(b, 0, 64),
    size: b.readBigUInt64LE(64),
    startRaw,
    start: parseDeviceTime(startRaw),
    durationMs: b.readUInt32LE(86),
    seq: b.readUInt32LE(90),
    flags: b[94]!,
    sha256: hash.every((x) => x === 0) ? null : hash.toString('hex'),
  };
}

export const encodeFilePage = (total: number, entries: Array<Omit<FileEntry, 'start'>>) =>
  encodePage(total, entries, FILE_ENTRY_SIZE, encodeFileEntry);
export const decodeFilePage = (p: Buffer) => decodePage('LIST_FILES', p, FILE_ENTRY_SIZE, decodeFileEntry);

// ---- EVENT entry -------------------------------------------------------------------------------

export interface EventEntry {
  index: number;
  timeRaw: string;
  time: DeviceTime | null;
  code: EventCode | number;
  /** Unsigned as on the wire; use `eventArgSigned` for CLOCK_SET. */
  arg: number;
}

export function encodeEventEntry(e: Omit<EventEntry, 'time'>): Buffer {
  const b = Buffer.alloc(EVENT_ENTRY_SIZE);
  b.writeUInt32LE(e.index >>> 0, 0);
  b.write(e.timeRaw.padEnd(14, '0').slice(0, 14), 4, 'latin1');
  b[18] = e.code;
  b.writeUInt32LE(e.arg >>> 0, 20);
  return b;
}

export function decodeEventEntry(b: Buffer): EventEntry {
  const timeRaw = readTimeString(b, 4);
  return { index: b.readUInt32LE(0), timeRaw, time: parseDeviceTime(timeRaw), code: b[18]!, arg: b.readUInt32LE(20) };
}

/** CLOCK_SET carries signed seconds (i32). */
export const eventArgSigned = (e: EventEntry) => e.arg | 0;

export const encodeEventPage = (total: number, entries: Array<Omit<EventEntry, 'time'>>) =>
  encodePage(total, entries, EVENT_ENTRY_SIZE, encodeEventEntry);
export const decodeEventPage = (p: Buffer) => decodePage('GET_EVENTS', p, EVENT_ENTRY_SIZE, decodeEventEntry);

// ---- ENTER_MSC ---------------------------------------------------------------------------------

export interface MscAnswer {
  label: string;
  volumeId: number;
}
const MSC_SIZE = 16;

export function encodeMsc(m: MscAnswer): Buffer {
  if (m.label.length > 11) throw new EncodeError('label', 'longer than 11 characters');
  const b = Buffer.alloc(MSC_SIZE);
  writeAscii(b, 0, 12, m.label, 'label');
  b.writeUInt32LE(m.volumeId >>> 0, 12);
  return b;
}

export function decodeMsc(p: Buffer): MscAnswer {
  expectLength('ENTER_MSC', p, MSC_SIZE);
  return { label: readAscii(p, 0, 12), volumeId: p.readUInt32LE(12) };
}
