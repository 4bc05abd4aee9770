import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, isLoopback, parseConfig } from '../../daemon/config.js';
import { consoleHostNames, hostOfHeader } from '../../daemon/console/hosts.js';
import { build, type Harness } from '../helpers/console.js';

/**
 * Attacks 4 and 5 of issue 13. DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1
 * can drive a browser against a loopback console; the console now answers 421 to any Host that is not its own.
 * Loopback: `127.evil.example` passed a regular expression as loopback, so a console listening off loopback
 * ran without TLS.
 */

let h: Harness;
beforeAll(async () => {
  h = await build({ consoleConfig: { allowedHosts: ['dock-07.station.example'] } });
});
afterAll(async () => h.close());

describe('attack: DNS rebinding (Host header)', () => {
  it('a foreign Host gets 421 on the API and the UI, before any login or route runs', async () => {
    for (const url of ['/api/health', '/api/login', '/api/users', '/', '/app.js', '/no/such/thing']) {
      for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', 'localhost.evil.example', '[::2]:8080']) {
        const res = await h.app.inject({ method: url === '/api/login' ? 'POST' : 'GET', url, headers: { host }, ...(url === '/api/login' ? { payload: { username: 'admin1', password: 'x' } } : {}) });
        expect(res.statusCode, `${host} ${url}`).toBe(421);
        expect(res.json().error).toMatch(/allowedHosts/);
      }
    }
    expect(h.ledger.audit.list({ limit: 10, action: 'login.failed' })).toEqual([]);
  });

  it('its own names answer: localhost, the loopback addresses, the configured host and console.allowedHosts', async () => {
    for (const host of ['localhost', 'localhost:8080', 'LOCALHOST.', '127.0.0.1:8080', '[::1]:8080', 'dock-07.station.example', 'Dock-07.Station.Example:443']) {
      expect((await h.app.inject({ method: 'GET', url: '/api/health', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('a request without a Host header, over a real socket, gets 421 too', async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as { port: number }).port;
    const status = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET /api/health HTTP/1.0\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('end', () => resolve(got.slice(0, 12)));
      s.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 421');
  });

  it('parses Host headers strictly', () => {
    expect(hostOfHeader('Example.COM:8080')).toBe('example.com');
    expect(hostOfHeader('[::1]:80')).toBe('::1');
    expect(hostOfHeader('[::1')).toBeNull();
    expect(hostOfHeader('a b')).toBeNull();
    expect(hostOfHeader('user@evil.example')).toBeNull();
    expect(hostOfHeader(undefined)).toBeNull();
    expect(consoleHostNames({ host: '192.0.2.10', allowedHosts: [] }).has('127.0.0.1')).toBe(false);
    expect(consoleHostNames({ host: '192.0.2.10', allowedHosts: [] }, ['192.0.2.10']).has('192.0.2.10')).toBe(true);
  });
});

describe('attack: a name that looks like loopback', () => {
  it('loopback is decided by parsing the address', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LocalHost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['127.evil.example', '127.0.0.1.nip.io', '0.0.0.0', '::', '192.168.1.10', '128.0.0.1', '::2', 'localhost.evil.example', '1270.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('a console on 127.evil.example without TLS does not start', () => {
    expect(() => parseConfig({ console: { host: '127.evil.example' } }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ console: { host: '127.evil.example' } }, {})).toThrow(/console\.host|TLS|tls/);
  });
});
