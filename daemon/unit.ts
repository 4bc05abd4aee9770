/**
 * The systemd drop-in that makes the static unit (systemd/bwc-dock.service) follow the config: the IP allow-list
 * (the unit denies every address but localhost) and the writable paths. install.sh writes it to
 * /etc/systemd/system/bwc-dock.service.d/50-from-config.conf; re-run `bwc-dock unit drop-in` after changing
 * `console.host`, `console.allowedHosts`, `upstream`, `dataDir`, `detect.mountRoot` or `offload.eraseAfterCommit`.
 * @module
 */
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { Config } from './config.js';

/** What the drop-in is computed from besides the config (injected by tests). */
export interface HostFacts {
  /** The host's interfaces (os.networkInterfaces()). */
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Addresses a name resolves to now. */
  resolved: Map<string, string[]>;
  /** The resolvers in /etc/resolv.conf (needed at run time when the daemon looks a name up). */
  nameservers: string[];
}

const DEFAULT_DATA = '/var/lib/bwc-dock';
const DEFAULT_MOUNT = '/run/bwc-dock/media';

const unbracket = (h: string) => h.replace(/^\[(.*)\]$/, '$1');
const isLoopback = (a: string) => a === '::1' || a.startsWith('127.') || a === 'localhost';
const isWildcard = (a: string) => a === '0.0.0.0' || a === '::';

/** The network (CIDR) of the interface holding `address`, or the address alone when no interface holds it. */
function networkOf(address: string, facts: HostFacts): { cidr: string; note?: string } {
  for (const list of Object.values(facts.interfaces)) {
    for (const i of list ?? []) if (i.address === address && i.cidr) return { cidr: maskedCidr(i.cidr) };
  }
  return { cidr: address, note: `no interface holds ${address}: only that address is allowed` };
}

