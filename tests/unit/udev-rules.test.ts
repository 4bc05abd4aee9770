import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../daemon/config.js';
import { udevRules } from '../../daemon/unit.js';

const root = join(import.meta.dirname, '../..');
const joined = (text: string) => text.replace(/\\\n/g, ' ').split('\n');

describe('udev rules from detect.usb (bwc-dock unit udev-rules)', () => {
  it('systemd/99-bwc-dock.rules is what install.sh writes for config.example.json', () => {
    const cfg = parseConfig(JSON.parse(readFileSync(join(root, 'systemd/config.example.json'), 'utf8')), {});
    expect(readFileSync(join(root, 'systemd/99-bwc-dock.rules'), 'utf8')).toBe(udevRules(cfg));
  });

  it('one block per recorder model, ids as udev spells them, mounts under detect.mountRoot', () => {
    const cfg = parseConfig({ detect: { usb: [{ vid: '0x1209', pid: '0x0001' }, { vid: '0x2A0B', pid: '0x00f1' }], mountRoot: '/srv/rec' } }, {});
    const lines = joined(udevRules(cfg));
    for (const [v, p] of [
      ['1209', '0001'],
      ['2a0b', '00f1'],
    ]) {
      const ids = `ATTRS{idVendor}=="${v}", ATTRS{idProduct}=="${p}"`;
      expect(lines.filter((l) => l.startsWith('SUBSYSTEM=="tty"') && l.includes(ids))).toHaveLength(1);
      const mount = lines.find((l) => l.includes(ids) && l.includes('systemd-mount --no-block'))!;
      expect(mount).toContain('$devnode /srv/rec/$env{ID_FS_LABEL}');
      expect(mount).toContain('ENV{ID_FS_TYPE}=="exfat|vfat"');
      expect(mount).toMatch(/--options=nodev,nosuid,noexec,/);
      // A recorder's volume is read as it is: no file system check (fsck -a repairs) before the mount.
      expect(mount).toContain('--fsck=no');
      expect(lines.some((l) => l.includes(ids) && l.includes('ATTR{events_poll_msecs}="500"'))).toBe(true);
      expect(mount).toContain('ENV{BWC_DOCK_MOUNT}="/srv/rec/$env{ID_FS_LABEL}"');
      expect(lines.some((l) => l.includes(ids) && l.includes('DISK_MEDIA_CHANGE') && l.includes('IMPORT{db}="BWC_DOCK_MOUNT"'))).toBe(true);
      expect(lines.some((l) => l.includes(ids) && l.includes('DISK_MEDIA_CHANGE') && l.includes('systemd-mount --umount $env{BWC_DOCK_MOUNT}'))).toBe(true);
    }
  });

  it('with detect.usb empty no rule matches a device', () => {
    const rules = udevRules(parseConfig({ detect: { usb: [] } }, {}));
    expect(rules.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([]);
  });
});
