import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgencyLedger } from '../../../daemon/upstream/agency-ledger.js';
import { ObjectStore } from '../../../daemon/upstream/store.js';
import { startCeph, type CephCluster } from '../../helpers/ceph.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';

/**
 * Issue 16 end to end: a real one-node Ceph RGW with Object Lock and a real PostgreSQL (tests/helpers), three docks
 * replicating to them (two in this process, one a real `bwc-dock start` process) with simulated recorders.
 */

const cli = resolve(__dirname, '../../../dist/daemon/cli.js');
const run = promisify(execFile);
const BUCKET = 'evidence';

let ceph: CephCluster;
let pg: PgCluster;
let s3: S3Client;
let agency: AgencyLedger;
let a: TestDock;
let b: TestDock;
let c: TestDock;
let cProc: ChildProcess | null = null;
let cPort = 0;

const upstreamOf = (bucket = BUCKET) => ({
  s3: { endpoint: ceph.endpoint, region: ceph.region, bucket, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey },
  postgres: pg.url,
  concurrency: 3,
  retryBaseMs: 200,
  retryMaxMs: 1500,
  heartbeatMs: 300,
  minLockSeconds: 120,
});

async function cliRun(args: string[], input?: string): Promise<{ code: number; out: string }> {
  if (input !== undefined) {
    const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8' });
    return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
  }
  try {
    const r = await run(process.execPath, [cli, ...args], { encoding: 'utf8' });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: `${x.stdout}${x.stderr}` };
  }
}

/** A dock in this process has sent everything: outbox empty, no error pending. */
const drained = (t: TestDock) => () => {
  const u = t.daemon!.ctx.ledger.upstream;
  const bl = u.backlog();
  return bl.objects === 0 && bl.rows === 0 && u.state().lastError === null;
};

async function dockRecorder(t: TestDock, serial: string, recordings: number, o: { segmentBytes?: number } = {}) {
  const r = await t.recorder(serial, { plugged: false });
  for (let i = 0; i < recordings; i++) await r.addRecording({ durationMs: 2000, ...(o.segmentBytes ? { segmentBytes: o.segmentBytes } : {}) });
  await r.replug();
  return r;
}

async function pgRows<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await agency.pool.query<T>(sql, params)).rows;
}

beforeAll(async () => {
  const base = 7400 + Math.floor(Math.random() * 300);
  [ceph, pg] = await Promise.all([startCeph({ monPort: base, rgwPort: base + 1000 }), Promise.resolve(startPostgres(54300 + Math.floor(Math.random() * 500)))]);
  await ceph.createBucket(BUCKET, true);
  await ceph.createBucket('no-lock', false);
  s3 = ceph.client();
  agency = await AgencyLedger.open(pg.url);
}, 120_000);

afterAll(async () => {
  cProc?.kill('SIGKILL');
  await Promise.all([a?.stop(), b?.stop(), c?.stop()].map((p) => p?.catch(() => undefined)));
  await agency?.close().catch(() => undefined);
  s3?.destroy();
  await ceph?.stop();
  pg?.stop();
}, 60_000);

