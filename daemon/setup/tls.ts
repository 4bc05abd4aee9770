import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { SetupError } from './errors.js';

/** The console's certificate and key as they will be written (PEM), with what the users check in the browser. */
export interface ConsoleCert {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate (DER), as browsers show it: upper-case hex pairs joined by colons. */
  fingerprint: string;
  validTo: Date;
  /** The DNS names of its subjectAltName (no wildcards): the names the console should answer to. */
  dnsNames: string[];
  selfSigned: boolean;
}

/** The first certificate of a PEM file (a leaf followed by its chain), checked to be one. */
function firstCertificate(pem: string, what: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new SetupError('tls_unreadable', `${what} 不是 PEM 证书 / is not a PEM certificate`, 'tls.cert');
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new SetupError('tls_unreadable', `${what} 无法解析 / cannot be parsed: ${(e as Error).message}`, 'tls.cert');
  }
}

/** `DNS:a, IP Address:1.2.3.4` → the DNS names, without wildcards (a Host header never carries one). */
const dnsNamesOf = (cert: X509Certificate) =>
  (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase())
    .filter((n) => /^[a-z0-9.-]{1,253}$/.test(n));

function described(cert: X509Certificate, certPem: string, keyPem: string, selfSigned: boolean): ConsoleCert {
  return { certPem, keyPem, fingerprint: cert.fingerprint256, validTo: new Date(cert.validTo), dnsNames: dnsNamesOf(cert), selfSigned };
}

/** Read the agency's certificate file: a PEM certificate (with its chain) valid now. */
export function readAgencyCertificate(file: string, now: Date = new Date()): { pem: string; cert: X509Certificate } {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SetupError('tls_unreadable', `无法读取 / cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'tls.cert');
  }
  const cert = firstCertificate(pem, file);
  if (new Date(cert.validTo) <= now) throw new SetupError('tls_expired', `证书已于 ${cert.validTo} 过期 / the certificate expired on ${cert.validTo}`, 'tls.cert');
  if (new Date(cert.validFrom) > now) throw new SetupError('tls_expired', `证书自 ${cert.validFrom} 起才生效 / the certificate is not valid before ${cert.validFrom}`, 'tls.cert');
  return { pem, cert };
}

/** Read the agency's private key file: a PEM key the daemon can use without a passphrase. */
export function readAgencyKey(file: string): { pem: string; key: KeyObject } {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SetupError('tls_unreadable', `无法读取 / cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'tls.key');
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new SetupError('tls_unreadable', `${file} 不是 PEM 私钥 / is not a PEM private key`, 'tls.key');
  try {
    return { pem, key: createPrivateKey(pem) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED/.test(pem)) {
      throw new SetupError(
        'tls_unreadable',
        `${file} 有口令保护，采集站无法在启动时输入口令 / is protected by a passphrase, which the dock cannot type at start: export it without one (openssl pkey -in KEY -out NEW)`,
        'tls.key',
      );
    }
    throw new SetupError('tls_unreadable', `${file} 无法解析 / cannot be parsed: ${(e as Error).message}`, 'tls.key');
  }
}

/** The agency's certificate and key, held together: the key must be the certificate's, and Node's TLS must accept the pair. */
export function agencyCertificate(cert: { pem: string; cert: X509Certificate }, key: { pem: string; key: KeyObject }): ConsoleCert {
  if (!cert.cert.checkPrivateKey(key.key)) throw new SetupError('tls_mismatch', '私钥与证书不匹配 / the key is not the key of this certificate', 'tls.key');
  try {
    createSecureContext({ cert: cert.pem, key: key.pem });
  } catch (e) {
    throw new SetupError('tls_mismatch', `TLS 不接受这对证书和私钥 / TLS refuses this certificate and key: ${(e as Error).message}`, 'tls.key');
  }
  return described(cert.cert, cert.pem, key.pem, false);
}

/** The names and addresses a self-signed certificate of the console names: loopback, the host name, and the address(es) it listens on. */
export function selfSignedNames(host: string, hostName: string): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost']);
  const name = hostName.toLowerCase();
  if (/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(name)) dns.add(name);
  const ips = new Set(['127.0.0.1', '::1']);
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (bare === '0.0.0.0' || bare === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal && !a.address.startsWith('fe80:')) ips.add(a.address);
  } else if (isIP(bare)) ips.add(bare);
  else dns.add(bare.toLowerCase());
  return { dns: [...dns], ips: [...ips] };
}

const run = (cmd: string, args: string[]) =>
  new Promise<void>((resolve, reject) => execFile(cmd, args, { timeout: 60_000 }, (err, _out, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve())));

/**
 * A self-signed certificate for the console, made by openssl in a private temp folder: an EC P-256 key, valid for
 * `days`, naming `names` (subjectAltName), for a TLS server only (not a CA). Its fingerprint is what the users
 * check the first time their browser warns about it.
 */
export async function selfSignedCertificate(a: { dockId: string; names: { dns: string[]; ips: string[] }; days?: number; openssl?: string }): Promise<ConsoleCert> {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-setup-tls-'));
  try {
    const alt = [...a.names.dns.map((n, i) => `DNS.${i + 1} = ${n}`), ...a.names.ips.map((ip, i) => `IP.${i + 1} = ${ip}`)];
    const cnf = [
      '[req]',
      'distinguished_name = dn',
      'x509_extensions = ext',
      'prompt = no',
      '[dn]',
      `CN = ${a.dockId}`,
      'O = bwc-dock',
      '[ext]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectKeyIdentifier = hash',
      'subjectAltName = @alt',
      '[alt]',
      ...alt,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'req.cnf'), cnf, { mode: 0o600 });
    const keyFile = join(dir, 'console.key');
    const certFile = join(dir, 'console.crt');
    // The key file exists (0600) before openssl writes into it: it is never readable by others, even for a moment.
    writeFileSync(keyFile, '', { mode: 0o600 });
    try {
      await run(a.openssl ?? 'openssl', [
        'req',
        '-x509',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-sha256',
        '-days',
        String(a.days ?? 3650),
        '-config',
        join(dir, 'req.cnf'),
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]);
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      const why =
        err.code === 'ENOENT'
          ? 'openssl 未安装 / openssl is not installed (apt-get install openssl)'
          : `openssl: ${
              String(err.stderr ?? err.message)
                .trim()
                .split('\n')[0]
            }`;
      throw new SetupError('openssl_failed', `无法生成自签名证书 / cannot make the self-signed certificate: ${why}`, 'tls');
    }
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new SetupError('openssl_failed', 'openssl made a certificate that does not match its key', 'tls');
    return described(cert, certPem, keyPem, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
