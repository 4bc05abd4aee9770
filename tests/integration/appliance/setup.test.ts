import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../daemon/config.js';
import { assertPrivateKeySafe } from '../../../daemon/ingest/keys.js';
import { lockDataDir } from '../../../daemon/ledger/datadir-lock.js';
import { Ledger } from '../../../daemon/ledger/index.js';

/**
 * `bwc-dock setup` (issue 20, first start on a new dock), run as the built executable: at a real terminal (a pty
 * made by util-linux `script`) with answers typed after each question, and with answers piped one per line. The
 * written config is started as a real daemon and its console logged in to over HTTPS as the new accounts.
 */

const cli = resolve(__dirname, '../../../dist/daemon/cli.js');
const root = mkdtempSync(join(tmpdir(), 'bwc-setup-'));
chmodSync(root, 0o755); // the service-user test's daemon runs as nobody and must reach its files
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ADMIN_PW = 'tall harbour lantern 7391';
const SUP_PW = 'quiet river compass 2286';
const port = () => 20000 + Math.floor(Math.random() * 20000);
let n = 0;
const fresh = () => {
  const d = join(root, `case-${++n}`);
  mkdirSync(d);
  chmodSync(d, 0o755);
  return d;
};

/** A base config as install.sh leaves it, with the dock's devices in test folders (setup keeps these keys). */
function baseConfig(dir: string): Record<string, unknown> {
  mkdirSync(join(dir, 'dev'), { recursive: true });
  mkdirSync(join(dir, 'media'), { recursive: true });
  return { detect: { serialGlobs: [join(dir, 'dev', 'bwc-*')], usb: [], mountRoot: join(dir, 'media') }, clock: { assumeSynced: true }, log: { level: 'info' } };
}

/** The executable at a real terminal: `script` gives it a pty; the test types only after each question appears. */
class Terminal {
  private readonly p: ChildProcess;
  private out = '';
  private seen = 0;
  readonly exited: Promise<number>;

  constructor(args: string[]) {
    const cmd = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.p = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', COLUMNS: '200' } });
    this.p.stdout!.on('data', (c) => (this.out += c));
    this.p.stderr!.on('data', (c) => (this.out += c));
    this.exited = new Promise((res) => this.p.on('exit', (code) => res(code ?? -1)));
  }

  get text(): string {
    return stripVTControlCharacters(this.out);
  }

