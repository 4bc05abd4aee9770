import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../daemon/config.js';

const env = { TZ: 'Asia/Shanghai' } as NodeJS.ProcessEnv;

describe('config', () => {
  it('fills the contract defaults', () => {
    const c = parseConfig({}, env);
    expect(c.dataDir).toBe('/var/lib/bwc-dock');
    expect(c.console).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(c.detect.serialGlobs).toEqual(['/dev/serial/by-id/usb-*', '/dev/ttyACM*']);
    expect(c.detect.usb).toEqual([{ vid: '0x1209', pid: '0x0001' }]);
    expect(c.detect.mountRoot).toBe('/run/bwc-dock/media');
    expect(c.recorders.adminPassword).toBe('000000');
    expect(c.offload.eraseAfterCommit).toBe(true);
    expect(c.retention.months).toBe(10);
    expect(c.clock.assumeSynced).toBe(false);
    expect(c.timezone).toBe('Asia/Shanghai');
    expect(c.dockId).toMatch(/^[A-Za-z0-9._-]+$/);
  });

  it.each([
    [{ bogus: 1 }, 'bogus'],
    [{ console: { port: 70000 } }, 'console.port'],
    [{ detect: { usb: [{ vid: '1209', pid: '0x0001' }] } }, 'detect.usb[0].vid'],
    [{ recorders: { adminPassword: '12345' } }, 'recorders.adminPassword'],
    [{ timezone: 'Mars/Olympus' }, 'timezone'],
    [{ console: { host: '0.0.0.0' } }, 'console.host'],
    [{ retention: { months: 0 } }, 'retention.months'],
    [{ clock: { assumeSynced: 'yes' } }, 'clock.assumeSynced'],
    // Never read (the same-day rule is policy/offload-deadline.ts), so removed: a config still setting it is told.
    [{ offload: { sameDayOnly: true } }, 'offload.sameDayOnly'],
  ])('refuses %j naming %s', (raw, key) => {
    try {
      parseConfig(raw, env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).key).toBe(key);
      expect((e as Error).message).toContain(key);
    }
  });

  it('allows a non-loopback host once TLS is configured', () => {
    const c = parseConfig({ console: { host: '0.0.0.0', tls: { cert: '/c', key: '/k' } } }, env);
    expect(c.console.host).toBe('0.0.0.0');
  });
});
