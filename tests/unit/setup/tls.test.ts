import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agencyCertificate, readAgencyCertificate, readAgencyKey, selfSignedCertificate, selfSignedNames } from '../../../daemon/setup/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'bwc-tls-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the console's certificate", () => {
  it('self-signed by openssl: a TLS server certificate (not a CA) for the names asked, with the key that matches, and the fingerprint a browser shows', async () => {
    const c = await selfSignedCertificate({ dockId: 'dock-07', names: { dns: ['localhost', 'dock-07.local'], ips: ['127.0.0.1', '::1', '10.1.2.3'] } });
    const x = new X509Certificate(c.certPem);
    expect(x.subject).toContain('CN=dock-07');
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe('DNS:localhost, DNS:dock-07.local, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.1.2.3');
    expect(x.checkHost('dock-07.local')).toBe('dock-07.local');
    expect(x.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(c.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(c.fingerprint).toBe(x.fingerprint256);
    expect(c.validTo.getTime() - Date.now()).toBeGreaterThan(9 * 365 * 86_400_000);
    expect(c.dnsNames).toEqual(['localhost', 'dock-07.local']);
    expect(x.checkPrivateKey(readAgencyKey(await writeKey(c.keyPem)).key)).toBe(true);
  });

  it('without openssl it says so', async () => {
    await expect(selfSignedCertificate({ dockId: 'd', names: { dns: ['localhost'], ips: [] }, openssl: '/nonexistent/openssl' })).rejects.toMatchObject({
      code: 'openssl_failed',
      message: expect.stringContaining('not installed'),
    });
  });

  it('names: loopback always, the host name, and the address listened on (every interface for 0.0.0.0)', () => {
    expect(selfSignedNames('192.168.7.2', 'Dock-07')).toEqual({ dns: ['localhost', 'dock-07'], ips: ['127.0.0.1', '::1', '192.168.7.2'] });
    expect(selfSignedNames('dock.example', 'bad_name!')).toEqual({ dns: ['localhost', 'dock.example'], ips: ['127.0.0.1', '::1'] });
    expect(selfSignedNames('0.0.0.0', 'h').ips.length).toBeGreaterThanOrEqual(2);
  });

  it("the agency's: refused before it is valid, and with another certificate's key", () => {
    const make = (name: string, faketime?: string) => {
      const args = [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=x',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.crt`),
      ];
      execFileSync(faketime ? 'faketime' : 'openssl', faketime ? ['-f', faketime, 'openssl', ...args] : args, { stdio: 'ignore' });
      return { crt: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    };
    const future = make('future', '+2d');
    expect(() => readAgencyCertificate(future.crt)).toThrow(expect.objectContaining({ code: 'tls_expired', message: expect.stringContaining('not valid before') }));
    const a = make('a');
    const b = make('b');
    expect(agencyCertificate(readAgencyCertificate(a.crt), readAgencyKey(a.key)).fingerprint).toBe(new X509Certificate(readAgencyCertificate(a.crt).pem).fingerprint256);
    expect(() => agencyCertificate(readAgencyCertificate(a.crt), readAgencyKey(b.key))).toThrow(expect.objectContaining({ code: 'tls_mismatch' }));
    expect(() => readAgencyKey(join(dir, 'absent.key'))).toThrow(expect.objectContaining({ code: 'tls_unreadable', message: expect.stringContaining('ENOENT') }));
  });
});

async function writeKey(pem: string): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const f = join(dir, `k-${Math.random()}.pem`);
  writeFileSync(f, pem, { mode: 0o600 });
  return f;
}