/** `10.1.2.3/24` → `10.1.2.0/24` (systemd accepts either; the network reads better). */
function maskedCidr(cidr: string): string {
  const [addr, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (isIP(addr!) !== 4) return cidr;
  const n = addr!.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
}

function hostOfUrl(u: string): string | null {
  try {
    return unbracket(new URL(u).hostname) || null;
  } catch {
    return null;
  }
}

/** The names the drop-in needs resolved (console host, upstream endpoints), for {@link collectHostFacts}. */
function namesToResolve(config: Config): string[] {
  const names = new Set<string>();
  const add = (h: string | null) => {
    if (h && !isIP(h) && !isLoopback(h)) names.add(h);
  };
  add(unbracket(config.console.host));
  if (config.upstream) {
    add(hostOfUrl(config.upstream.s3.endpoint));
    add(hostOfUrl(config.upstream.postgres));
  }
  return [...names];
}

export async function collectHostFacts(config: Config): Promise<HostFacts> {
  const resolved = new Map<string, string[]>();
  for (const name of namesToResolve(config)) {
    try {
      resolved.set(name, (await lookup(name, { all: true })).map((a) => a.address));
    } catch {
      resolved.set(name, []);
    }
  }
  let nameservers: string[] = [];
  try {
    nameservers = readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((x): x is string => !!x && isIP(x) !== 0);
  } catch {
    nameservers = [];
  }
  return { interfaces: networkInterfaces(), resolved, nameservers };
}

/**
 * The drop-in text. IPAddressAllow (ingress and egress both; the unit has IPAddressDeny=any and localhost):
 * - `console.host` on loopback: nothing more; on one address: the network of the interface holding it (the console's
 *   clients are on that LAN); `0.0.0.0`/`::`: the network of every non-loopback interface; a name: what it resolves to.
 * - `console.allowedHosts` are names the dock answers to in the Host header, not client addresses: an entry that is
 *   an address is treated like `console.host`, names add nothing.
 * - `upstream`: the S3 endpoint's and the PostgreSQL server's addresses (resolved now), and the resolvers when any
 *   of them is a name (the daemon looks it up at run time).
 * Paths: dataDir and detect.mountRoot when not the unit's defaults; the mount root read-only when the daemon never
 * erases recorders (offload.eraseAfterCommit false).
 */
export function unitDropIn(config: Config, facts: HostFacts, configPath = '/etc/bwc-dock/config.json'): string {
  const allow = new Map<string, string>();
  const notes: string[] = [];
  const serve = (hostRaw: string, why: string) => {
    const host = unbracket(hostRaw);
    if (isLoopback(host)) return;
    if (isWildcard(host)) {
      for (const list of Object.values(facts.interfaces)) {
        for (const i of list ?? []) if (!i.internal && i.cidr && (host === '::' || i.family === 'IPv4')) allow.set(maskedCidr(i.cidr), `${why} (all interfaces)`);
      }
      return;
    }
    const addrs = isIP(host) ? [host] : (facts.resolved.get(host) ?? []);
    if (addrs.length === 0) notes.push(`${host} (${why}) did not resolve: nothing allowed for it`);
    for (const a of addrs) {
      if (isLoopback(a)) continue;
      const n = networkOf(a, facts);
      allow.set(n.cidr, why);
      if (n.note) notes.push(n.note);
    }
  };
  serve(config.console.host, 'console.host: the console and its clients');
  for (const h of config.console.allowedHosts) if (isIP(unbracket(h))) serve(h, 'console.allowedHosts');
  let needsDns = false;
  if (config.upstream) {
    for (const [u, why] of [
      [config.upstream.s3.endpoint, 'upstream.s3.endpoint'],
      [config.upstream.postgres, 'upstream.postgres'],
    ] as const) {
      const host = hostOfUrl(u);
      if (!host || isLoopback(host)) continue;
      const addrs = isIP(host) ? [host] : (facts.resolved.get(host) ?? []);
      if (!isIP(host)) needsDns = true;
      if (addrs.length === 0) notes.push(`${host} (${why}) did not resolve: nothing allowed for it`);
      for (const a of addrs) allow.set(a, why);
    }
  }
  if (needsDns) for (const ns of facts.nameservers) if (!isLoopback(ns)) allow.set(ns, 'the resolver (upstream names are looked up at run time)');

  const lines = [
    `# Written by \`bwc-dock unit drop-in --config ${configPath}\` (systemd/install.sh). Do not edit: change the config`,
    '# and re-run it, then `systemctl daemon-reload && systemctl restart bwc-dock`.',
    ...notes.map((n) => `# note: ${n}`),
    '[Service]',
  ];
  if (allow.size === 0) lines.push('# IPAddressAllow: localhost only (the unit\'s own line): the console is on loopback and there is no upstream.');
  for (const [cidr, why] of allow) lines.push(`# ${why}`, `IPAddressAllow=${cidr}`);
  const data = config.dataDir;
  const mount = config.detect.mountRoot;
  if (data !== DEFAULT_DATA) lines.push('# dataDir', `ReadWritePaths=${data}`);
  if (config.offload.eraseAfterCommit) {
    if (mount !== DEFAULT_MOUNT) lines.push('# detect.mountRoot: recorders are erased after signing (offload.eraseAfterCommit)', `ReadWritePaths=${mount}`);
  } else {
    lines.push('# offload.eraseAfterCommit is false: the daemon never writes to a recorder volume', `ReadOnlyPaths=${mount}`);
  }
  return lines.join('\n') + '\n';
}

/** `0x1209` → `1209` (udev's sysfs attributes are 4 lower-case hex digits). */
const hex4 = (h: string) => parseInt(h, 16).toString(16).padStart(4, '0');

/**
 * The udev rules for the recorder models of `detect.usb` (install.sh writes them to
 * /etc/udev/rules.d/99-bwc-dock.rules; re-run `bwc-dock unit udev-rules` after changing `detect.usb` or
 * `detect.mountRoot`). Per model:
 * - its serial (CDC-ACM) interface: group `bwc-dock`, tagged;
 * - its USB device node, readable by the service for hot-plug events;
 * - its disk: the medium is polled every 500 ms (`events_poll_msecs`): a recorder exposes its storage as a medium
 *   only in mass-storage mode, and without polling the kernel never looks for it;
 * - a medium with an exFAT or FAT file system and a label: mounted by `systemd-mount` at `<mountRoot>/<LABEL>`,
 *   owned by the service user, `nodev,nosuid,noexec`; no other file system type is ever mounted, so a device
 *   posing as a recorder cannot reach another kernel file-system driver; never checked first (`--fsck=no`): a
 *   check repairs (`fsck -a`), and a repair of a volume cut off mid-recording can truncate or drop the very file
 *   that is evidence before it is copied (and takes seconds per docking, minutes on a large card);
 * - the medium gone (EXIT_MSC: the device stays) or the device pulled: the mount is taken down (a pulled device's
 *   mount is stopped by systemd, the mount unit being bound to the device).
 * With `detect.usb` empty no rule matches any device: detection is by `detect.serialGlobs` only.
 */
export function udevRules(config: Config, configPath = '/etc/bwc-dock/config.json'): string {
  const mount = config.detect.mountRoot;
  const lines = [
    `# Written by \`bwc-dock unit udev-rules --config ${configPath}\` (systemd/install.sh) from detect.usb and`,
    '# detect.mountRoot. Do not edit: change the config and re-run it, then `udevadm control --reload-rules`.',
  ];
  if (config.detect.usb.length === 0) lines.push('# detect.usb is empty: no USB device is a recorder; ports are found by detect.serialGlobs only.');
  for (const u of config.detect.usb) {
    const vid = hex4(u.vid);
    const pid = hex4(u.pid);
    const dev = `SUBSYSTEMS=="usb", ATTRS{idVendor}=="${vid}", ATTRS{idProduct}=="${pid}"`;
    lines.push(
      '',
      `# Recorder model ${vid}:${pid}`,
      `SUBSYSTEM=="tty", ${dev}, GROUP="bwc-dock", MODE="0660", TAG+="bwc_recorder", ENV{ID_BWC_RECORDER}="1"`,
      `SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="${vid}", ATTR{idProduct}=="${pid}", GROUP="bwc-dock", MODE="0640", TAG+="bwc_recorder"`,
      `ACTION=="add", SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", ${dev}, ATTR{events_poll_msecs}="500"`,
      `ACTION=="add|change", SUBSYSTEM=="block", ENV{DEVTYPE}=="partition|disk", ENV{ID_FS_USAGE}=="filesystem", ENV{ID_FS_TYPE}=="exfat|vfat", ENV{ID_FS_LABEL}=="?*", ${dev}, \\`,
      `  TAG+="bwc_recorder", ENV{BWC_DOCK_MOUNT}="${mount}/$env{ID_FS_LABEL}", \\`,
      `  RUN{program}+="/usr/bin/systemd-mount --no-block --automount=no --collect --fsck=no --owner=bwc-dock --options=nodev,nosuid,noexec,uid=bwc-dock,gid=bwc-dock,fmask=0137,dmask=0027 $devnode ${mount}/$env{ID_FS_LABEL}"`,
      // The medium is gone but the device stays: nothing unmounts it by itself, and the label is no longer known
      // from the device: it is read back from the udev database, where the mount rule left it.
      `ACTION=="change", SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", ENV{DISK_MEDIA_CHANGE}=="1", ENV{ID_FS_TYPE}!="?*", ${dev}, IMPORT{db}="BWC_DOCK_MOUNT"`,
      `ACTION=="change", SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", ENV{DISK_MEDIA_CHANGE}=="1", ENV{ID_FS_TYPE}!="?*", ENV{BWC_DOCK_MOUNT}=="?*", ${dev}, \\`,
      `  RUN{program}+="/usr/bin/systemd-mount --umount $env{BWC_DOCK_MOUNT}"`,
    );
  }
  return lines.join('\n') + '\n';
}
