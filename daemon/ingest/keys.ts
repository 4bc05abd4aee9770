import { createPublicKey, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { mkdirDurably, writeFileDurably, type StorageOps } from './storage.js';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

function derOf(text: string, label: string): Buffer {
  const m = text.match(new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`));
  if (!m) throw new Error(`not a ${label} PEM`);
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

export const publicKeyPem = (pub: Uint8Array) => pem('PUBLIC KEY', Buffer.concat([SPKI_PREFIX, Buffer.from(pub)]));

/** Raw 32-byte ed25519 public key from an SPKI PEM (any valid encoding, via Node's parser). */
export function publicKeyFromPem(text: string): Uint8Array {
  const der = createPublicKey(text).export({ type: 'spki', format: 'der' });
  if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_PREFIX)) throw new Error('not an ed25519 public key');
  return new Uint8Array(der.subarray(12));
}

export interface DockKey {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  publicPem: string;
  /** SHA-256 of the raw public key, hex: a short name for the key in manifests. */
  fingerprint: string;
  sign(data: Uint8Array): Uint8Array;
}

function toDockKey(kp: nacl.SignKeyPair): DockKey {
  return {
    publicKey: kp.publicKey,
    secretKey: kp.secretKey,
    publicPem: publicKeyPem(kp.publicKey),
    fingerprint: createHash('sha256').update(kp.publicKey).digest('hex'),
    sign: (d) => nacl.sign.detached(d, kp.secretKey),
  };
}

/** Load `<dataDir>/keys/dock.key` (PKCS#8 PEM, 0600), or create the pair on first start. */
export async function loadOrCreateDockKey(ops: StorageOps, dataDir: string): Promise<{ key: DockKey; created: boolean }> {
  const dir = join(dataDir, 'keys');
  const priv = join(dir, 'dock.key');
  const pub = join(dir, 'dock.pub.pem');
  if (existsSync(priv)) {
    const der = derOf(readFileSync(priv, 'utf8'), 'PRIVATE KEY');
    if (der.length !== 48 || !der.subarray(0, 16).equals(PKCS8_PREFIX)) throw new Error(`${priv} is not an ed25519 private key`);
    const key = toDockKey(nacl.sign.keyPair.fromSeed(new Uint8Array(der.subarray(16))));
    if (!existsSync(pub)) await writeFileDurably(ops, pub, key.publicPem, 0o644);
    else if (!Buffer.from(publicKeyFromPem(readFileSync(pub, 'utf8'))).equals(Buffer.from(key.publicKey))) {
      throw new Error(`${pub} does not match ${priv}`);
    }
    return { key, created: false };
  }
  await mkdirDurably(ops, dir);
  await ops.chmod(dir, 0o700);
  const kp = nacl.sign.keyPair();
  const seed = Buffer.from(kp.secretKey.subarray(0, 32));
  await writeFileDurably(ops, priv, pem('PRIVATE KEY', Buffer.concat([PKCS8_PREFIX, seed])), 0o600);
  await ops.chmod(priv, 0o600);
  const key = toDockKey(kp);
  await writeFileDurably(ops, pub, key.publicPem, 0o644);
  return { key, created: true };
}

export function verifySignature(data: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean {
  return sig.length === 64 && nacl.sign.detached.verify(data, sig, publicKey);
}
