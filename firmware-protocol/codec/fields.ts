import iconv from 'iconv-lite';
import { EncodeError, BadResponseError } from './errors.js';

/** Fixed-size NUL-padded fields: a string that fills its field has no NUL. */
function trimNul(b: Buffer): Buffer {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

export function readAscii(buf: Buffer, off: number, size: number): string {
  return trimNul(buf.subarray(off, off + size)).toString('latin1');
}

export function writeAscii(buf: Buffer, off: number, size: number, value: string, field: string): void {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new EncodeError(field, 'must be printable ASCII');
  if (value.length > size) throw new EncodeError(field, `longer than ${size} bytes`);
  buf.fill(0, off, off + size);
  buf.write(value, off, 'latin1');
}

export function readGbk(buf: Buffer, off: number, size: number): string {
  return iconv.decode(trimNul(buf.subarray(off, off + size)), 'gbk');
}

/** Encode a person or unit name in GBK; refuse what does not encode or does not fit (never a '?'). */
export function encodeGbk(value: string, size: number, field: string): Buffer {
  const enc = iconv.encode(value, 'gbk');
  if (iconv.decode(enc, 'gbk') !== value) throw new EncodeError(field, 'has characters GBK cannot encode');
  if (enc.includes(0)) throw new EncodeError(field, 'must not contain NUL');
  if (enc.length > size) throw new EncodeError(field, `is ${enc.length} bytes in GBK, more than ${size}`);
  return enc;
}

export function writeGbk(buf: Buffer, off: number, size: number, value: string, field: string): void {
  const enc = encodeGbk(value, size, field);
  buf.fill(0, off, off + size);
  enc.copy(buf, off);
}

/** A recorder wall-clock time: the fields of `YYYYMMDDhhmmss`, no zone attached. */
export interface DeviceTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function isValidDeviceTime(t: DeviceTime): boolean {
  const { year, month, day, hour, minute, second } = t;
  if (![year, month, day, hour, minute, second].every(Number.isInteger)) return false;
  if (year < 0 || year > 9999 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || hour < 0 || minute < 0 || second < 0) return false;
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day >= 1 && day <= dim;
}

export function parseDeviceTime(s: string): DeviceTime | null {
  if (!/^\d{14}$/.test(s)) return null;
  const t: DeviceTime = {
    year: +s.slice(0, 4),
    month: +s.slice(4, 6),
    day: +s.slice(6, 8),
    hour: +s.slice(8, 10),
    minute: +s.slice(10, 12),
    second: +s.slice(12, 14),
  };
  return isValidDeviceTime(t) ? t : null;
}

export function formatDeviceTime(t: DeviceTime): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.year, 4)}${p(t.month)}${p(t.day)}${p(t.hour)}${p(t.minute)}${p(t.second)}`;
}

/** The 14 ASCII time bytes as the raw string (it may be invalid: the caller decides what that means). */
export function readTimeString(buf: Buffer, off: number): string {
  return buf.subarray(off, off + 14).toString('latin1');
}

export function writeTime(buf: Buffer, off: number, t: DeviceTime, field: string): void {
  if (!isValidDeviceTime(t)) throw new EncodeError(field, 'is not a valid date and time');
  buf.write(formatDeviceTime(t), off, 'latin1');
}

/** Wall-clock fields of an instant seen from a zone `tzMinutes` east of UTC. */
export function deviceTimeFromEpoch(epochMs: number, tzMinutes: number): DeviceTime {
  const d = new Date(epochMs + tzMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The instant a recorder's wall-clock time denotes, given its zone offset. */
export function epochFromDeviceTime(t: DeviceTime, tzMinutes: number): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - tzMinutes * 60_000;
}

export function expectLength(what: string, payload: Buffer, size: number): void {
  if (payload.length !== size) throw new BadResponseError(`${what}: payload of ${payload.length} bytes, expected ${size}`);
}
