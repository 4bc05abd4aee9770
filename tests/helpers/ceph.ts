import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * A one-node Ceph cluster (1 mon, 1 OSD on memstore, radosgw, no mgr) under one temp folder, as ../shared/TESTING.md
 * describes: a real S3 store with COMPLIANCE Object Lock and legal holds. Each daemon is started with setsid and
 * stopped by its PID, radosgw first, then the OSD, then the mon (TERM, KILL after 5 s).
 */
export interface CephCluster {
  dir: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** An SDK client as the dock configures it (path style, checksums only when required). */
  client(): S3Client;
  createBucket(name: string, objectLock: boolean): Promise<void>;
  /** Stop radosgw alone (the store is down; the cluster keeps the data). */
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
  stop(): Promise<void>;
}

export const cephAvailable = () => spawnSync('sh', ['-c', 'command -v ceph-mon && command -v ceph-osd && command -v radosgw && command -v monmaptool'], { stdio: 'ignore' }).status === 0;

async function waitHttp200(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status === 200) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`radosgw did not answer ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function stopPid(p: ChildProcess | null): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Ports outside the OSD's 6800–7300. */
export async function startCeph(opts: { monPort: number; rgwPort: number }): Promise<CephCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bwc-ceph-'));
  const fsid = randomUUID();
  for (const d of ['run', 'log', 'mon/ceph-a', 'osd/ceph-0', 'rgw']) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'ceph.conf');
  writeFileSync(
    conf,
    `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${opts.monPort}
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
paxos propose interval = 0.1
paxos min wait = 0.01
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 1073741824
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
[client.rgw.a]
auth client required = none
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:${opts.rgwPort}
rgw data = ${dir}/rgw
`,
  );
  const procs: { mon: ChildProcess | null; osd: ChildProcess | null; rgw: ChildProcess | null } = { mon: null, osd: null, rgw: null };
  const daemon = (name: string, cmd: string, args: string[]) => {
    const out = openSync(join(dir, 'log', `${name}.out`), 'a');
    return spawn('setsid', [cmd, ...args], { stdio: ['ignore', out, out] });
  };
  const accessKeyId = 'BWCTESTACCESS';
  const secretAccessKey = 'bwc-test-secret-key';
  const endpoint = `http://127.0.0.1:${opts.rgwPort}`;
  const cluster: CephCluster = {
    dir,
    endpoint,
    accessKeyId,
    secretAccessKey,
    region: 'us-east-1',
    client: () =>
      new S3Client({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId, secretAccessKey },
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    async createBucket(name, objectLock) {
      const c = cluster.client();
      await c.send(new CreateBucketCommand({ Bucket: name, ...(objectLock ? { ObjectLockEnabledForBucket: true } : {}) }));
      c.destroy();
    },
    async stopGateway() {
      await stopPid(procs.rgw);
      procs.rgw = null;
    },
    async startGateway() {
      procs.rgw = daemon('rgw', 'radosgw', ['-c', conf, '-n', 'client.rgw.a', '-f']);
      await waitHttp200(`${endpoint}/`, 60_000);
    },
    async stop() {
      await stopPid(procs.rgw);
      await stopPid(procs.osd);
      await stopPid(procs.mon);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    run('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${opts.monPort}]`, '--fsid', fsid, join(dir, 'monmap')]);
    run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
    procs.mon = daemon('mon', 'ceph-mon', ['-c', conf, '-i', 'a', '-f']);
    const osdUuid = randomUUID();
    run('ceph', ['-c', conf, '--connect-timeout', '30', 'osd', 'new', osdUuid]);
    run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    procs.osd = daemon('osd', 'ceph-osd', ['-c', conf, '-i', '0', '-f']);
    await cluster.startGateway();
    run('radosgw-admin', ['-c', conf, 'user', 'create', '--uid', 'bwc', '--display-name', 'bwc', '--access-key', accessKeyId, '--secret-key', secretAccessKey]);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
