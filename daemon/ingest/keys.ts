import { createPublicKey, createHash, verify as cryptoVerify } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
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

const publicKeyPem = (pub: Uint8Array) => pem('PUBLIC KEY', Buffer.concat([SPKI_PREFIX, Buffer.from(pub)]));

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

/** A dock key file the daemon must not use (its mode or owner lets someone else read or swap it). */
export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/**
 * Refuse a private key that anyone but the daemon's user could read or replace: a file (not a link) owned by
 * `uid`, with no group or other permission bits, in a folder no group or other may write.
 */
export function assertPrivateKeySafe(path: string, uid: number | undefined = process.getuid?.()): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isFile()) throw new KeyFileError(`${path} is not a plain file: the dock's private key must be one (not a link)`);
  if (st.mode & 0o077) {
    throw new KeyFileError(`${path} is open to group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): the private key must be mode 0600 (chmod 600 ${path})`);
  }
  if (uid !== undefined && st.uid !== uid) throw new KeyFileError(`${path} is owned by uid ${st.uid}, not by this daemon's uid ${uid}: chown it to the service user`);
  const dir = lstatSync(join(path, '..'));
  if (dir.mode & 0o022) throw new KeyFileError(`${join(path, '..')} is writable by group or others (mode ${(dir.mode & 0o777).toString(8).padStart(4, '0')}): someone could swap the dock key (chmod 700)`);
}

export const keyPaths = (dataDir: string) => {
  const dir = join(dataDir, 'keys');
  return { dir, priv: join(dir, 'dock.key'), pub: join(dir, 'dock.pub.pem'), newPriv: join(dir, 'dock.key.new'), newPub: join(dir, 'dock.pub.pem.new') };
};

function readPrivateKey(path: string): DockKey {
  const der = derOf(readFileSync(path, 'utf8'), 'PRIVATE KEY');
  if (der.length !== 48 || !der.subarray(0, 16).equals(PKCS8_PREFIX)) throw new Error(`${path} is not an ed25519 private key`);
  return toDockKey(nacl.sign.keyPair.fromSeed(new Uint8Array(der.subarray(16))));
}

/** A new key pair, not yet written anywhere. */
export const generateDockKey = (): DockKey => toDockKey(nacl.sign.keyPair());

/** The PKCS#8 PEM of a dock key's private half. */
const privateKeyPem = (key: DockKey) => pem('PRIVATE KEY', Buffer.concat([PKCS8_PREFIX, Buffer.from(key.secretKey.subarray(0, 32))]));

/**
 * Write the next key beside the current one (`dock.key.new`, `dock.pub.pem.new`, each durably): step 1 of a key
 * rotation. Nothing uses these files until {@link finishKeyRotation} moves them over the current ones.
 */
export async function stageNextKey(ops: StorageOps, dataDir: string, key: DockKey): Promise<void> {
  const p = keyPaths(dataDir);
  await writeFileDurably(ops, p.newPriv, privateKeyPem(key), 0o600);
  await ops.chmod(p.newPriv, 0o600);
  await writeFileDurably(ops, p.newPub, key.publicPem, 0o644);
}

/**
 * Step 3 of a key rotation: move the staged key over the current one (private key first, then the public key,
 * then fsync of keys/). Only once the `key_rotation` manifest announcing it is durable: until then the old key
 * stays the dock's key.
 */
export async function finishKeyRotation(ops: StorageOps, dataDir: string): Promise<void> {
  const p = keyPaths(dataDir);
  if (existsSync(p.newPriv)) await ops.rename(p.newPriv, p.priv);
  if (existsSync(p.newPub)) await ops.rename(p.newPub, p.pub);
  await ops.fsyncDir(p.dir);
}

/**
 * At start, a rotation cut off between its steps: when a `key_rotation` manifest signed by the current key announces
 * the staged key, the rotation happened, so the switch is finished; otherwise it never happened and the staged key
 * is removed. Returns what was done.
 */