describe.sequential('replication to the agency store and ledger', () => {
  it('refuses at start a bucket without Object Lock, naming it', async () => {
    const t = await testDock({ dockId: 'dock-x', upstream: upstreamOf('no-lock') });
    try {
      await expect(t.start()).rejects.toThrow(/bucket "no-lock" has no S3 Object Lock/);
    } finally {
      t.daemon = null;
      await t.stop();
    }
  });

  // Three docks, a daemon process, Ceph and PostgreSQL: room for a loaded machine (it missed 60 s beside two QEMU guests).
  it('replicates every recording of three docks (one a real daemon process) with its lock, and a locked version cannot be deleted', { timeout: 180_000 }, async () => {
    a = await testDock({ dockId: 'dock-a', upstream: upstreamOf() });
    b = await testDock({ dockId: 'dock-b', upstream: upstreamOf() });
    c = await testDock({ dockId: 'dock-c', upstream: upstreamOf() });
    await Promise.all([a.start(), b.start()]);
    for (const t of [a, b]) await agency.enroll(t.config.dockId, readFileSync(join(t.config.dataDir, 'keys/dock.pub.pem'), 'utf8'));
    // dock-c: a real daemon process with its console; not enrolled yet, so its manifests wait in quarantine.
    cPort = 20000 + Math.floor(Math.random() * 20000);
    const configFile = join(c.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...c.config, console: { host: '127.0.0.1', port: cPort }, log: { level: 'warn', pretty: false } }));
    const added = await cliRun(['user', 'add', '--config', configFile, '--username', 'keeper', '--role', 'equipment_manager'], 'tall harbour lantern 7391\n');
    expect(added.code, added.out).toBe(0);
    cProc = spawn(process.execPath, [cli, 'start', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    cProc.stderr!.on('data', () => undefined);
    await waitForAsync('dock-c console', async () => (await fetch(`http://127.0.0.1:${cPort}/api/health`).catch(() => null))?.ok ?? false, 30_000);

    await Promise.all([dockRecorder(a, 'A000001', 2), dockRecorder(b, 'B000001', 2), dockRecorder(c, 'C000001', 2)]);
    await Promise.all([a.slot('A000001'), b.slot('B000001')]);
    await waitFor('dock-a and dock-b drained', () => drained(a)() && drained(b)(), 60_000);
    await waitForAsync('dock-c drained', async () => {
      const [d] = await pgRows<{ objects_pending: number; rows_pending: number; head_seqno: number | null }>('SELECT objects_pending, rows_pending, head_seqno FROM docks WHERE dock_id = $1', ['dock-c']);
      const [n] = await pgRows<{ n: string }>('SELECT count(*) AS n FROM recordings WHERE dock_id = $1', ['dock-c']);
      return d?.objects_pending === 0 && d.rows_pending === 0 && d.head_seqno !== null && Number(n?.n) >= 2;
    });

    const store = new ObjectStore({ endpoint: ceph.endpoint, region: ceph.region, bucket: BUCKET, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey });
    try {
      for (const t of [a, b]) {
        const recs = t.daemon!.ctx.ledger.recordings.all();
        expect(recs.length).toBeGreaterThanOrEqual(2);
        const rows = await pgRows<{ local_id: string; sha256: string; size: string; version_id: string }>(
          `SELECT r.local_id, r.sha256, r.size, o.version_id FROM recordings r JOIN objects o ON o.key = r.dock_id || '/' || r.stored_path WHERE r.dock_id = $1 ORDER BY r.local_id`,
          [t.config.dockId],
        );
        expect(rows.map((r) => Number(r.local_id))).toEqual(recs.map((r) => r.id).sort((x, y) => x - y));
        for (const rec of recs) {
          const h = await store.head(`${t.config.dockId}/${rec.storedPath}`);
          expect(h, rec.storedPath).not.toBeNull();
          expect(h).toMatchObject({ size: rec.size, sha256: rec.sha256, lockMode: 'COMPLIANCE', legalHold: false });
          expect(h!.retainUntilMs!).toBeGreaterThanOrEqual(Math.floor(rec.retainUntilMs / 1000) * 1000);
          expect(rows.find((r) => Number(r.local_id) === rec.id)!.version_id).toBe(h!.versionId);
        }
        const head = t.daemon!.ctx.ledger.manifests.head()!;
        const [m] = await pgRows<{ state: string; sha256: string }>('SELECT state, sha256 FROM manifests WHERE dock_id = $1 AND seqno = $2', [t.config.dockId, head.seqno]);
        expect(m).toEqual({ state: 'ok', sha256: head.sha256 });
      }
      // The store refuses to delete a locked version (COMPLIANCE: not even its administrator).
      const rec = a.daemon!.ctx.ledger.recordings.all()[0]!;
      const key = `dock-a/${rec.storedPath}`;
      const v = (await store.head(key))!.versionId;
      const refused = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, VersionId: v })).then(
        () => 'deleted',
        (e: { name: string }) => e.name,
      );
      expect(refused).toBe('AccessDenied');
      expect((await store.head(key, v))?.size).toBe(rec.size);
    } finally {
      store.close();
    }

    // dock-c's manifests were quarantined (not enrolled); enrolling it checks them.
    const quarantined = await pgRows<{ state: string; problem: string }>(`SELECT state, problem FROM manifests WHERE dock_id = 'dock-c'`);
    expect(quarantined.length).toBeGreaterThan(0);
    expect(quarantined.every((m) => m.state === 'quarantined' && /not enrolled/.test(m.problem))).toBe(true);
    const upstreamConfig = join(a.dir, 'agency.json');
    writeFileSync(upstreamConfig, JSON.stringify({ dataDir: join(a.dir, 'agency-data'), dockId: 'agency', upstream: upstreamOf() }));
    const wrongKey = await cliRun(['agency', 'enroll', '--config', upstreamConfig, '--dock', 'dock-c', '--pubkey', join(a.config.dataDir, 'keys/dock.pub.pem')]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toMatch(/quarantined/);
    const enrolled = await cliRun(['agency', 'enroll', '--config', upstreamConfig, '--dock', 'dock-c', '--pubkey', join(c.config.dataDir, 'keys/dock.pub.pem')]);
    expect(enrolled.out).toMatch(/enrolled dock-c; its manifests: \d+ ok/);
    expect(enrolled.code).toBe(0);
  });

  it('a hold sets the legal hold of its footage; its release clears it', async () => {
    const ledger = a.daemon!.ctx.ledger;
    const rec = ledger.recordings.all()[0]!;
    const key = `dock-a/${rec.storedPath}`;
    const store = new ObjectStore({ endpoint: ceph.endpoint, region: ceph.region, bucket: BUCKET, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey });
    try {
      const hold = await a.daemon!.retention.service.placeHold({ recordingIds: [rec.id], reason: 'case', caseRef: 'CASE-16' }, 'sup1');
      await waitFor('hold replicated', drained(a), 30_000);
      expect((await store.head(key))?.legalHold).toBe(true);
      expect((await pgRows<{ held: boolean }>('SELECT held FROM recordings WHERE dock_id = $1 AND local_id = $2', ['dock-a', rec.id]))[0]!.held).toBe(true);
      expect((await pgRows<{ released: boolean }>('SELECT released FROM holds WHERE dock_id = $1 AND local_id = $2', ['dock-a', String(hold.id)]))[0]!.released).toBe(false);
      await a.daemon!.retention.service.releaseHold(hold.id, 'case closed', 'sup1');
      await waitFor('release replicated', drained(a), 30_000);
      expect((await store.head(key))?.legalHold).toBe(false);
      expect((await pgRows<{ held: boolean }>('SELECT held FROM recordings WHERE dock_id = $1 AND local_id = $2', ['dock-a', rec.id]))[0]!.held).toBe(false);
      // Kept longer: the object's retention follows.
      const until = rec.retainUntilMs + 90 * 86_400_000;
      expect((await a.daemon!.retention.service.keep([rec.id], 'appeal pending', until, 'sup1')).kept).toEqual([rec.id]);
      await waitFor('keep replicated', drained(a), 30_000);
      const h = (await store.head(key))!;
      expect(h.retainUntilMs!).toBeGreaterThanOrEqual(Math.floor(until / 1000) * 1000);
      expect(h.retainUntilMs!).toBeGreaterThan(rec.retainUntilMs + 89 * 86_400_000);
      expect((await pgRows<{ retain_until: Date }>('SELECT retain_until FROM recordings WHERE dock_id = $1 AND local_id = $2', ['dock-a', rec.id]))[0]!.retain_until.getTime()).toBe(until);
    } finally {
      store.close();
    }
  });

  it('the store stopped mid-upload and started again: docking unaffected, replication then complete', async () => {
    const ledger = b.daemon!.ctx.ledger;
    await dockRecorder(b, 'B000002', 1, { segmentBytes: 48 * 1024 * 1024 });
    // Catch the multipart upload in progress, then take the gateway down under it.
    await waitForAsync(
      'a multipart upload in progress',
      async () => ((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'dock-b/footage/B000002/' })).catch(() => null))?.Uploads?.length ?? 0) > 0,
      60_000,
      10,
    );
    await ceph.stopGateway();
    const slot = await b.slot('B000002');
    expect(slot.state).toBe('ready');
    await waitFor('the outage shows', () => ledger.upstream.state().lastError !== null, 30_000);
    expect(ledger.upstream.backlog().objects).toBeGreaterThan(0);
    // Due for purge while the agency does not hold it: the dock keeps the file, and a finding says why.
    const big = ledger.recordings.all().find((r) => r.serial === 'B000002')!;
    const past = Date.now() - 86_400_000;
    ledger.tx(() => ledger.retention.setRetainUntil(big.id, new Date(past).toISOString(), past));
    expect(await b.daemon!.retention.service.purge([big.id], 'retention period over', 'sup1')).toEqual({ purged: [], refused: [{ id: big.id, reason: 'not_replicated' }] });
    expect(ledger.findings.query({ kind: 'not_replicated', limit: 10 }).map((f) => f.recordingId)).toEqual([big.id]);
    await ceph.startGateway();
    await waitFor('replication complete after the outage', drained(b), 90_000);
    const rec = ledger.recordings.all().find((r) => r.serial === 'B000002')!;
    const store = new ObjectStore({ endpoint: ceph.endpoint, region: ceph.region, bucket: BUCKET, accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey });
    try {
      const h = await store.head(`dock-b/${rec.storedPath}`);
      expect(h).toMatchObject({ size: rec.size, sha256: rec.sha256, lockMode: 'COMPLIANCE' });
      expect(ledger.upstream.object(`dock-b/${rec.storedPath}`)?.versionId).toBe(h!.versionId);
      // Now the agency holds it, the dock purges its file; the store refuses to delete the version while its lock
      // lasts: a finding, and the dock carries on (the delete waits for the lock to pass).
      expect((await b.daemon!.retention.service.purge([rec.id], 'retention period over', 'sup1')).purged).toEqual([rec.id]);
      await waitFor('delete refused', () => ledger.findings.query({ kind: 'delete_refused', limit: 10 }).length === 1, 30_000);
      expect((await store.head(`dock-b/${rec.storedPath}`, h!.versionId))?.size).toBe(rec.size);
      await waitForAsync('the agency ledger shows the purge and the refusal', async () => {
        const [row] = await pgRows<{ purged_at: Date | null; delete_refused: string | null }>(
          'SELECT r.purged_at, o.delete_refused FROM recordings r JOIN objects o ON o.key = $3 WHERE r.dock_id = $1 AND r.local_id = $2',
          ['dock-b', rec.id, `dock-b/${rec.storedPath}`],
        );
        return row?.purged_at != null && /refused/.test(row.delete_refused ?? '');
      });
      expect(ledger.upstream.state().lastError).toBeNull();
    } finally {
      store.close();
    }
  });

  it('PostgreSQL restarted: rows queued meanwhile arrive once, never twice', async () => {
    pg.halt();
    await dockRecorder(a, 'A000002', 1);
    await a.slot('A000002');
    await waitFor('the outage shows', () => a.daemon!.ctx.ledger.upstream.state().lastError !== null, 30_000);
    pg.start();
    await waitFor('drained after the restart', drained(a), 60_000);
    const recs = a.daemon!.ctx.ledger.recordings.all();
    const [n] = await pgRows<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT local_id) AS d FROM recordings WHERE dock_id = $1', ['dock-a']);
    expect(Number(n!.n)).toBe(recs.length);
    expect(Number(n!.d)).toBe(recs.length);
  });

  it('GET /api/upstream on the dock console shows the replication state', async () => {
    const base = `http://127.0.0.1:${cPort}`;
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'keeper', password: 'tall harbour lantern 7391' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const r = await fetch(`${base}/api/upstream`, { headers: { cookie } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { objectsPending: number; rowsPending: number; lastSuccessAt: string | null; lastError: string | null };
    expect(body).toMatchObject({ objectsPending: 0, rowsPending: 0, lastError: null });
    expect(body.lastSuccessAt).toMatch(/^\d{4}-\d\d-\d\dT.*[+-]\d\d:\d\d$/);
    expect((await fetch(`${base}/api/upstream`)).status).toBe(401);
  });

  it('the daemon SIGKILLed mid-upload: after its restart the footage is in the store once, as one version', async () => {
    const configFile = join(c.dir, 'config.json');
    const r = await c.recorder('C000002', { plugged: false });
    await r.addRecording({ durationMs: 2000, segmentBytes: 48 * 1024 * 1024 });
    await r.replug();
    await waitForAsync(
      'a multipart upload in progress',
      async () => ((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'dock-c/footage/C000002/' })).catch(() => null))?.Uploads?.length ?? 0) > 0,
      60_000,
      10,
    );
    cProc!.kill('SIGKILL');
    await new Promise((res) => cProc!.once('exit', res));
    cProc = spawn(process.execPath, [cli, 'start', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    cProc.stderr!.on('data', () => undefined);
    await waitForAsync('dock-c sent the big file', async () => {
      const rows = await pgRows<{ version_id: string | null }>(
        `SELECT o.version_id FROM recordings r LEFT JOIN objects o ON o.key = r.dock_id || '/' || r.stored_path WHERE r.dock_id = 'dock-c' AND r.serial = 'C000002'`,
      );
      return rows.length === 1 && rows[0]!.version_id !== null;
    }, 90_000);
    const [rec] = await pgRows<{ stored_path: string; size: string; sha256: string }>(`SELECT stored_path, size, sha256 FROM recordings WHERE dock_id = 'dock-c' AND serial = 'C000002'`);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: `dock-c/${rec!.stored_path}` }));
    expect(versions.Versions?.length).toBe(1);
    expect(versions.Versions![0]!.Size).toBe(Number(rec!.size));
    await waitForAsync('dock-c console back', async () => (await fetch(`http://127.0.0.1:${cPort}/api/health`).catch(() => null))?.ok ?? false, 30_000);
  });

  it('the agency console: search finds recordings of all three docks, footage plays from the store with Range (a registered view), the fleet shows every dock', async () => {
    const agencyConfig = join(a.dir, 'agency-serve.json');
    const port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(agencyConfig, JSON.stringify({ dataDir: join(a.dir, 'agency-data'), dockId: 'agency', upstream: { ...upstreamOf(), agencyConsole: { host: '127.0.0.1', port } }, log: { level: 'warn', pretty: false } }));
    const added = await cliRun(['user', 'add', '--config', agencyConfig, '--username', 'sup1', '--role', 'supervisor'], 'tall harbour lantern 7391\n');
    expect(added.code, added.out).toBe(0);
    const serve = spawn(process.execPath, [cli, 'agency', 'serve', '--config', agencyConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
    serve.stderr!.on('data', () => undefined);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForAsync('agency console', async () => (await fetch(`${base}/api/health`).catch(() => null))?.ok ?? false, 30_000);
      expect((await fetch(`${base}/api/agency/recordings`)).status).toBe(401);
      const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'sup1', password: 'tall harbour lantern 7391' }) });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const found = (await (await fetch(`${base}/api/agency/recordings?limit=1000`, { headers: { cookie } })).json()) as { items: Array<{ dockId: string; id: number; size: number; sha256: string; officerNo: string | null }> };
      expect(new Set(found.items.map((r) => r.dockId))).toEqual(new Set(['dock-a', 'dock-b', 'dock-c']));
      const onlyB = (await (await fetch(`${base}/api/agency/recordings?dock=dock-b&limit=1`, { headers: { cookie } })).json()) as { items: Array<{ dockId: string }>; next: string | null };
      expect(onlyB.items.map((r) => r.dockId)).toEqual(['dock-b']);
      expect(onlyB.next).not.toBeNull();
      const rec = a.daemon!.ctx.ledger.recordings.all()[0]!;
      const media = await fetch(`${base}/api/agency/recordings/dock-a/${rec.id}/media`, { headers: { cookie, range: 'bytes=0-99' } });
      expect(media.status).toBe(206);
      expect(media.headers.get('content-range')).toBe(`bytes 0-99/${rec.size}`);
      expect(Buffer.from(await media.arrayBuffer())).toEqual(readFileSync(join(a.config.dataDir, rec.storedPath)).subarray(0, 100));
      await fetch(`${base}/api/agency/recordings/dock-a/${rec.id}/media`, { headers: { cookie, range: 'bytes=100-199' } }).then((r) => r.arrayBuffer());
      const views = await pgRows<{ username: string; ground: string; requests: number }>('SELECT username, ground, requests FROM agency_access_register WHERE dock_id = $1 AND recording_local_id = $2', ['dock-a', rec.id]);
      expect(views).toEqual([{ username: 'sup1', ground: 'oversight', requests: 2 }]);
      const docks = (await (await fetch(`${base}/api/agency/docks`, { headers: { cookie } })).json()) as { items: Array<{ dockId: string; enrolled: boolean; lastContactAt: string | null; objectsPending: number | null; recordings: number }> };
      for (const id of ['dock-a', 'dock-b', 'dock-c']) {
        const d = docks.items.find((x) => x.dockId === id)!;
        expect(d).toMatchObject({ enrolled: true });
        expect(d.lastContactAt).not.toBeNull();
        expect(d.recordings).toBeGreaterThanOrEqual(2);
      }
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/agency.js');
    } finally {
      serve.kill('SIGTERM');
    }
  });

  it('agency verify is clean, then names a tampered object and a removed manifest', async () => {
    const upstreamConfig = join(a.dir, 'agency.json');
    for (const t of [a, b]) {
      const head = t.daemon!.ctx.ledger.manifests.head()!;
      await waitForAsync(`${t.config.dockId}'s newest manifest at the agency`, async () => {
        const [d] = await pgRows<{ head_sha256: string }>('SELECT d.head_sha256 FROM docks d JOIN manifests m ON m.dock_id = d.dock_id AND m.sha256 = d.head_sha256 WHERE d.dock_id = $1', [t.config.dockId]);
        return d?.head_sha256 === head.sha256;
      });
    }
    const clean = await cliRun(['agency', 'verify', '--config', upstreamConfig]);
    expect(clean.out).toMatch(/^OK: 3 docks, \d+ recordings, \d+ manifests verified/m);
    expect(clean.code).toBe(0);

    const rec = a.daemon!.ctx.ledger.recordings.all()[1]!;
    const key = `dock-a/${rec.storedPath}`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('not the footage'), Metadata: { sha256: rec.sha256 } }));
    const head = b.daemon!.ctx.ledger.manifests.head()!;
    const manifestKey = `dock-b/manifests/${head.sessionId}.json`;
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: manifestKey }));

    const bad = await cliRun(['agency', 'verify', '--config', upstreamConfig]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`recording dock-a#${rec.id} (${key}): current version`);
    expect(bad.out).toMatch(new RegExp(`recording dock-a#${rec.id} .*: size 15, the ledger holds ${rec.size}`));
    expect(bad.out).toContain(`${manifestKey} missing from the store`);
    expect(bad.out).toMatch(/^FAILED: \d+ findings/m);
  });

  it('wrong credentials: the dock starts and docks offline, and says why nothing reaches the store', async () => {
    const t = await testDock({ dockId: 'dock-w', upstream: { ...upstreamOf(), s3: { ...upstreamOf().s3, secretAccessKey: 'not-the-secret' } } });
    try {
      await t.start();
      await dockRecorder(t, 'W000001', 1);
      expect((await t.slot('W000001')).state).toBe('ready');
      await waitFor('the error shows', () => t.daemon!.ctx.ledger.upstream.state().lastError, 30_000);
      // Rows still reach the agency ledger (it sees the dock and its backlog); the store's error stays shown meanwhile.
      await waitForAsync('dock-w rows at the agency', async () => Number((await pgRows<{ n: string }>(`SELECT count(*) AS n FROM recordings WHERE dock_id = 'dock-w'`))[0]?.n) > 0);
      expect(t.daemon!.ctx.ledger.upstream.state().lastError).toMatch(/^store: .*(SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId|HTTP 403)/);
      expect(t.daemon!.ctx.ledger.upstream.backlog().objects).toBeGreaterThan(0);
      expect(t.daemon!.ctx.ledger.upstream.awaitsReplication(t.daemon!.ctx.ledger.recordings.all()[0]!.id)).toBe(true);
    } finally {
      await t.stop();
    }
  });
});

async function waitForAsync(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
