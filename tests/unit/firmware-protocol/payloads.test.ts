import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../firmware-protocol/codec/errors.js';
import {
  decodeEventEntry,
  decodeEventPage,
  decodeFileEntry,
  decodeFilePage,
  decodeHello,
  decodeInfo,
  decodeLogin,
  decodeMsc,
  decodePageRequest,
  decodeStatus,
  decodeTime,
  encodeEventEntry,
  encodeEventPage,
  encodeFileEntry,
  encodeFilePage,
  encodeHello,
  encodeInfo,
  encodeLogin,
  encodeMsc,
  encodePageRequest,
  encodeStatus,
  encodeTime,
  eventArgSigned,
} from '../../../firmware-protocol/codec/payloads.js';

const info = { serial: 'A000001', userNo: '012345', userName: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局' };
const file = {
  name: 'DCIM/100BWC/A000001_012345_20240131235959_0007_IMP.MP4',
  size: 5_000_000_000n,
  startRaw: '20240131235959',
  durationMs: 600_000,
  seq: 7,
  flags: 0b1001,
  sha256: 'ab'.repeat(32),
};

describe('payload round trips', () => {
  it('HELLO', () => {
    const h = { proto: 1, idCode: 'ZFY01', serial: 'A000001', firmware: 'fw 2.3.4-build17', caps: 0x0f };
    const b = encodeHello(h);
    expect(b).toHaveLength(34);
    expect(decodeHello(b)).toEqual(h);
  });

  it('LOGIN', () => {
    const b = encodeLogin({ role: 1, password: '012345' });
    expect(b.toString('hex')).toBe('01303132333435');
    expect(decodeLogin(b)).toEqual({ role: 1, password: '012345' });
    expect(decodeLogin(Buffer.alloc(6))).toBeNull();
    expect(() => encodeLogin({ role: 0, password: '12345' })).toThrow(/password/);
  });

  it('INFO block with GBK names', () => {
    const b = encodeInfo(info);
    expect(b).toHaveLength(94);
    expect(b.subarray(15, 19).toString('hex')).toBe('d5c5c8fd'); // 张三 in GBK
    expect(decodeInfo(b)).toEqual(info);
  });

  it('INFO names that fill their field exactly have no NUL', () => {
    const long = { ...info, userName: '张'.repeat(16) + 'A', unitNo: '1234567890123' };
    expect(decodeInfo(encodeInfo(long))).toEqual(long);
  });

  it.each([
    [{ userName: '😀' }, 'userName'],
    [{ unitName: 'Straße' }, 'unitName'],
    [{ userName: '张'.repeat(17) }, 'userName'],
    [{ unitName: '濮阳市生态环境局濮阳市生态环境局濮' }, 'unitName'],
    [{ userNo: '01234567' }, 'userNo'],
    [{ unitNo: '12345678901234' }, 'unitNo'],
  ])('refuses %j naming the field', (bad, field) => {
    const err = (() => {
      try {
        encodeInfo({ ...info, ...bad });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EncodeError);
    expect(err).toMatchObject({ field, code: 'ENCODE' });
  });

  it('GET_TIME / SET_TIME with ms and a negative tz', () => {
    const t = { time: { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59 }, ms: 999, tz: -300 };
    const b = encodeTime(t);
    expect(b.subarray(0, 14).toString('latin1')).toBe('20240229235959');
    expect(b.readUInt16LE(14)).toBe(999);
    expect(b.readInt16LE(16)).toBe(-300);
    expect(decodeTime(b)).toEqual({ raw: '20240229235959', ...t });
  });

  it.each([
    [{ time: { year: 2023, month: 2, day: 29, hour: 0, minute: 0, second: 0 }, ms: 0, tz: 0 }, 'time'],
    [{ time: { year: 2024, month: 1, day: 1, hour: 24, minute: 0, second: 0 }, ms: 0, tz: 0 }, 'time'],
    [{ time: { year: 2024, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, ms: 1000, tz: 0 }, 'ms'],
    [{ time: { year: 2024, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, ms: 0, tz: 40000 }, 'tz'],
  ])('refuses a time %j naming the field', (t, field) => {
    expect(() => encodeTime(t)).toThrow(expect.objectContaining({ field }));
  });

  it('keeps an invalid time from a recorder raw, parsed as null', () => {
    const b = encodeTime({ time: { year: 2024, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, ms: 0, tz: 0 });
    b.write('20241341000000', 0, 'latin1');
    expect(decodeTime(b)).toMatchObject({ raw: '20241341000000', time: null });
  });

  it('GET_STATUS', () => {
    const s = { battery: 7, charging: false, recording: true, totalMiB: 65536, freeMiB: 1234, fileCount: 99 };
    expect(decodeStatus(encodeStatus(s))).toEqual(s);
  });

  it('page requests', () => {
    const b = encodePageRequest({ start: 70000, max: 31 });
    expect(b.toString('hex')).toBe('701101001f00');
    expect(decodePageRequest(b)).toEqual({ start: 70000, max: 31 });
    expect(decodePageRequest(Buffer.alloc(5))).toBeNull();
  });

  it('FILE entries and pages', () => {
    const b = encodeFileEntry(file);
    expect(b).toHaveLength(130);
    expect(decodeFileEntry(b)).toEqual({ ...file, start: { year: 2024, month: 1, day: 31, hour: 23, minute: 59, second: 59 } });
    const noHash = decodeFileEntry(encodeFileEntry({ ...file, sha256: null }));
    expect(noHash.sha256).toBeNull();
    const page = decodeFilePage(encodeFilePage(40, [file, { ...file, seq: 8 }]));
    expect(page.total).toBe(40);
    expect(page.entries.map((e) => e.seq)).toEqual([7, 8]);
    expect(() => decodeFilePage(encodeFilePage(1, [file]).subarray(0, 100))).toThrow(/LIST_FILES/);
    expect(() => encodeFileEntry({ ...file, name: 'x'.repeat(65) })).toThrow(expect.objectContaining({ field: 'name' }));
  });

  it('EVENT entries with a signed CLOCK_SET argument', () => {
    const e = { index: 12, timeRaw: '20240101080000', code: 0x07, arg: -3600 >>> 0 };
    const b = encodeEventEntry(e);
    expect(b).toHaveLength(24);
    const d = decodeEventEntry(b);
    expect(d).toMatchObject({ index: 12, timeRaw: '20240101080000', code: 7, arg: 4294963696 });
    expect(eventArgSigned(d)).toBe(-3600);
    const page = decodeEventPage(encodeEventPage(13, [e]));
    expect(page).toMatchObject({ total: 13, entries: [{ index: 12 }] });
  });

  it('ENTER_MSC', () => {
    expect(decodeMsc(encodeMsc({ label: 'BWCA000001', volumeId: 0xdeadbeef }))).toEqual({ label: 'BWCA000001', volumeId: 0xdeadbeef });
    expect(() => encodeMsc({ label: 'BWCA00000123', volumeId: 1 })).toThrow(expect.objectContaining({ field: 'label' }));
  });
});
