import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = resolve(__dirname, '../../../dist/daemon/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'bwc-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bwc(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.stdin.end(input ?? '');
    p.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

describe('bwc-dock command line', () => {
  it.each([
    [{ dataDir: '/x', nope: true }, 'config nope: unknown key'],
    [{ console: { port: 'eighty' } }, 'config console.port'],
    [{ recorders: { adminPassword: 'abc' } }, 'config recorders.adminPassword'],
    [{ timezone: 'Nowhere/City' }, 'config timezone'],
  ])('start refuses a bad config %j with exit 2 naming the key', async (cfg, message) => {
    const file = join(dir, `bad-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(cfg));
    const r = await bwc(['start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('refuses a config that is not JSON, and a missing one, with exit 2', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "dataDir": ');
    expect(await bwc(['start', '--config', file])).toMatchObject({ code: 2, stderr: expect.stringContaining('not valid JSON') });
    expect(await bwc(['start', '--config', join(dir, 'absent.json')])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });

  it('bad usage exits 2', async () => {
    expect((await bwc(['frobnicate'])).code).toBe(2);
    expect((await bwc(['verify'])).code).toBe(2);
  });

  it('user add reads the password from stdin, refuses a bad role or officer name with exit 2', async () => {
    const file = join(dir, 'users.json');
    writeFileSync(file, JSON.stringify({ dataDir: join(dir, 'data-users'), timezone: 'Asia/Shanghai' }));
    expect(await bwc(['user', 'add', '--config', file, '--username', 'sup', '--role', 'supervisor'], 'a-long-password\n')).toMatchObject({ code: 0 });
    expect(await bwc(['user', 'add', '--config', file, '--username', 'x', '--role', 'king'], 'a-long-password\n')).toMatchObject({ code: 2, stderr: expect.stringContaining('role') });
    expect(await bwc(['user', 'add', '--config', file, '--username', 'bob', '--role', 'officer'], 'a-long-password\n')).toMatchObject({ code: 2, stderr: expect.stringContaining('6-digit') });
    expect(await bwc(['user', 'add', '--config', file, '--username', 'sup', '--role', 'supervisor'], 'a-long-password\n')).toMatchObject({ code: 2, stderr: expect.stringContaining('exists') });
  });

  it('verify of an empty data dir fails (no key) with exit 1', async () => {
    const r = await bwc(['verify', '--data', join(dir, 'nothing')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL .*no public key/);
  });
});

describe('bwc-dock demo', () => {
  it('runs as a process: recorders are offloaded over HTTP-visible slots, and SIGINT stops it cleanly', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const p = spawn(process.execPath, [cli, 'demo', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', () => undefined);
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('console on')) {
        if (Date.now() > deadline) throw new Error(`demo did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toContain('demo-password');
      const base = `http://127.0.0.1:${port}`;
      const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'supervisor', password: 'demo-password' }) });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      let ready: string[] = [];
      while (ready.length < 2) {
        if (Date.now() > deadline) throw new Error(`demo offloads did not finish: ${JSON.stringify(ready)}`);
        const slots = (await (await fetch(`${base}/api/slots`, { headers: { cookie } })).json()) as { items: Array<{ serial: string; state: string }> };
        ready = slots.items.filter((s) => s.state === 'ready').map((s) => s.serial);
        await new Promise((r) => setTimeout(r, 250));
      }
      const recs = (await (await fetch(`${base}/api/recordings`, { headers: { cookie } })).json()) as { items: unknown[] };
      expect(recs.items.length).toBeGreaterThan(0);
    } finally {
      p.kill('SIGINT');
    }
    const code = await new Promise<number | null>((res) => p.once('exit', (c) => res(c)));
    expect(code).toBe(0);
  }, 90_000);
});
