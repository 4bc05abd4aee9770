import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

const cli = resolve(__dirname, '../../../dist/daemon/cli.js');
let t: TestDock;
let child: ChildProcess | null = null;
afterEach(async () => {
  child?.kill('SIGKILL');
  await t?.stop();
});

function startCli(configFile: string): ChildProcess {
  const p = spawn(process.execPath, [cli, 'start', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr!.on('data', () => undefined);
  return p;
}

function query<T>(dataDir: string, sql: string): T[] {
  const file = join(dataDir, 'ledger.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } catch {
    return [];
  } finally {
    db.close();
  }
}

describe('daemon killed mid-offload', () => {
  it('SIGKILL mid-file, restart: nothing partial kept, every file stored once, signed and erased', async () => {
    t = await testDock();
    const configFile = join(t.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...t.config, console: { host: '127.0.0.1', port: 0 }, log: { level: 'warn', pretty: false } }));
    const r = await t.recorder('A000020', { plugged: false });
    for (let i = 0; i < 6; i++) await r.addRecording({ durationMs: 2000, segmentBytes: 48 * 1024 * 1024 });
    const total = r.state.files.length;
    child = startCli(configFile);
    await waitFor('daemon ledger', () => existsSync(join(t.config.dataDir, 'ledger.sqlite')), 20_000);
    await new Promise((res) => setTimeout(res, 500));
    await r.replug();
    const tmp = join(t.config.dataDir, 'tmp');
    // Kill while a file is half copied: a partial temp file exists and at least one file is stored.
    await waitFor(
      'a stored file and a partial one',
      () => query(t.config.dataDir, 'SELECT id FROM recordings').length >= 1 && existsSync(tmp) && readdirSync(tmp).some((f) => f.endsWith('.part') && statSync(join(tmp, f)).size > 0),
      60_000,
      2,
    );
    child.kill('SIGKILL');
    await new Promise((res) => child!.once('exit', res));
    const storedBefore = query<{ stored_path: string }>(t.config.dataDir, 'SELECT stored_path FROM recordings').length;
    expect(storedBefore).toBeGreaterThanOrEqual(1);
    expect(storedBefore).toBeLessThan(total);

    child = startCli(configFile);
    await waitFor(
      'the re-dock to finish',
      () => query<{ n: number }>(t.config.dataDir, "SELECT count(*) AS n FROM sessions WHERE result = 'ok'")[0]?.n === 1,
      150_000, // about 10 s alone; room for a loaded machine
      100,
    );
    const sessions = query<{ result: string }>(t.config.dataDir, 'SELECT result FROM sessions ORDER BY started_at_ms');
    expect(sessions.map((s) => s.result)).toEqual(['interrupted', 'ok']);
    const recs = query<{ seq: number; manifest_session_id: string | null; erased_at_ms: number | null }>(t.config.dataDir, 'SELECT seq, manifest_session_id, erased_at_ms FROM recordings');
    expect(recs).toHaveLength(total);
    expect(new Set(recs.map((x) => x.seq)).size).toBe(total);
    expect(recs.every((x) => x.manifest_session_id !== null && x.erased_at_ms !== null)).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
    child.kill('SIGTERM');
    await new Promise((res) => child!.once('exit', res));
    child = null;
    const report = await verifyDataDir(t.config.dataDir);
    expect(report, JSON.stringify(report.findings)).toMatchObject({ ok: true, files: total });
    const mdir = join(t.config.dataDir, 'manifests');
    for (const f of readdirSync(mdir).filter((x) => x.endsWith('.json'))) {
      const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(t.config.dataDir, 'keys/dock.pub.pem'), '-rawin', '-in', join(mdir, f), '-sigfile', join(mdir, `${f}.sig`)], { encoding: 'utf8' });
      expect(out).toContain('Signature Verified Successfully');
    }
    expect(r.state.files).toEqual([]);
    // verify from the command line too, as an auditor would.
    expect(execFileSync(process.execPath, [cli, 'verify', '--data', t.config.dataDir], { encoding: 'utf8' })).toMatch(/^OK: 1 manifests, \d+ files verified/m);
  }, 300_000);

  it('SIGTERM mid-offload ends cleanly: exit 0, session interrupted, no partial file, a restart resumes', async () => {
    t = await testDock();
    const configFile = join(t.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...t.config, console: { host: '127.0.0.1', port: 0 }, log: { level: 'warn', pretty: false } }));
    const r = await t.recorder('A000021', { plugged: false });
    for (let i = 0; i < 8; i++) await r.addRecording({ durationMs: 2000, segmentBytes: 32 * 1024 * 1024 });
    const total = r.state.files.length;
    child = startCli(configFile);
    await waitFor('daemon ledger', () => existsSync(join(t.config.dataDir, 'ledger.sqlite')), 20_000);
    await new Promise((res) => setTimeout(res, 500));
    await r.replug();
    await waitFor('a stored file', () => query(t.config.dataDir, 'SELECT id FROM recordings').length >= 1, 60_000, 2);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => child!.once('exit', (c) => res(c)));
    child = null;
    expect(code).toBe(0);
    expect(query<{ result: string }>(t.config.dataDir, 'SELECT result FROM sessions').map((x) => x.result)).toEqual(['interrupted']);
    const stored = query<{ stored_path: string }>(t.config.dataDir, 'SELECT stored_path FROM recordings').map((x) => x.stored_path).sort();
    const onDisk = (readdirSync(join(t.config.dataDir, 'footage'), { recursive: true }) as string[])
      .map((p) => `footage/${p}`)
      .filter((p) => statSync(join(t.config.dataDir, p)).isFile())
      .sort();
    expect(onDisk).toEqual(stored);
    expect(readdirSync(join(t.config.dataDir, 'tmp'))).toEqual([]);
    child = startCli(configFile);
    await waitFor('resumed', () => query(t.config.dataDir, "SELECT id FROM sessions WHERE result = 'ok'").length === 1, 150_000, 100);
    expect(query(t.config.dataDir, 'SELECT id FROM recordings')).toHaveLength(total);
  }, 300_000);
});
