import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../daemon/config.js';

const root = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'bwc-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('systemd unit and udev rules', () => {
  it('the service unit passes systemd-analyze verify (against the built CLI)', () => {
    const unit = readFileSync(join(root, 'systemd/bwc-dock.service'), 'utf8').replace(
      /^ExecStart=.*$/m,
      `ExecStart=/usr/bin/perl ${join(root, 'systemd/notify-relay.pl')} ${process.execPath} ${join(root, 'dist/daemon/cli.js')} start --config /etc/bwc-dock/config.json`,
    );
    const file = join(dir, 'bwc-dock.service');
    writeFileSync(file, unit);
    const out = execFileSync('systemd-analyze', ['verify', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).not.toMatch(/bwc-dock\.service:\d+:/);
  });

  it('is hardened as the appliance needs', () => {
    const unit = readFileSync(join(root, 'systemd/bwc-dock.service'), 'utf8');
    for (const line of ['User=bwc-dock', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/bwc-dock', 'NoNewPrivileges=yes', 'Restart=on-failure', 'Type=notify', 'DevicePolicy=closed']) {
      expect(unit).toContain(line);
    }
    // Issue 13 item 12 (tests/security/unit-rules.test.ts has the rest): system calls, /proc, IPC, notify, IP.
    for (const line of ['SystemCallFilter=@system-service', 'ProtectProc=invisible', 'PrivateIPC=yes', 'NotifyAccess=main', 'IPAddressDeny=any', 'IPAddressAllow=localhost', 'ReadWritePaths=/run/bwc-dock/media']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).not.toMatch(/^NotifyAccess=all$/m);
    expect(unit).not.toMatch(/^ReadOnlyPaths=\/run\/bwc-dock\/media$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/perl \/opt\/bwc-dock\/systemd\/notify-relay\.pl \/usr\/bin\/node /m);
  });

  it('udev rules tag the reference recorder and mount its volume by label under the mount root', () => {
    const rules = readFileSync(join(root, 'systemd/99-bwc-dock.rules'), 'utf8');
    const cfg = parseConfig(JSON.parse(readFileSync(join(root, 'systemd/config.example.json'), 'utf8')), {});
    const vid = cfg.detect.usb[0]!.vid.slice(2);
    const pid = cfg.detect.usb[0]!.pid.slice(2);
    expect(rules).toContain(`ATTRS{idVendor}=="${vid}", ATTRS{idProduct}=="${pid}"`);
    expect(rules).toMatch(new RegExp(`systemd-mount .*\\$devnode ${cfg.detect.mountRoot}/\\$env\\{ID_FS_LABEL\\}`));
    expect(rules).toContain('--owner=bwc-dock');
    expect(rules).toMatch(/noexec/);
    expect(rules).toContain('ENV{ID_FS_TYPE}=="exfat|vfat"');
  });

  it('the tmpfiles entry creates the mount root and data dir for the service user', () => {
    const t = readFileSync(join(root, 'systemd/bwc-dock.tmpfiles'), 'utf8');
    expect(t).toMatch(/^d \/run\/bwc-dock\/media 0750 bwc-dock bwc-dock/m);
    expect(t).toMatch(/^d \/var\/lib\/bwc-dock 0750 bwc-dock bwc-dock/m);
  });

  it('the install script is valid shell', () => {
    execFileSync('bash', ['-n', join(root, 'systemd/install.sh')]);
  });
});