async function settleKeyRotation(ops: StorageOps, dataDir: string): Promise<'none' | 'finished' | 'discarded'> {
  const p = keyPaths(dataDir);
  if (!existsSync(p.newPriv) && !existsSync(p.newPub)) return 'none';
  if (!existsSync(p.newPriv)) {
    // Cut off between the two renames: the private key is already the new one; its public half follows.
    const current = readPrivateKey(p.priv);
    let same = false;
    try {
      same = Buffer.from(publicKeyFromPem(readFileSync(p.newPub, 'utf8'))).equals(Buffer.from(current.publicKey));
    } catch {
      same = false;
    }
    if (same) await finishKeyRotation(ops, dataDir);
    else await ops.unlink(p.newPub);
    await ops.fsyncDir(p.dir);
    return same ? 'finished' : 'discarded';
  }
  let staged: DockKey | null = null;
  try {
    if (existsSync(p.newPriv)) staged = readPrivateKey(p.newPriv);
  } catch {
    staged = null;
  }
  const current = existsSync(p.priv) ? readPrivateKey(p.priv) : null;
  if (staged && current && announced(dataDir, current, staged)) {
    assertPrivateKeySafe(p.newPriv);
    await writeFileDurably(ops, p.newPub, staged.publicPem, 0o644);
    await finishKeyRotation(ops, dataDir);
    return 'finished';
  }
  for (const f of [p.newPriv, p.newPub]) if (existsSync(f)) await ops.unlink(f);
  await ops.fsyncDir(p.dir);
  return 'discarded';
}

/** Whether manifests/ holds a `key_rotation` manifest, signed by `from`, that announces `to`. */
function announced(dataDir: string, from: DockKey, to: DockKey): boolean {
  const dir = join(dataDir, 'manifests');
  if (!existsSync(dir)) return false;
  const fromKey = createPublicKey(from.publicPem);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const bytes = readFileSync(join(dir, f));
    let m: { kind?: string; newPublicKeyPem?: string };
    try {
      m = JSON.parse(bytes.toString('utf8')) as typeof m;
    } catch {
      continue;
    }
    if (m.kind !== 'key_rotation' || typeof m.newPublicKeyPem !== 'string') continue;
    try {
      if (!Buffer.from(publicKeyFromPem(m.newPublicKeyPem)).equals(Buffer.from(to.publicKey))) continue;
    } catch {
      continue;
    }
    const sigPath = join(dir, `${f}.sig`);
    if (existsSync(sigPath) && cryptoVerify(null, bytes, fromKey, readFileSync(sigPath))) return true;
  }
  return false;
}

/**
 * Load `<dataDir>/keys/dock.key` (PKCS#8 PEM, 0600, owned by this process's user: anything else is refused with a
 * {@link KeyFileError}), or create the pair on first start. A key rotation cut off by a stop is settled first.
 */
export async function loadOrCreateDockKey(ops: StorageOps, dataDir: string): Promise<{ key: DockKey; created: boolean }> {
  const { dir, priv, pub } = keyPaths(dataDir);
  if (existsSync(priv)) {
    assertPrivateKeySafe(priv);
    await settleKeyRotation(ops, dataDir);
    const key = readPrivateKey(priv);
    if (!existsSync(pub)) await writeFileDurably(ops, pub, key.publicPem, 0o644);
    else if (!Buffer.from(publicKeyFromPem(readFileSync(pub, 'utf8'))).equals(Buffer.from(key.publicKey))) {
      throw new Error(`${pub} does not match ${priv}`);
    }
    return { key, created: false };
  }
  await mkdirDurably(ops, dir);
  await ops.chmod(dir, 0o700);
  const key = generateDockKey();
  await writeFileDurably(ops, priv, privateKeyPem(key), 0o600);
  await ops.chmod(priv, 0o600);
  await writeFileDurably(ops, pub, key.publicPem, 0o644);
  return { key, created: true };
}

/**
 * A `key_rotation` manifest that announces `key` and is signed by the key it retires (its `previousPublicKeyPem`):
 * what start-up recovery adopts when a rotation was cut off after its manifest was written (the dock key is then
 * already the new one).
 */
export function isRotationTo(bytes: Uint8Array, sig: Uint8Array, key: DockKey): boolean {
  try {
    const m = JSON.parse(Buffer.from(bytes).toString('utf8')) as { kind?: string; newPublicKeyPem?: string; previousPublicKeyPem?: string; keyFingerprint?: string };
    if (m.kind !== 'key_rotation' || typeof m.newPublicKeyPem !== 'string' || typeof m.previousPublicKeyPem !== 'string') return false;
    if (!Buffer.from(publicKeyFromPem(m.newPublicKeyPem)).equals(Buffer.from(key.publicKey))) return false;
    const prev = publicKeyFromPem(m.previousPublicKeyPem);
    if (m.keyFingerprint !== createHash('sha256').update(prev).digest('hex')) return false;
    return verifySignature(bytes, sig, prev);
  } catch {
    return false;
  }
}

export function verifySignature(data: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean {
  return sig.length === 64 && nacl.sign.detached.verify(data, sig, publicKey);
}
