import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManifestChain } from '../../../daemon/ingest/chain.js';
import { loadOrCreateDockKey, type DockKey } from '../../../daemon/ingest/keys.js';
import type { DockingManifest } from '../../../daemon/ingest/manifest.js';
import { recover } from '../../../daemon/ingest/recovery.js';
import { realStorage, type StorageOps } from '../../../daemon/ingest/storage.js';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { Ledger } from '../../../daemon/ledger/index.js';
import { createLogger } from '../../../daemon/log.js';

let dir: string;
let ledger: Ledger;
let key: DockKey;
const log = createLogger({ level: 'silent' });
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-chain-'));
  for (const d of ['manifests', 'tmp', 'footage']) mkdirSync(join(dir, d));
  ledger = Ledger.open(join(dir, 'ledger.sqlite'), (ms) => new Date(ms).toISOString());
  key = (await loadOrCreateDockKey(realStorage, dir)).key;
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const m = (id: string): Omit<DockingManifest, 'prevManifestSha256' | 'auditHead' | 'keyFingerprint' | 'version'> => ({
  kind: 'docking',
  dockId: 'd',
  sessionId: id,
  createdAt: '2026-11-24T10:00:00.000+08:00',
  result: 'ok',
  device: { serial: 'A1', idCode: 'X', officerNo: null, officerName: null, unitNo: null },
  clock: { deviceTime: null, dockTime: null, driftMs: null, dockSynced: true, clockSet: false },
  files: [],
});

describe('manifest chain under write failures', () => {
  it('a manifest whose write fails is taken back: the next one extends the same head, no fork', async () => {
    let failNext = false;
    const ops: StorageOps = { ...realStorage, fsyncDir: async (p) => (failNext && p.endsWith('manifests') ? ((failNext = false), Promise.reject(new Error('EIO'))) : realStorage.fsyncDir(p)) };
    const chain = new ManifestChain(dir, ledger, ops, key);
    const a = await chain.append(m('S1'), 'dock', () => undefined);
    failNext = true;
    await expect(chain.append(m('S2'), 'dock', () => undefined)).rejects.toThrow('EIO');
    expect(existsSync(join(dir, 'manifests', 'S2.json'))).toBe(false);
    expect(existsSync(join(dir, 'manifests', 'S2.json.sig'))).toBe(false);
    await chain.append(m('S3'), 'dock', () => undefined);
    expect(ledger.manifests.get('S3')!.prevSha256).toBe(a);
    expect((await verifyDataDir(dir)).ok).toBe(true);
  });

  it('a ledger commit that fails takes the written files back too', async () => {
    const chain = new ManifestChain(dir, ledger, realStorage, key);
    await expect(
      chain.append(m('S1'), 'dock', () => {
        throw new Error('ledger full');
      }),
    ).rejects.toThrow('ledger full');
    expect(readdirSync(join(dir, 'manifests'))).toEqual([]);
    expect(ledger.manifests.head()).toBeNull();
  });
});

describe('start-up recovery', () => {
  it('moves a signature whose manifest never landed to quarantine, and verify is then clean', async () => {
    const chain = new ManifestChain(dir, ledger, realStorage, key);
    await chain.append(m('S1'), 'dock', () => undefined);
    writeFileSync(join(dir, 'manifests', 'S2.json.sig'), Buffer.alloc(64, 1));
    expect((await verifyDataDir(dir)).ok).toBe(false);
    await recover({ dataDir: dir, ledger, ops: realStorage, key, log, now: () => 1 });
    expect(existsSync(join(dir, 'quarantine', 'S2.json.sig'))).toBe(true);
    expect((await verifyDataDir(dir)).ok).toBe(true);
    expect(ledger.audit.list({ limit: 10 }).map((e) => e.action)).toContain('manifest.signature_quarantined');
  });

  it('adopts a manifest written before a crash cut off its ledger commit', async () => {
    const chain = new ManifestChain(dir, ledger, realStorage, key);
    await chain.append(m('S1'), 'dock', () => undefined);
    // Simulate the crash: the second manifest is on disk, the ledger never heard of it.
    const chain2 = new ManifestChain(dir, ledger, realStorage, key);
    await chain2.append(m('S2'), 'dock', () => undefined);
    ledger.rawForTests().prepare("DELETE FROM manifests WHERE session_id = 'S2'").run();
    await recover({ dataDir: dir, ledger, ops: realStorage, key, log, now: () => 1 });
    expect(ledger.manifests.head()!.sessionId).toBe('S2');
    expect((await verifyDataDir(dir)).ok).toBe(true);
  });

  it('records a file linked (at a fallback name) just before a crash, with the finding its flags call for', async () => {
    ledger.sessions.create('S9', '/dev/x', 1);
    const stored = 'footage/A1/2026-11/7-abcdef012345/A1_000001_20261124080000_0007.MP4';
    mkdirSync(join(dir, 'footage/A1/2026-11/7-abcdef012345'), { recursive: true });
    writeFileSync(join(dir, stored), 'recorded bytes');
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update('recorded bytes').digest('hex');
    const plan = {
      serial: 'A1', seq: 7, name: 'A1_000001_20261124080000_0007.MP4', devicePath: 'DCIM/100BWC/A1_000001_20261124080000_0007.MP4',
      deviceSha256: 'f'.repeat(64), fileFlags: 0, recordedStart: null, recordedStartMs: null, correctedStart: null, correctedStartMs: null,
      driftMs: null, driftUncertaintyMs: null, durationMs: 1000, offloadedAt: 'x', offloadedAtMs: 1, delayMs: null, sessionId: 'S9',
      officerNo: '000001', unitNo: null, checkoutId: null, retainUntil: 'y', retainUntilMs: 2, flags: [], storedDir: 'footage/A1/2026-11',
      storedName: 'A1_000001_20261124080000_0007.MP4', catalogSize: 14,
    };
    const j = ledger.journal.begin({ sessionId: 'S9', serial: 'A1', seq: 7, tempPath: join(dir, 'tmp/x.part'), storedPath: 'footage/A1/2026-11/A1_000001_20261124080000_0007.MP4', entryJson: JSON.stringify(plan) }, 1);
    ledger.journal.renaming(j, sha);
    ledger.journal.target(j, stored);
    await recover({ dataDir: dir, ledger, ops: realStorage, key, log, now: () => 1 });
    const rec = ledger.recordings.all()[0]!;
    expect(rec).toMatchObject({ storedPath: stored, sha256: sha, size: 14 });
    expect(rec.flags).toContain('hash_mismatch');
    expect(ledger.findings.query({ limit: 10 }).map((f) => f.kind)).toEqual(['hash_mismatch']);
    expect(ledger.journal.pending()).toEqual([]);
  });
});
