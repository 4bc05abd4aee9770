/**
 * Issue 13 item 11: the dock's keys. A private key others can read (or swap) is refused at start; `verify` can pin the
 * key instead of trusting the folder it checks; `key rotate` announces a new key in the chain, signed by the old one,
 * and switches over so that a stop at any point leaves the right key; verify follows the rotation.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../daemon/cli.js';
import { parseConfig, type Config } from '../../daemon/config.js';
import { ManifestChain } from '../../daemon/ingest/chain.js';
import { loadOrCreateDockKey } from '../../daemon/ingest/keys.js';
import { manifestBytes, sha256Hex, type Manifest } from '../../daemon/ingest/manifest.js';
import { realStorage, type StorageOps } from '../../daemon/ingest/storage.js';
import { manifestSigners, verifyDataDir } from '../../daemon/ingest/verify.js';
import { Ledger } from '../../daemon/ledger/index.js';
import { rotateDockKey } from '../../daemon/run.js';
import { at, fixture, iso, ZONE, type Fixture } from '../unit/retention/fixture.js';

const cliJs = resolve(__dirname, '../../dist/daemon/cli.js');
const T0 = at('2026-12-01T09:00:00+08:00');
let f: Fixture | null = null;
let daemon: ChildProcess | null = null;
const exited = (p: ChildProcess) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)));
afterEach(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    daemon.kill('SIGKILL');
    await exited(daemon);
  }
  daemon = null;
  f?.close();
  f = null;
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

/** The built CLI as a process (what systemd runs); killed after `ms` if still running (code -1). */
function proc(args: string[], ms: number): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [cliJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (c) => (out += c));
    p.stderr!.on('data', (c) => (err += c));
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, out, err });
    });
  });
}