  /** Wait until `what` appears after what was waited for last. */
  async waitFor(what: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.seen);
      const i = typeof what === 'string' ? rest.indexOf(what) : rest.search(what);
      if (i >= 0) {
        const len = typeof what === 'string' ? what.length : (rest.match(what)?.[0].length ?? 0);
        this.seen += i + len;
        return rest.slice(0, i + len);
      }
      if (Date.now() > deadline) throw new Error(`no ${what} on the terminal; it shows:\n${rest}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Wait for a question, then type the answer and Enter. */
  async answer(question: string | RegExp, typed: string): Promise<void> {
    await this.waitFor(question);
    this.type(`${typed}\r`);
  }

  type(keys: string): void {
    this.p.stdin!.write(keys);
  }

  end(): void {
    this.p.stdin!.end();
  }
}

/** The executable with answers piped one per line (stdin not a terminal). */
function piped(args: string[], lines: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.stdin.end(lines.map((l) => `${l}\n`).join(''));
    p.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

/** The answers in the order asked, for a self-signed console certificate. */
function answers(o: { dataDir: string; port: number; dockId?: string; tz?: string; adminPw?: string; supPw?: string; tls?: string[] }): string[] {
  return [
    o.dockId ?? 'dock-piped',
    o.tz ?? '',
    o.dataDir,
    `127.0.0.1:${o.port}`,
    'admin',
    o.adminPw ?? ADMIN_PW,
    o.adminPw ?? ADMIN_PW,
    'sup1',
    o.supPw ?? SUP_PW,
    o.supPw ?? SUP_PW,
    '246810',
    '246810',
    ...(o.tls ?? ['1']),
  ];
}

/** Everything a case folder holds (to show that a refused setup wrote nothing). */
const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);
const tmpLeftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith('bwc-setup-tls-'));

/** An HTTPS request that trusts only `caPem`; answers the status, the body, the cookie and the served certificate's fingerprint. */
function https(url: string, caPem: string, opts: { method?: string; body?: unknown; cookie?: string; csrf?: string } = {}) {
  return new Promise<{ status: number; body: any; cookie: string | null; fingerprint: string }>((res, rej) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: caPem,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}) },
      },
      (r) => {
        const fingerprint = (r.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        r.on('data', (c) => (text += c));
        r.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          res({ status: r.statusCode ?? 0, body: parsed, cookie: r.headers['set-cookie']?.[0]?.split(';')[0] ?? null, fingerprint });
        });
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

/** Start the daemon on a written config (optionally as another user), wait for its console, and stop it after `fn`. */
async function withDaemon(configFile: string, fn: (url: string) => Promise<void>, asUser?: number): Promise<string> {
  const args = [cli, 'start', '--config', configFile];
  const p =
    asUser === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  p.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number>((res) => p.on('exit', (code) => res(code ?? -1)));
  try {
    const deadline = Date.now() + 60_000;
    let url: string | null = null;
    while (!url) {
      const m = /"url":"(https:[^"]+)","msg":"console listening"/.exec(out);
      if (m) url = m[1]!;
      else if (Date.now() > deadline || p.exitCode !== null) throw new Error(`the daemon did not start:\n${out}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
    await fn(url);
  } finally {
    p.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  return out;
}

describe('bwc-dock setup at a terminal', () => {
  it('asks again after each bad answer with its reason, never shows a password, writes a config the daemon starts with, and the new administrator logs in over HTTPS', async () => {
    const dir = fresh();
    const configFile = join(dir, 'etc', 'config.json');
    mkdirSync(join(dir, 'etc'));
    // As install.sh leaves it: the example config is there already, so setup replaces its answers (--force).
    writeFileSync(configFile, JSON.stringify(baseConfig(dir)));
    const p0 = port();
    const t = new Terminal(['setup', '--config', configFile, '--force']);
    await t.answer('dock id', 'bad id!');
    await t.waitFor('letters, digits');
    await t.answer('dock id', 'dock-pty');
    await t.answer('time zone [Asia/Shanghai]', 'Mars/Olympus');
    await t.waitFor('is not an IANA time zone');
    await t.answer('time zone', '');
    await t.answer('data folder', 'relative/data');
    await t.waitFor('absolute path');
    await t.answer('data folder', join(dir, 'data'));
    await t.answer('console address', `127.0.0.1:${p0}`);
    await t.answer("administrator's username [admin]", '');
    await t.answer("administrator's password", 'short');
    await t.waitFor('at least 12 characters');
    await t.answer("administrator's password", 'password1234');
    await t.waitFor('common passwords');
    await t.answer("administrator's password", ADMIN_PW);
    await t.answer("administrator's password again", `${ADMIN_PW}x`);
    await t.waitFor('the two entries differ');
    await t.answer("administrator's password", ADMIN_PW);
    await t.answer("administrator's password again", ADMIN_PW);
    await t.answer("supervisor's username", 'admin');
    await t.waitFor("the administrator's username");
    await t.answer("supervisor's username", 'sup1');
    await t.answer("supervisor's password", ADMIN_PW);
    await t.waitFor("the same as the administrator's");
    await t.answer("supervisor's password", SUP_PW);
    await t.answer("supervisor's password again", SUP_PW);
    await t.answer("recorders' admin password", '12345');
    await t.waitFor('6 digits');
    await t.answer("recorders' admin password", '246810');
    await t.answer("recorders' password again", '246810');
    await t.answer('console certificate', '3');
    await t.waitFor('answer 1 or 2');
    await t.answer('console certificate', '');
    const done = await t.waitFor(/fingerprint[^\n]*\n\s*([0-9A-F]{2}(:[0-9A-F]{2}){31})/);
    t.end();
    expect(await t.exited).toBe(0);
    const shown = /([0-9A-F]{2}(:[0-9A-F]{2}){31})/.exec(done)![1]!;

    // Nothing secret reached the terminal: the passwords typed were never echoed.
    for (const secret of [ADMIN_PW, SUP_PW, '246810', 'password1234']) expect(t.text).not.toContain(secret);

    // The config validates, kept the base's keys, and says what was answered.
    const config = loadConfig(configFile, {});
    expect(config).toMatchObject({
      dockId: 'dock-pty',
      timezone: 'Asia/Shanghai',
      dataDir: join(dir, 'data'),
      recorders: { adminPassword: '246810' },
      clock: { assumeSynced: true },
    });
    expect(config.console).toMatchObject({ host: '127.0.0.1', port: p0, tls: { cert: join(dir, 'etc', 'tls', 'console.crt'), key: join(dir, 'etc', 'tls', 'console.key') } });
    expect(config.detect.mountRoot).toBe(join(dir, 'media'));
    // The files as the daemon's checks want them: the key 0600 (the rule of the dock key), the config 0640.
    expect(statSync(configFile).mode & 0o777).toBe(0o640);
    expect(statSync(config.console.tls!.key).mode & 0o777).toBe(0o600);
    expect(() => assertPrivateKeySafe(config.console.tls!.key)).not.toThrow();
    const certPem = readFileSync(config.console.tls!.cert, 'utf8');
    expect(new X509Certificate(certPem).fingerprint256).toBe(shown);
    expect(listing(join(dir, 'etc')).filter((f) => f.includes('.bwc-dock-setup-'))).toEqual([]);

    // The accounts are in the ledger as the console makes them (scrypt), with their audit entries by the CLI.
    const ledger = Ledger.open(join(dir, 'data', 'ledger.sqlite'), (ms) => new Date(ms).toISOString());
    try {
      expect(ledger.users.list().map((u) => [u.username, u.role, u.mustChangePassword, u.pending])).toEqual([
        ['admin', 'admin', false, null],
        ['sup1', 'supervisor', false, null],
      ]);
      expect(ledger.audit.list({ limit: 10, action: 'user.added' }).map((e) => [e.actor, e.subject])).toEqual(
        expect.arrayContaining([
          ['cli', 'admin'],
          ['cli', 'sup1'],
        ]),
      );
      expect(ledger.audit.verify().ok).toBe(true);
    } finally {
      ledger.close();
    }

    // The daemon starts with it (its own start-up checks pass), serves the certificate shown, and the new accounts log in.
    const out = await withDaemon(configFile, async (url) => {
      expect(url).toBe(`https://127.0.0.1:${p0}`);
      const login = await https(`${url}/api/login`, certPem, { method: 'POST', body: { username: 'admin', password: ADMIN_PW } });
      expect(login).toMatchObject({ status: 200, body: { role: 'admin' } });
      expect(login.fingerprint).toBe(shown);
      const audit = await https(`${url}/api/audit?action=user.added`, certPem, { cookie: login.cookie! });
      expect(audit.status).toBe(200);
      expect(audit.body.items.map((e: { subject: string }) => e.subject).sort()).toEqual(['admin', 'sup1']);
      expect(await https(`${url}/api/login`, certPem, { method: 'POST', body: { username: 'sup1', password: SUP_PW } })).toMatchObject({
        status: 200,
        body: { role: 'supervisor' },
      });
      expect((await https(`${url}/api/login`, certPem, { method: 'POST', body: { username: 'admin', password: SUP_PW } })).status).toBe(401);
    });
    expect(out).toContain('dock started');
  }, 120_000);

  it.each([
    ['Ctrl-C', '\x03', 130, 'interrupted: nothing was written'],
    ['Ctrl-D', '\x04', 2, 'input ended before the setup was done'],
  ])(
    '%s in the middle writes nothing',
    async (_name, key, code, message) => {
      const dir = fresh();
      const configFile = join(dir, 'etc', 'config.json');
      const before = tmpLeftovers();
      const t = new Terminal(['setup', '--config', configFile]);
      await t.answer('dock id', 'dock-cut');
      await t.answer('time zone', '');
      await t.answer('data folder', join(dir, 'data'));
      await t.answer('console address', `127.0.0.1:${port()}`);
      await t.answer("administrator's username", '');
      await t.waitFor("administrator's password");
      t.type('half a passw');
      t.type(key === '\x04' ? '\x15\x04' : key); // Ctrl-D ends input on an empty line: clear the line first (Ctrl-U)
      await t.waitFor(message);
      t.end();
      expect(await t.exited).toBe(code);
      expect(listing(dir)).toEqual([]);
      expect(tmpLeftovers()).toEqual(before);
    },
    60_000,
  );
});

describe('bwc-dock setup with answers on stdin', () => {
  it('writes a config that validates and accounts that authenticate, from no config at all', async () => {
    const dir = fresh();
    const configFile = join(dir, 'etc', 'config.json');
    const r = await piped(['setup', '--config', configFile], answers({ dataDir: join(dir, 'data'), port: port(), tz: 'asia/shanghai' }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dock-piped');
    for (const secret of [ADMIN_PW, SUP_PW, '246810']) expect(r.stdout).not.toContain(secret);
    const config = loadConfig(configFile, {});
    expect(config).toMatchObject({ dockId: 'dock-piped', timezone: 'Asia/Shanghai', recorders: { adminPassword: '246810' } });
    expect(statSync(join(dir, 'data', 'keys')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'data', 'ledger.sqlite')).mode & 0o007).toBe(0);
    const ledger = Ledger.open(join(dir, 'data', 'ledger.sqlite'), (ms) => new Date(ms).toISOString());
    try {
      expect((await ledger.users.authenticate('admin', ADMIN_PW))?.user.role).toBe('admin');
      expect((await ledger.users.authenticate('sup1', SUP_PW))?.user.role).toBe('supervisor');
    } finally {
      ledger.close();
    }
  }, 60_000);

  it.each([
    ['a bad time zone', { tz: 'Mars/Olympus' }, 'time zone', 'not an IANA time zone'],
    ['a short password', { adminPw: 'short' }, "administrator's password", 'at least 12 characters'],
    ['a common password', { adminPw: 'password1234' }, "administrator's password", 'common passwords'],
  ])('refuses %s with exit 2 naming the question, and writes nothing', async (_name, o, question, reason) => {
    const dir = fresh();
    const r = await piped(['setup', '--config', join(dir, 'etc', 'config.json')], answers({ dataDir: join(dir, 'data'), port: port(), ...o }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(question);
    expect(r.stderr).toContain(reason);
    expect(listing(dir)).toEqual([]);
  });

  it('refuses to replace an existing config without --force, and leaves it as it was', async () => {
    const dir = fresh();
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, '{ "dockId": "keep-me" }\n');
    const r = await piped(['setup', '--config', configFile], answers({ dataDir: join(dir, 'data'), port: port() }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exists already: pass --force/);
    expect(readFileSync(configFile, 'utf8')).toBe('{ "dockId": "keep-me" }\n');
    expect(listing(dir)).toEqual(['config.json']);
  });

  it('refuses a data folder another bwc-dock process holds (a running daemon)', async () => {
    const dir = fresh();
    const dataDir = join(dir, 'data');
    const held = lockDataDir(dataDir, 'daemon'); // the daemon's own lock, held by this process
    try {
      const r = await piped(['setup', '--config', join(dir, 'etc', 'config.json')], answers({ dataDir, port: port() }));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('data folder');
      expect(r.stderr).toContain('stop it first');
    } finally {
      held.release();
    }
    expect(listing(dir)).toEqual(['data', 'data/daemon.lock']);
  });

  it('ends with exit 2 and writes nothing when the answers run out', async () => {
    const dir = fresh();
    const r = await piped(['setup', '--config', join(dir, 'etc', 'config.json')], answers({ dataDir: join(dir, 'data'), port: port() }).slice(0, 7));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('input ended before the setup was done');
    expect(listing(dir)).toEqual([]);
  });

  describe("the agency's certificate", () => {
    const dir = fresh();
    const openssl = (args: string[], opts: { faketime?: string } = {}) =>
      opts.faketime ? execFileSync('faketime', [opts.faketime, 'openssl', ...args], { stdio: 'ignore' }) : execFileSync('openssl', args, { stdio: 'ignore' });
    const cert = (name: string, faketime?: string) => {
      openssl(
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '30',
          '-subj',
          '/CN=dock.agency.example',
          '-addext',
          'subjectAltName=DNS:dock.agency.example',
          '-keyout',
          join(dir, `${name}.key`),
          '-out',
          join(dir, `${name}.crt`),
        ],
        faketime ? { faketime } : {},
      );
      return { crt: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    };
    const good = cert('good');
    const other = cert('other');
    const expired = cert('expired', '2020-01-01 00:00:00');
    openssl(['pkey', '-in', good.key, '-aes256', '-passout', 'pass:secret', '-out', join(dir, 'locked.key')]);

    it.each([
      ["a key that is not the certificate's", [good.crt, other.key], 'the key is not the key of this certificate'],
      ['an expired certificate', [expired.crt, expired.key], 'the certificate expired'],
      ['a key behind a passphrase', [good.crt, join(dir, 'locked.key')], 'protected by a passphrase'],
      ['a file that is not a certificate', [good.key, good.key], 'is not a PEM certificate'],
    ])('refuses %s with exit 2 and writes nothing', async (_name, files, reason) => {
      const caseDir = fresh();
      const r = await piped(['setup', '--config', join(caseDir, 'etc', 'config.json')], answers({ dataDir: join(caseDir, 'data'), port: port(), tls: ['2', ...files] }));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(reason);
      expect(listing(caseDir)).toEqual([]);
    });

    it('copies a matching pair beside the config (key 0600), shows its fingerprint, and answers to the names it carries', async () => {
      const caseDir = fresh();
      const configFile = join(caseDir, 'etc', 'config.json');
      const r = await piped(['setup', '--config', configFile], answers({ dataDir: join(caseDir, 'data'), port: port(), tls: ['2', good.crt, good.key] }));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const config = loadConfig(configFile, {});
      expect(readFileSync(config.console.tls!.cert, 'utf8')).toBe(readFileSync(good.crt, 'utf8'));
      expect(readFileSync(config.console.tls!.key, 'utf8')).toBe(readFileSync(good.key, 'utf8'));
      expect(statSync(config.console.tls!.key).mode & 0o777).toBe(0o600);
      expect(r.stdout).toContain(new X509Certificate(readFileSync(good.crt)).fingerprint256);
      expect(config.console.allowedHosts).toContain('dock.agency.example');
    }, 60_000);
  });

  it('as root for a service user: the daemon, run as that user, accepts every file setup made and starts', async () => {
    if (process.getuid?.() !== 0) return; // chown needs root (CI runs as root)
    const dir = fresh();
    const configFile = join(dir, 'etc', 'config.json');
    mkdirSync(join(dir, 'etc'));
    writeFileSync(configFile, JSON.stringify(baseConfig(dir)));
    const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const p0 = port();
    const r = await piped(['setup', '--config', configFile, '--force', '--service-user', 'nobody'], answers({ dataDir: join(dir, 'data'), port: p0 }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = loadConfig(configFile, {});
    expect(statSync(config.console.tls!.key).uid).toBe(nobody);
    expect(statSync(join(dir, 'data', 'ledger.sqlite')).uid).toBe(nobody);
    expect(statSync(join(dir, 'data', 'keys')).uid).toBe(nobody);
    expect(() => assertPrivateKeySafe(config.console.tls!.key, nobody)).not.toThrow();
    const certPem = readFileSync(config.console.tls!.cert, 'utf8');
    await withDaemon(
      configFile,
      async (url) => {
        expect(await https(`${url}/api/login`, certPem, { method: 'POST', body: { username: 'admin', password: ADMIN_PW } })).toMatchObject({
          status: 200,
          body: { role: 'admin' },
        });
      },
      nobody,
    );
    // The daemon, as nobody, made its dock key in the keys/ folder setup made, and its own checks accepted it.
    expect(statSync(join(dir, 'data', 'keys', 'dock.key')).uid).toBe(nobody);
  }, 120_000);
});
