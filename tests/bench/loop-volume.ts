/**
 * A recorder's volume as the dock meets it over USB, for the rated bench: an exFAT image on its own loop
 * device (direct I/O, so the image file's page cache is not a second cache behind the device's), mounted
 * through exfat-fuse (this kernel has no exfat or vfat module). With a {@link BlkioGroup}, the FUSE process
 * runs inside it, so every read of the volume, by the dock or by `cp`, is held to the group's limit for this
 * loop device: a recorder's link speed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BlkioGroup } from './blkio.js';

const run = promisify(execFile);

/** exFAT cluster of the images: what cameras' cards of 64–256 GB are formatted with. */
const CLUSTER = '128K';

export class LoopVolume {
  private mountedAt: string | null = null;
  private shownAt: string | null = null;

  private constructor(
    readonly image: string,
    /** The loop device node, e.g. /dev/loop7. */
    readonly device: string,
    readonly label: string,
  ) {}

  /** A fresh exFAT image of room for `contentBytes` under `dir`, attached to a new loop device. */
  static create(dir: string, label: string, contentBytes: number): LoopVolume {
    const image = join(dir, `${label}.img`);
    const size = Math.ceil((contentBytes * 1.05 + 64 * 2 ** 20) / 2 ** 20);
    execFileSync('truncate', ['-s', `${size}M`, image]);
    execFileSync('mkfs.exfat', ['-c', CLUSTER, '-L', label, image], { stdio: 'ignore' });
    try {
      const device = execFileSync('losetup', ['-f', '--show', '--direct-io=on', image], { encoding: 'utf8' }).trim();
      return new LoopVolume(image, device, label);
    } catch (e) {
      rmSync(image, { force: true });
      throw e;
    }
  }

  get mountPoint(): string | null {
    return this.mountedAt;
  }

  /** Mount at `at` (made if missing); the FUSE process runs inside `group` when one is given. */
  async mount(at: string, group?: BlkioGroup): Promise<void> {
    if (this.mountedAt) throw new Error(`bench: ${this.label} is mounted at ${this.mountedAt} already`);
    mkdirSync(at, { recursive: true });
    const [file, args] = group ? group.argv('mount.exfat-fuse', [this.device, at]) : ['mount.exfat-fuse', [this.device, at]];
    await run(file, args);
    this.mountedAt = at;
  }

  /** Where the mounted volume is shown (bind-mounted), or null. */
  get shownPoint(): string | null {
    return this.shownAt;
  }

  /**
   * Show the mounted volume at `at` too, as a bind mount (a mount point of the volume's own device): how a
   * rated recorder's volume appears on ENTER_MSC, in a few milliseconds, where starting a FUSE process takes
   * seconds on a loaded machine and would be counted against the dock.
   */
  async show(at: string): Promise<void> {
    if (!this.mountedAt) throw new Error(`bench: ${this.label} is not mounted`);
    if (this.shownAt) throw new Error(`bench: ${this.label} is shown at ${this.shownAt} already`);
    mkdirSync(at, { recursive: true });
    await run('mount', ['--bind', this.mountedAt, at]);
    this.shownAt = at;
  }

  /** Take the bind mount away and remove its mount point; the volume stays mounted where it was. */
  async hide(): Promise<void> {
    const at = this.shownAt;
    if (!at) return;
    await umountPatiently(at);
    this.shownAt = null;
    removeMountPoint(at);
  }

  /** Unmount (the FUSE process flushes and exits) and remove the mount point; a busy volume is retried, then detached lazily. */
  async unmount(): Promise<void> {
    await this.hide();
    const at = this.mountedAt;
    if (!at) return;
    await umountPatiently(at);
    this.mountedAt = null;
    removeMountPoint(at);
  }

  /** Unmount if mounted, detach the loop device and delete the image; never throws (cleanup path). */
  destroy(): void {
    for (const at of [this.shownAt, this.mountedAt]) {
      if (!at) continue;
      try {
        execFileSync('umount', [at], { stdio: 'ignore' });
      } catch {
        try {
          execFileSync('umount', ['-l', at], { stdio: 'ignore' });
        } catch {
          /* not mounted any more */
        }
      }
      removeMountPoint(at);
    }
    this.shownAt = null;
    this.mountedAt = null;
    try {
      execFileSync('losetup', ['-d', this.device], { stdio: 'ignore' });
    } catch {
      /* detached already */
    }
    rmSync(this.image, { force: true });
  }
}

/** `umount at`, retried while busy (a reader closing its last file), then detached lazily. */
async function umountPatiently(at: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await run('umount', [at]);
      return;
    } catch (e) {
      if (i >= 20) {
        await run('umount', ['-l', at]).catch(() => undefined);
        return;
      }
      if (!/busy/i.test(String((e as { stderr?: string }).stderr ?? e))) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The empty folder a volume was mounted on; never recursive, so a volume still mounted there is left whole. */
function removeMountPoint(at: string): void {
  try {
    rmdirSync(at);
  } catch {
    /* gone, or still a mount point */
  }
}
