import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateDockKey } from '../../../daemon/ingest/keys.js';
import { manifestPaths, writeSignedManifest, type DockingManifest } from '../../../daemon/ingest/manifest.js';
import { realStorage } from '../../../daemon/ingest/storage.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-man-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (id: string): DockingManifest => ({
  version: 1,
  kind: 'docking',
  dockId: 'dock-1',
  sessionId: id,
  createdAt: '2026-11-24T21:00:00.000+08:00',
  prevManifestSha256: null,
  auditHead: '0'.repeat(64),
  keyFingerprint: 'x',
  result: 'ok',
  device: { serial: 'A000001', idCode: 'ZFY01', officerNo: '123456', officerName: '张三', unitNo: 'U1' },
  clock: { deviceTime: null, dockTime: null, driftMs: 0, dockSynced: true, clockSet: true },
  files: [],
});

describe('dock key and manifest signatures', () => {
  it('creates the key once, private 0600, public SPKI PEM, and reloads it', async () => {
    const a = await loadOrCreateDockKey(realStorage, dir);
    expect(a.created).toBe(true);
    expect(statSync(join(dir, 'keys', 'dock.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'keys', 'dock.pub.pem'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const b = await loadOrCreateDockKey(realStorage, dir);
    expect(b.created).toBe(false);
    expect(Buffer.from(b.key.publicKey)).toEqual(Buffer.from(a.key.publicKey));
  });

  it('writes a raw 64-byte signature that openssl pkeyutl accepts, and rejects once altered', async () => {
    const { key } = await loadOrCreateDockKey(realStorage, dir);
    await writeSignedManifest(realStorage, dir, key, manifest('S1'));
    const p = manifestPaths(dir, 'S1');
    expect(readFileSync(p.sig).length).toBe(64);
    const verify = () =>
      execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'keys', 'dock.pub.pem'), '-rawin', '-in', p.json, '-sigfile', p.sig], { encoding: 'utf8' });
    expect(verify()).toMatch(/Signature Verified Successfully/);
    const bytes = readFileSync(p.json);
    bytes[bytes.indexOf('"ok"') + 1] = 'O'.charCodeAt(0);
    rmSync(p.json, { force: true });
    writeFileSync(p.json, bytes);
    expect(verify).toThrow();
  });
});
