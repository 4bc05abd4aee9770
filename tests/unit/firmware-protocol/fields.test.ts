import { describe, expect, it } from 'vitest';
import {
  deviceTimeFromEpoch,
  epochFromDeviceTime,
  formatDeviceTime,
  parseDeviceTime,
} from '../../../firmware-protocol/codec/fields.js';

describe('recorder time fields', () => {
  it.each(['20240229120000', '19991231235959', '20000101000000'])('parses and formats %s', (s) => {
    expect(formatDeviceTime(parseDeviceTime(s)!)).toBe(s);
  });

  it.each(['20230229120000', '20241301000000', '20240101246000', '2024010112000', 'abcdefghijklmn', '20240431000000'])('refuses %s', (s) => {
    expect(parseDeviceTime(s)).toBeNull();
  });

  it('converts between an instant and wall-clock fields in a zone', () => {
    const epoch = Date.UTC(2023, 11, 31, 20, 30, 0);
    const t = deviceTimeFromEpoch(epoch, 480);
    expect(formatDeviceTime(t)).toBe('20240101043000');
    expect(epochFromDeviceTime(t, 480)).toBe(epoch);
    expect(formatDeviceTime(deviceTimeFromEpoch(epoch, -600))).toBe('20231231103000');
  });
});