function configFor(dataDir: string): { file: string; config: Config } {
  const raw = {
    dataDir,
    timezone: ZONE,
    dockId: 'dock-test',
    console: { host: '127.0.0.1', port: 20000 + Math.floor(Math.random() * 20000) },
    detect: { serialGlobs: [join(dataDir, '..', `dev-${process.pid}`, 'bwc-*')], usb: [], mountRoot: join(dataDir, '..', `media-${process.pid}`) },
    clock: { assumeSynced: true },
    log: { level: 'info' },
  };
  mkdirSync(raw.detect.mountRoot, { recursive: true });
  const file = join(dataDir, '..', `config-${process.pid}-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(raw));
  return { file, config: parseConfig(raw, {}) };
}

const errorsOf = (r: { findings: { level: string; what: string }[] }) => r.findings.filter((x) => x.level === 'error').map((x) => x.what);
const keyFile = () => join(f!.dataDir, 'keys', 'dock.key');
const pubFile = () => join(f!.dataDir, 'keys', 'dock.pub.pem');

/** What an attacker with write access to the folder does: alter a manifest, then re-sign the whole chain with a key of their own. */
function resignWithOwnKey(dataDir: string, change: (m: Manifest) => void): string {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const dir = join(dataDir, 'manifests');
  const ms = readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .map((x) => JSON.parse(readFileSync(join(dir, x), 'utf8')) as Manifest);
  // Chain order: follow prevManifestSha256 from null.
  const bySha = new Map<string | null, Manifest>();
  for (const m of ms) bySha.set(m.prevManifestSha256, m);
  let prev: string | null = null;
  let first = true;
  const fp = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' }).subarray(12)).digest('hex');
  let oldPrev: string | null = null;
  for (let m = bySha.get(null); m; m = bySha.get(oldPrev)) {
    oldPrev = sha256Hex(manifestBytes(m));
    if (first) change(m);
    first = false;
    const next: Manifest = { ...m, prevManifestSha256: prev, keyFingerprint: fp };
    const bytes = manifestBytes(next);
    rmSync(join(dir, `${m.sessionId}.json`), { force: true });
    rmSync(join(dir, `${m.sessionId}.json.sig`), { force: true });
    writeFileSync(join(dir, `${m.sessionId}.json`), bytes);
    writeFileSync(join(dir, `${m.sessionId}.json.sig`), sign(null, bytes, privateKey));
    prev = sha256Hex(bytes);
  }
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  rmSync(join(dataDir, 'keys', 'dock.pub.pem'));
  writeFileSync(join(dataDir, 'keys', 'dock.pub.pem'), pem);
  return pem;
}

describe('the private key is refused at start when others could read or swap it', () => {
  it.each([
    ['readable by the group', 0o640, /mode 0640/],
    ['readable by others', 0o604, /mode 0604/],
  ])('a key %s: start exits 2 naming the file and the mode', async (_what, mode, message) => {
    f = await fixture(T0);
    chmodSync(keyFile(), mode);
    const { file } = configFor(f.dataDir);
    const r = await proc(['start', '--config', file], 15_000);
    expect(r.code).toBe(2);
    expect(r.err).toContain(keyFile());
    expect(r.err).toMatch(message);
  });

  it('a key owned by another user: start exits 2 naming the owner', async () => {
    f = await fixture(T0);
    chownSync(keyFile(), 4242, 4242);
    const { file } = configFor(f.dataDir);
    const r = await proc(['start', '--config', file], 15_000);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/owned by uid 4242, not by this daemon's uid 0/);
  });

  it('loading the key refuses the same (every way a daemon starts)', async () => {
    f = await fixture(T0);
    chmodSync(keyFile(), 0o644);
    await expect(loadOrCreateDockKey(realStorage, f.dataDir)).rejects.toThrow(/open to group or others/);
  });
});

describe('verify pins the key instead of trusting the folder', () => {
  it('a chain re-signed with the attacker\'s own key passes without a pin, and fails with --pubkey or --fingerprint', async () => {
    f = await fixture(T0);
    await f.addRecording({ seq: 1, startMs: at('2026-11-01T10:00:00+08:00'), officerNo: '100001' });
    await f.addRecording({ seq: 2, startMs: at('2026-11-02T10:00:00+08:00') });
    const genuine = join(f.dataDir, '..', `genuine-${process.pid}.pub.pem`);
    writeFileSync(genuine, readFileSync(pubFile()));
    const rawFp = f.key.fingerprint;
    // What a recipient computes with openssl: SHA-256 of the SPKI DER.
    const spkiFp = createHash('sha256').update(execFileSync('openssl', ['pkey', '-pubin', '-in', genuine, '-outform', 'DER'])).digest('hex');
    expect((await cli(['verify', '--data', f.dataDir, '--pubkey', genuine])).code).toBe(0);
    expect((await cli(['verify', '--data', f.dataDir, '--fingerprint', spkiFp.toUpperCase().match(/../g)!.join(':')])).code).toBe(0);

    resignWithOwnKey(f.dataDir, (m) => {
      if (m.kind === 'docking') m.device.officerNo = '100009';
    });
    rmSync(join(f.dataDir, 'ledger.sqlite'), { force: true }); // and the ledger, so that only the key can tell
    rmSync(join(f.dataDir, 'ledger.sqlite-wal'), { force: true });
    rmSync(join(f.dataDir, 'ledger.sqlite-shm'), { force: true });
    expect((await verifyDataDir(f.dataDir)).ok).toBe(true); // the folder's own key vouches for the forgery

    for (const pin of [['--pubkey', genuine], ['--fingerprint', rawFp], ['--fingerprint', spkiFp]]) {
      const r = await cli(['verify', '--data', f.dataDir, ...pin]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/FAIL {2}the pinned key is no key of this chain/);
      // With the key itself pinned, every signature is checked against it, and every one fails.
      if (pin[0] === '--pubkey') expect(r.out).toMatch(/FAIL {2}manifests\/.*signature does not verify/);
    }
  });

  it('a bad pin is bad usage (exit 2)', async () => {
    f = await fixture(T0);
    expect((await cli(['verify', '--data', f.dataDir, '--fingerprint', 'abc'])).code).toBe(2);
    expect((await cli(['verify', '--data', f.dataDir, '--pubkey', join(f.dataDir, 'nope.pem')])).code).toBe(2);
  });
});

describe('key rotate', () => {
  it('announces the new key in a key_rotation manifest signed by the old key (openssl checks it), switches the files, and verify follows it', async () => {
    f = await fixture(T0);
    await f.addRecording({ seq: 1, startMs: at('2026-11-01T10:00:00+08:00') });
    const oldPem = join(f.dataDir, '..', `old-${process.pid}.pub.pem`);
    writeFileSync(oldPem, readFileSync(pubFile()));
    const oldFp = f.key.fingerprint;
    f.ledger.close(); // the fixture stands in for a stopped daemon
    const { file } = configFor(f.dataDir);

    const r = await cli(['key', 'rotate', '--config', file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const sessionId = /announced by manifest (\S+),/.exec(r.out)![1]!;
    const m = JSON.parse(readFileSync(join(f.dataDir, 'manifests', `${sessionId}.json`), 'utf8')) as Manifest;
    expect(m.kind).toBe('key_rotation');
    expect(m.keyFingerprint).toBe(oldFp);
    if (m.kind !== 'key_rotation') throw new Error('not a rotation');
    expect(m.newPublicKeyPem).toBe(readFileSync(pubFile(), 'utf8'));
    expect(m.newPublicKeyPem).not.toBe(readFileSync(oldPem, 'utf8'));
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', oldPem, '-rawin', '-in', join(f.dataDir, 'manifests', `${sessionId}.json`), '-sigfile', join(f.dataDir, 'manifests', `${sessionId}.json.sig`)], { encoding: 'utf8' });
    expect(out).toMatch(/Signature Verified Successfully/);
    expect(readdirSync(join(f.dataDir, 'keys')).sort()).toEqual(['dock.key', 'dock.pub.pem']);

    // Verify follows the rotation, from the folder's (new) key and from the old key pinned.
    expect((await cli(['verify', '--data', f.dataDir])).code).toBe(0);
    expect((await cli(['verify', '--data', f.dataDir, '--pubkey', oldPem])).code).toBe(0);
    // The new key has signed nothing yet: pinning it cannot vouch for what came before.
    const early = await cli(['verify', '--data', f.dataDir, '--pubkey', pubFile()]);
    expect(early.code).toBe(1);
    expect(early.out).toMatch(/the pinned key .* has signed no manifest of this chain yet/);

    // The daemon signs the next manifest with the new key; now either key pins the whole chain.
    const ledger = Ledger.open(join(f.dataDir, 'ledger.sqlite'), iso);
    const { key } = await loadOrCreateDockKey(realStorage, f.dataDir);
    expect(key.fingerprint).not.toBe(oldFp);
    const chain = new ManifestChain(f.dataDir, ledger, realStorage, key);
    await chain.append({ kind: 'purge', dockId: 'dock-test', sessionId: 'purge-after-rotation', createdAt: iso(T0), tombstones: [] }, 'dock', () => undefined);
    ledger.close();
    expect((await cli(['verify', '--data', f.dataDir, '--pubkey', pubFile()])).code).toBe(0);
    const both = await cli(['verify', '--data', f.dataDir, '--pubkey', oldPem]);
    expect(both.out).toMatch(/^OK: 3 manifests \(pinned key\)/m);
    // Who ships a manifest with its key (export, archive disc) finds the key that signed it.
    const signers = manifestSigners(f.dataDir);
    expect(signers.get(sessionId)).toBe(readFileSync(oldPem, 'utf8'));
    expect(signers.get('purge-after-rotation')).toBe(readFileSync(pubFile(), 'utf8'));
  });

  it('a chain that goes on signing with the old key after a rotation is refused by verify', async () => {
    f = await fixture(T0);
    await f.addRecording({ seq: 1, startMs: at('2026-11-01T10:00:00+08:00') });
    const oldKey = f.key;
    f.ledger.close();
    const { config } = configFor(f.dataDir);
    await rotateDockKey(config);
    const ledger = Ledger.open(join(f.dataDir, 'ledger.sqlite'), iso);
    // The stolen old key signs one more manifest in the chain.
    await new ManifestChain(f.dataDir, ledger, realStorage, oldKey).append({ kind: 'purge', dockId: 'dock-test', sessionId: 'forged', createdAt: iso(T0), tombstones: [] }, 'dock', () => undefined);
    ledger.close();
    const report = await verifyDataDir(f.dataDir);
    expect(errorsOf(report).join('\n')).toMatch(/manifests\/forged\.json: signature does not verify/);
  });

  it('is refused while the daemon runs (it holds the data dir), and works once it has stopped', async () => {
    f = await fixture(T0);
    f.ledger.close();
    const { file } = configFor(f.dataDir);
    daemon = spawn(process.execPath, [cliJs, 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    daemon.stdout!.on('data', (c) => (out += c));
    daemon.stderr!.on('data', (c) => (out += c));
    const deadline = Date.now() + 30_000;
    while (!out.includes('console listening')) {
      if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`daemon did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = readFileSync(pubFile(), 'utf8');
    const r = await cli(['key', 'rotate', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/in use by another bwc-dock process/);
    expect(readFileSync(pubFile(), 'utf8')).toBe(before);
    expect(existsSync(join(f.dataDir, 'keys', 'dock.key.new'))).toBe(false);

    daemon.kill('SIGTERM');
    await exited(daemon);
    expect({ code: daemon.exitCode, signal: daemon.signalCode }).toEqual({ code: 0, signal: null });
    expect((await cli(['key', 'rotate', '--config', file])).code).toBe(0);
    expect(readFileSync(pubFile(), 'utf8')).not.toBe(before);
  });

  /** Storage that fails one step, as a power cut there would leave it. */
  const failing = (when: (op: string, path: string) => boolean): StorageOps => ({
    ...realStorage,
    rename: async (a, b) => {
      if (when('rename', a)) throw Object.assign(new Error(`simulated stop before renaming ${a}`), { code: 'EIO' });
      return realStorage.rename(a, b);
    },
  });

  it('cut off before the rotation manifest is durable: the old key stays, the staged key is removed at the next start', async () => {
    f = await fixture(T0);
    await f.addRecording({ seq: 1, startMs: at('2026-11-01T10:00:00+08:00') });
    const oldFp = f.key.fingerprint;
    f.ledger.close();
    const { config } = configFor(f.dataDir);
    await expect(rotateDockKey(config, { ops: failing((op, p) => op === 'rename' && /key-rotation-.*\.json\.tmp/.test(p) && !p.includes('.sig')) })).rejects.toThrow(/simulated stop/);
    expect(existsSync(join(f.dataDir, 'keys', 'dock.key.new'))).toBe(false);
    const { key } = await loadOrCreateDockKey(realStorage, f.dataDir);
    expect(key.fingerprint).toBe(oldFp);
    expect((await verifyDataDir(f.dataDir)).ok).toBe(true);
  });

  it('cut off after the rotation manifest is durable, before the switch: the next start finishes the switch', async () => {
    f = await fixture(T0);
    await f.addRecording({ seq: 1, startMs: at('2026-11-01T10:00:00+08:00') });
    const oldFp = f.key.fingerprint;
    f.ledger.close();
    const { config } = configFor(f.dataDir);
    await expect(rotateDockKey(config, { ops: failing((op, p) => op === 'rename' && p.endsWith('dock.key.new')) })).rejects.toThrow(/simulated stop/);
    expect(existsSync(join(f.dataDir, 'keys', 'dock.key.new'))).toBe(true);
    const { key } = await loadOrCreateDockKey(realStorage, f.dataDir);
    expect(key.fingerprint).not.toBe(oldFp);
    expect(readdirSync(join(f.dataDir, 'keys')).sort()).toEqual(['dock.key', 'dock.pub.pem']);
    const ledger = Ledger.open(join(f.dataDir, 'ledger.sqlite'), iso);
    await new ManifestChain(f.dataDir, ledger, realStorage, key).append({ kind: 'purge', dockId: 'dock-test', sessionId: 'after', createdAt: iso(T0), tombstones: [] }, 'dock', () => undefined);
    ledger.close();
    const report = await verifyDataDir(f.dataDir);
    expect(errorsOf(report)).toEqual([]);
  });
});
