import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { Ledger } from '../../daemon/ledger/index.js';
import { createLogger } from '../../daemon/log.js';
import { Replicator } from '../../daemon/upstream/replicator.js';
import { ObjectStore, PART_BYTES } from '../../daemon/upstream/store.js';
import { cephAvailable, startCeph } from '../helpers/ceph.js';
import { postgresAvailable, startPostgres } from '../helpers/postgres.js';
import { MiB } from './env.js';

export interface ReplicationResult {
  files: number;
  bytes: number;
  /** Plain multipart upload of the same files (no checksum, no lock, no ledger), same parallelism. */
  plainMBps: number;
  /** The dock's replication end to end: outbox, Content-MD5 parts, SHA-256 check, lock, HEAD, agency ledger rows. */
  replicationMBps: number;
  ratio: number;
  concurrency: number;
}

/**
 * Replication throughput against a plain multipart upload of the same files to the same one-node Ceph RGW, in the
 * same run (issue 16). The store and PostgreSQL are the tests' own (tests/helpers); null when they are not installed.
 */
export async function benchReplication(o: { root: string; files: number; fileBytes: number; concurrency: number; log(s: string): void }): Promise<ReplicationResult | null> {
  if (!cephAvailable() || !postgresAvailable()) {
    o.log('replication: skipped (Ceph or PostgreSQL not installed: .ci/run installs them)');
    return null;
  }
  const base = 7400 + Math.floor(Math.random() * 300);
  const ceph = await startCeph({ monPort: base, rgwPort: base + 1000 });
  const pg = startPostgres(55000 + Math.floor(Math.random() * 500));
  try {
    await ceph.createBucket('plain', false);
    await ceph.createBucket('evidence', true);
    const dataDir = join(o.root, 'replication');
    mkdirSync(join(dataDir, 'footage/B000001'), { recursive: true });
    const files = Array.from({ length: o.files }, (_, i) => {
      const storedPath = `footage/B000001/FILE${String(i).padStart(4, '0')}.MP4`;
      const bytes = randomBytes(o.fileBytes);
      writeFileSync(join(dataDir, storedPath), bytes);
      return { storedPath, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
    const total = o.files * o.fileBytes;

    // (a) plain multipart uploads, `concurrency` files at once, parts of the dock's size.
    const s3 = ceph.client();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < files.length) {
          const f = files[next++]!;
          const body = readFileSync(join(dataDir, f.storedPath));
          if (body.length <= PART_BYTES) {
            await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: f.storedPath, Body: body, ContentLength: body.length }));
            continue;
          }
          const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'plain', Key: f.storedPath }));
          const parts: { PartNumber: number; ETag: string }[] = [];
          for (let pos = 0, n = 1; pos < body.length; pos += PART_BYTES, n++) {
            const part = body.subarray(pos, Math.min(body.length, pos + PART_BYTES));
            const r = await s3.send(new UploadPartCommand({ Bucket: 'plain', Key: f.storedPath, UploadId, PartNumber: n, Body: part, ContentLength: part.length }));
            parts.push({ PartNumber: n, ETag: r.ETag ?? '' });
          }
          await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'plain', Key: f.storedPath, UploadId, MultipartUpload: { Parts: parts } }));
        }
      }),
    );
    const plainS = (performance.now() - t0) / 1000;
    s3.destroy();
    o.log(`replication: plain multipart ${(total / MiB / plainS).toFixed(0)} MiB/s`);

    // (b) the dock's replication of the same files, from its ledger's outbox to the locked bucket and the agency ledger.
    const ledger = Ledger.open(join(dataDir, 'ledger.sqlite'), (ms) => new Date(ms).toISOString());
    const now = Date.now();
    ledger.tx(() => {
      ledger.sessions.create('bench-session', '/dev/bench', now);
      for (const [i, f] of files.entries()) {
        ledger.recordings.insert({
          serial: 'B000001',
          seq: i + 1,
          name: f.storedPath.split('/').pop()!,
          devicePath: `DCIM/${i}.MP4`,
          storedPath: f.storedPath,
          size: o.fileBytes,
          sha256: f.sha256,
          deviceSha256: f.sha256,
          fileFlags: 0,
          recordedStart: new Date(now).toISOString(),
          recordedStartMs: now,
          correctedStart: null,
          correctedStartMs: null,
          driftMs: null,
          driftUncertaintyMs: null,
          durationMs: 60_000,
          offloadedAt: new Date(now).toISOString(),
          offloadedAtMs: now,
          delayMs: null,
          sessionId: 'bench-session',
          officerNo: null,
          unitNo: null,
          checkoutId: null,
          retainUntil: new Date(now + 3_600_000).toISOString(),
          retainUntilMs: now + 3_600_000,
          flags: [],
        });
      }
    });
    const s = { endpoint: ceph.endpoint, region: ceph.region, bucket: 'evidence', accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey };
    const replicator = new Replicator({
      dockId: 'bench-dock',
      dataDir,
      ledger,
      store: new ObjectStore(s),
      postgres: pg.url,
      log: createLogger({ level: 'silent' }),
      now: () => Date.now(),
      clockSynced: () => true,
      concurrency: o.concurrency,
      backoffBaseMs: 200,
      backoffMaxMs: 2000,
      heartbeatMs: 60_000,
      minLockMs: 60_000,
      manifestLockMs: 86_400_000,
      pollMs: 20,
    });
    const t1 = performance.now();
    await replicator.start();
    for (;;) {
      const b = ledger.upstream.backlog();
      if (b.objects === 0 && b.rows === 0) break;
      if (performance.now() - t1 > 600_000) throw new Error(`replication did not finish in 10 minutes (${b.objects} objects, ${b.rows} rows left; ${ledger.upstream.state().lastError})`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const replS = (performance.now() - t1) / 1000;
    await replicator.stop();
    ledger.close();
    o.log(`replication: dock replication ${(total / MiB / replS).toFixed(0)} MiB/s`);
    return { files: o.files, bytes: total, plainMBps: total / MiB / plainS, replicationMBps: total / MiB / replS, ratio: plainS / replS, concurrency: o.concurrency };
  } finally {
    await ceph.stop();
    pg.stop();
  }
}
