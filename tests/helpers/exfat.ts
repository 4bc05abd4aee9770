import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A real exFAT volume through FUSE on a loop device (TESTING.md "Volumes"): what a recorder exposes in
 * mass-storage mode. Killing its FUSE process yanks it: reads of uncached pages fail with ENOTCONN.
 */
export class ExfatVolume {
  private fusePid: number | null = null;
  private mountedAt: string | null = null;

  private constructor(
    readonly image: string,
    readonly loop: string,
    readonly label: string,
  ) {}

  static create(dir: string, label: string, sizeMiB = 256): ExfatVolume {
    const image = join(dir, `${label}.img`);
    execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
    execFileSync('mkfs.exfat', ['-L', label, image], { stdio: 'ignore' });
    const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    return new ExfatVolume(image, loop, label);
  }

  /** Mount; the FUSE daemon's PID is kept so a test can kill exactly it. */
  async mount(at: string): Promise<void> {
    mkdirSync(at, { recursive: true });
    execFileSync('mount.exfat-fuse', [this.loop, at], { stdio: 'ignore' });
    this.mountedAt = at;
    const pid = execFileSync('pgrep', ['-f', `^mount.exfat-fuse ${this.loop} ${at}$`], { encoding: 'utf8' }).trim().split('\n')[0];
    if (!pid) throw new Error(`no FUSE process for ${at}`);
    this.fusePid = Number(pid);
  }

  /** The FUSE process serving the mount, while mounted (a watchdog thread may resume it by this PID). */
  get pid(): number | null {
    return this.fusePid;
  }

  /** Clean unmount (EXIT_MSC): flushes and removes the mount point. */
  async unmount(): Promise<void> {
    if (!this.mountedAt) return;
    const at = this.mountedAt;
    execFileSync('umount', [at]);
    rmSync(at, { recursive: true, force: true });
    this.mountedAt = null;
    this.fusePid = null;
  }

  /**
   * Hang: stop the FUSE process, as a recorder's storage that stops answering without going away (a USB device in
   * error recovery). Every open, and every read of a page not yet cached, waits until `resume`.
   */
  stop(): void {
    if (this.fusePid) process.kill(this.fusePid, 'SIGSTOP');
  }

  resume(): void {
    if (this.fusePid) process.kill(this.fusePid, 'SIGCONT');
  }

  /** Yank: kill the FUSE process, as pulling the cable would end the USB device under it. */
  yank(): void {
    if (this.fusePid) process.kill(this.fusePid, 'SIGKILL');
    this.fusePid = null;
  }

  destroy(): void {
    this.resume(); // a stopped FUSE process would hold up the unmount
    if (this.mountedAt) {
      try {
        execFileSync('umount', ['-l', this.mountedAt]);
      } catch {
        /* already gone */
      }
      rmSync(this.mountedAt, { recursive: true, force: true });
    }
    if (this.fusePid) process.kill(this.fusePid, 'SIGKILL');
    try {
      execFileSync('losetup', ['-d', this.loop]);
    } catch {
      /* already detached */
    }
    rmSync(this.image, { force: true });
  }
}

/**
 * Until a thread of this process waits for an answer of a stopped FUSE volume (an open, a first read); with
 * `pageWait`, also for a page its readahead asked for (a read further into a file).
 */
export async function blockedOnVolume(pageWait = false): Promise<void> {
  const waits = pageWait ? /^(request_wait_answer|fuse_|folio_wait)/ : /^(request_wait_answer|fuse_)/;
  for (;;) {
    for (const t of readdirSync('/proc/self/task')) {
      try {
        if (waits.test(readFileSync(`/proc/self/task/${t}/wchan`, 'utf8'))) return;
      } catch {
        // the thread ended
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
