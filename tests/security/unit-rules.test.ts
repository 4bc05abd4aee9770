/**
 * Issue 13 item 12: the unit and the udev rules. The daemon runs with the system calls of an ordinary service, sees
 * no other process, shares no IPC, only its main process may notify systemd, and reaches no IP address the config
 * does not name; recorder volumes are mounted only when they carry a recorder's file system.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../daemon/cli.js';
import { parseConfig } from '../../daemon/config.js';
import { unitDropIn, type HostFacts } from '../../daemon/unit.js';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'zh-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const unitText = () => readFileSync(join(root, 'systemd/bwc-dock.service'), 'utf8');

/** `Key=value` lines of a unit section, every value of a repeated key in order. */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inside = false;
  for (const line of text.split('\n')) {
    const h = /^\[(.+)\]\s*$/.exec(line);
    if (h) inside = h[1] === name;
    else if (inside && /^[A-Za-z]+=/.test(line)) {
      const i = line.indexOf('=');
      out.set(line.slice(0, i), [...(out.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
    }
  }
  return out;
}

/** The unit as installed, with ExecStart pointing at this checkout (systemd-analyze needs the binaries to exist). */
function installed(dropIn?: string): string {
  const d = mkdtempSync(join(dir, 'u-'));
  writeFileSync(
    join(d, 'bwc-dock.service'),
    unitText().replace(/^ExecStart=.*$/m, `ExecStart=/usr/bin/perl ${join(root, 'systemd/notify-relay.pl')} ${process.execPath} ${join(root, 'dist/daemon/cli.js')} start --config /etc/bwc-dock/config.json`),
  );
  if (dropIn !== undefined) {
    mkdirSync(join(d, 'bwc-dock.service.d'));
    writeFileSync(join(d, 'bwc-dock.service.d', '50-from-config.conf'), dropIn);
  }
  return d;
}

/** systemd-analyze verify of the installed unit (and its drop-ins): the complaints about our files. */
function analyze(d: string): string[] {
  const out = execFileSync('sh', ['-c', 'SYSTEMD_UNIT_PATH="$1:" systemd-analyze verify bwc-dock.service 2>&1; echo "exit $?"', 'sh', d], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(d) || (/^exit /.test(l) && l !== 'exit 0'));
}

const facts = (over: Partial<HostFacts> = {}): HostFacts => ({
  interfaces: {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [{ address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.1.2.3/24' }],
    wlan0: [{ address: '192.168.7.20', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:02', internal: false, cidr: '192.168.7.20/24' }],
  },
  resolved: new Map(),
  nameservers: ['10.1.2.1'],
  ...over,
});
const tls = { cert: '/etc/bwc-dock/tls.crt', key: '/etc/bwc-dock/tls.key' };
const allowOf = (dropIn: string) => section(dropIn, 'Service').get('IPAddressAllow') ?? [];

describe('the service unit', () => {
  it('filters system calls, hides other processes, has its own IPC, accepts notifications only from its main process, denies IP but localhost', () => {
    const s = section(unitText(), 'Service');
    expect(s.get('SystemCallFilter')).toEqual(['@system-service']);
    expect(s.get('SystemCallErrorNumber')).toEqual(['EPERM']);
    expect(s.get('ProtectProc')).toEqual(['invisible']);
    expect(s.get('PrivateIPC')).toEqual(['yes']);
    expect(s.get('NotifyAccess')).toEqual(['main']);
    expect(s.get('IPAddressDeny')).toEqual(['any']);
    expect(s.get('IPAddressAllow')).toEqual(['localhost']);
    expect(s.get('RestartPreventExitStatus')).toEqual(['2']);
  });

  it('the recorder mount root is writable (the erase unlinks there), nothing else but the data dir', () => {
    const s = section(unitText(), 'Service');
    expect(s.get('ProtectSystem')).toEqual(['strict']);
    expect(s.get('ReadWritePaths')).toEqual(['/var/lib/bwc-dock', '/run/bwc-dock/media']);
    expect(s.get('ReadOnlyPaths') ?? []).not.toContain('/run/bwc-dock/media');
  });

  it('passes systemd-analyze verify as installed, with the drop-in made from the config', async () => {
    expect(analyze(installed())).toEqual([]);
    const cfg = parseConfig({ console: { host: '10.1.2.3', tls }, offload: { eraseAfterCommit: false }, dataDir: '/srv/bwc' }, {});
    const d = installed(unitDropIn(cfg, facts()));
    expect(analyze(d)).toEqual([]);
    // A drop-in systemd would ignore in part would be named (so the check can fail).
    expect(analyze(installed('[Service]\nIPAddressAllowed=10.0.0.0/8\n'))).toEqual([expect.stringContaining("Unknown key 'IPAddressAllowed'")]);
  });

  it('systemd-analyze security rates the unit\'s exposure low (at most 2.0 of 10)', () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', join(installed(), 'bwc-dock.service')], { encoding: 'utf8' });
    const level = Number(/Overall exposure level for bwc-dock\.service: ([\d.]+)/.exec(out)![1]);
    expect(level).toBeLessThanOrEqual(2.0);
  });

  it('the notify relay, the unit\'s main process, sends the daemon\'s READY and STOPPING from its own pid and exits as the daemon did', async () => {
    // A NOTIFY_SOCKET as systemd has it: a datagram socket that asks for the sender's credentials.
    const sock = join(dir, 'notify.sock');
    const recv = spawn('python3', [
      '-c',
      [
        'import socket,struct,sys',
        's=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.setsockopt(socket.SOL_SOCKET,socket.SO_PASSCRED,1); print("ready",flush=True); s.settimeout(60)',
        'while True:',
        '  m,a,_,_=s.recvmsg(4096,socket.CMSG_SPACE(12))',
        '  pid=[struct.unpack("iII",d[:12])[0] for l,t,d in a if t==socket.SCM_CREDENTIALS][0]',
        '  print(pid,m.decode(),flush=True)',
        '  if m==b"STOPPING=1": break',
      ].join('\n'),
      sock,
    ]);
    let got = '';
    recv.stdout.on('data', (c) => (got += c));
    recv.stderr.on('data', (c) => (got += c));
    const start = Date.now() + 10_000;
    while (!got.includes('ready')) {
      if (Date.now() > start) throw new Error(`the receiver did not start: ${got}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const data = join(dir, 'data');
    const cfgFile = join(dir, 'relay-config.json');
    mkdirSync(join(dir, 'media'), { recursive: true });
    writeFileSync(cfgFile, JSON.stringify({ log: { level: 'warn' }, dataDir: data, timezone: 'Asia/Shanghai', console: { port: 20000 + Math.floor(Math.random() * 20000) }, detect: { serialGlobs: [join(dir, 'dev', 'bwc-*')], usb: [], mountRoot: join(dir, 'media') }, clock: { assumeSynced: true } }));
    // Its own process group stands for the service's control group: systemd's SIGTERM reaches every process in it.
    const relay = spawn('/usr/bin/perl', [join(root, 'systemd/notify-relay.pl'), process.execPath, join(root, 'dist/daemon/cli.js'), 'start', '--config', cfgFile], {
      env: { ...process.env, NOTIFY_SOCKET: sock },
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    relay.stderr!.on('data', (c) => (got += c));
    const deadline = Date.now() + 30_000;
    while (!got.includes('READY=1')) {
      if (Date.now() > deadline) throw new Error(`no READY=1: ${got}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const exit = new Promise<number | null>((r) => relay.once('exit', (c) => r(c)));
    process.kill(-relay.pid!, 'SIGTERM');
    const code = await exit;
    if (recv.exitCode === null) await new Promise((r) => recv.once('exit', r));
    expect(code).toBe(0);
    const lines = got.split('\n').filter((l) => /=1$/.test(l));
    expect(lines).toEqual([`${relay.pid} READY=1`, `${relay.pid} STOPPING=1`]);
  });
});

describe('the drop-in follows the config', () => {
  it('console on loopback, no upstream: localhost only, writable paths as the unit has them', () => {
    const d = unitDropIn(parseConfig({}, {}), facts());
    expect(allowOf(d)).toEqual([]);
    expect(section(d, 'Service').get('ReadWritePaths')).toBeUndefined();
    expect(section(d, 'Service').get('ReadOnlyPaths')).toBeUndefined();
  });

  it('console on a LAN address: that LAN; on 0.0.0.0: every interface\'s LAN; an address in allowedHosts: its LAN; names in allowedHosts: nothing', () => {
    expect(allowOf(unitDropIn(parseConfig({ console: { host: '10.1.2.3', tls } }, {}), facts()))).toEqual(['10.1.2.0/24']);
    expect(allowOf(unitDropIn(parseConfig({ console: { host: '0.0.0.0', tls } }, {}), facts()))).toEqual(['10.1.2.0/24', '192.168.7.0/24']);
    expect(allowOf(unitDropIn(parseConfig({ console: { host: '127.0.0.1', allowedHosts: ['dock7.example', '192.168.7.20'] } }, {}), facts()))).toEqual(['192.168.7.0/24']);
  });

  it('upstream by name: its addresses as resolved now, and the resolver; by address: just that address', () => {
    const upstream = (endpoint: string, pg: string) => ({ s3: { endpoint, region: 'r', bucket: 'b', accessKeyId: 'k', secretAccessKey: 's' }, postgres: pg });
    const byName = parseConfig({ upstream: upstream('https://s3.agency.example:9000', 'postgres://bwc@db.agency.example/ledger') }, {});
    expect(allowOf(unitDropIn(byName, facts({ resolved: new Map([['s3.agency.example', ['172.16.0.10']], ['db.agency.example', ['172.16.0.11']]]) })))).toEqual(['172.16.0.10', '172.16.0.11', '10.1.2.1']);
    const byAddress = parseConfig({ upstream: upstream('http://172.16.0.10:9000', 'postgres://bwc@172.16.0.11/ledger') }, {});
    expect(allowOf(unitDropIn(byAddress, facts()))).toEqual(['172.16.0.10', '172.16.0.11']);
  });

  it('paths: another data dir and mount root are made writable; a dock that never erases keeps the mount root read-only', () => {
    const moved = section(unitDropIn(parseConfig({ dataDir: '/srv/bwc', detect: { mountRoot: '/media/bwc' } }, {}), facts()), 'Service');
    expect(moved.get('ReadWritePaths')).toEqual(['/srv/bwc', '/media/bwc']);
    const noErase = section(unitDropIn(parseConfig({ offload: { eraseAfterCommit: false } }, {}), facts()), 'Service');
    expect(noErase.get('ReadOnlyPaths')).toEqual(['/run/bwc-dock/media']);
  });

  it('bwc-dock unit drop-in prints it for a config file', async () => {
    const file = join(dir, 'dropin-config.json');
    writeFileSync(file, JSON.stringify({ console: { host: '127.0.0.1' }, offload: { eraseAfterCommit: false } }));
    let out = '';
    const code = await main(['unit', 'drop-in', '--config', file], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } });
    expect(code).toBe(0);
    expect(out).toMatch(/^\[Service\]$/m);
    expect(out).toMatch(/^ReadOnlyPaths=\/run\/bwc-dock\/media$/m);
  });
});

describe('the udev rules', () => {
  /** The rule line (continuations joined) that mounts a block device, and whether its ENV conditions hold for `env`. */
  function mountRuleMatches(env: Record<string, string>): boolean {
    const rules = readFileSync(join(root, 'systemd/99-bwc-dock.rules'), 'utf8').replace(/\\\n/g, ' ');
    const line = rules.split('\n').find((l) => /SUBSYSTEM=="block"/.test(l) && l.includes('systemd-mount'))!;
    for (const [, key, pattern] of line.matchAll(/ENV\{(\w+)\}=="([^"]*)"/g)) {
      const value = env[key!] ?? '';
      const ok = pattern!.split('|').some((p) => new RegExp(`^${p.replace(/[.+^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value));
      if (!ok) return false;
    }
    return true;
  }
  const recorderVolume = { DEVTYPE: 'partition', ID_FS_USAGE: 'filesystem', ID_FS_LABEL: 'BWCA000001' };

  it('mounts a recorder\'s exFAT or FAT volume', () => {
    expect(mountRuleMatches({ ...recorderVolume, ID_FS_TYPE: 'exfat' })).toBe(true);
    expect(mountRuleMatches({ ...recorderVolume, ID_FS_TYPE: 'vfat' })).toBe(true);
  });

  it.each(['ext4', 'ntfs', 'iso9660', 'btrfs', 'squashfs', 'hfsplus', ''])('never mounts a device with the recorder\'s ids but file system "%s"', (fs) => {
    expect(mountRuleMatches({ ...recorderVolume, ID_FS_TYPE: fs })).toBe(false);
  });
});
