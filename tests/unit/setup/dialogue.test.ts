import { describe, expect, it } from 'vitest';
import { checkAddress, checkDataDir, checkDockId, checkRecorderPassword, checkTimezone } from '../../../daemon/setup/dialogue.js';
import { SetupError } from '../../../daemon/setup/errors.js';

/** The answers of the first-start dialogue, each checked alone (the dialogue itself runs in tests/integration/appliance/setup.test.ts). */
describe('setup answers', () => {
  it('a time zone is one Intl knows, kept in its canonical spelling', () => {
    expect(checkTimezone('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(checkTimezone('asia/shanghai')).toBe('Asia/Shanghai');
    expect(checkTimezone('UTC')).toBe('UTC');
    for (const bad of ['', 'Mars/Olympus', 'Asia/Shang hai', 'GMT+25']) expect(() => checkTimezone(bad), bad).toThrow(SetupError);
  });

  it('an address is host:port, [v6]:port or a host alone (the default port)', () => {
    expect(checkAddress('0.0.0.0:8443', 1)).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(checkAddress('192.168.1.20', 8080)).toEqual({ host: '192.168.1.20', port: 8080 });
    expect(checkAddress('[::1]:9000', 1)).toEqual({ host: '::1', port: 9000 });
    expect(checkAddress('dock-01.local:443', 1)).toEqual({ host: 'dock-01.local', port: 443 });
    for (const bad of ['', '0.0.0.0:0', '0.0.0.0:70000', '300.1.1.1:80', '[zz]:80', 'a b:80', '::1:80', 'host:port'])
      expect(() => checkAddress(bad, 8443), bad).toThrow(SetupError);
  });

  it("a dock id fits the config's pattern, the recorders' password is 6 digits, the data folder is absolute", () => {
    expect(checkDockId('dock-01.a_b')).toBe('dock-01.a_b');
    for (const bad of ['', 'dock 01', 'dock/01', 'x'.repeat(65), '采集站']) expect(() => checkDockId(bad), bad).toThrow(SetupError);
    expect(checkRecorderPassword('012345')).toBe('012345');
    for (const bad of ['12345', '1234567', 'abcdef', ' 12345']) expect(() => checkRecorderPassword(bad), bad).toThrow(SetupError);
    expect(checkDataDir('/var/lib/bwc-dock/')).toBe('/var/lib/bwc-dock');
    expect(() => checkDataDir('data')).toThrow(/absolute/);
    expect(() => checkDataDir('/etc/hostname')).toThrow(/not a folder/);
  });
});
