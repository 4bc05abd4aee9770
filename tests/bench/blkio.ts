/**
 * A cgroup v1 `blkio` group of the bench (TESTING.md "Throttled reads"): reads of a block device by the
 * processes in the group are held to `blkio.throttle.read_bps_device`. A FUSE volume is read by its FUSE
 * process, so that process is started inside the group (its children inherit it); writes are not limited.
 * The group is the bench's own (`bwc-bench-<pid>-<name>`) and is removed by `destroy()`, after the
 * processes in it are gone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const BLKIO = '/sys/fs/cgroup/blkio';

/** `MAJ:MIN` of a block device node (/dev/loop3 → 7:3), as the throttle files name it. */
export function majMin(device: string): string {
  return readFileSync(join('/sys/class/block', basename(device), 'dev'), 'utf8').trim();
}

export class BlkioGroup {
  private readonly limited = new Set<string>();

  private constructor(readonly path: string) {}

  /** Whether this machine has the cgroup v1 blkio throttle and we may use it (root). */
  static available(): boolean {
    return existsSync(join(BLKIO, 'blkio.throttle.read_bps_device')) && process.getuid?.() === 0;
  }

  static create(name: string): BlkioGroup {
    if (!BlkioGroup.available()) throw new Error(`bench: no cgroup v1 blkio throttle at ${BLKIO} (or not root): rated recorders need it`);
    const path = join(BLKIO, `bwc-bench-${process.pid}-${name}`);
    mkdirSync(path);
    return new BlkioGroup(path);
  }

  /** Limit reads of `device` (a node such as /dev/loop3) by the group's processes to `bytesPerSecond`; 0 lifts it. */
  limitReads(device: string, bytesPerSecond: number): void {
    const mm = majMin(device);
    writeFileSync(join(this.path, 'blkio.throttle.read_bps_device'), `${mm} ${Math.round(bytesPerSecond)}\n`);
    if (bytesPerSecond > 0) this.limited.add(mm);
    else this.limited.delete(mm);
  }

  /** Bytes read from `device` by the group's processes so far (the throttle's own count). */
  bytesRead(device: string): number {
    const mm = majMin(device);
    const text = readFileSync(join(this.path, 'blkio.throttle.io_service_bytes'), 'utf8');
    return Number(new RegExp(`^${mm} Read (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  }

  /** A command line that runs `file args…` inside the group: the shell joins it, then execs the command. */
  argv(file: string, args: string[]): [string, string[]] {
    return ['sh', ['-c', `echo $$ > '${join(this.path, 'cgroup.procs')}' && exec "$@"`, 'sh', file, ...args]];
  }

  /** PIDs in the group now. */
  pids(): number[] {
    try {
      return readFileSync(join(this.path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /**
   * Lift the limits and remove the group. Processes still in it are the bench's own (FUSE processes of
   * volumes whose unmount failed): they are killed first, by PID, so the group can go.
   */
  destroy(): void {
    if (!existsSync(this.path)) return;
    for (const mm of this.limited) {
      try {
        writeFileSync(join(this.path, 'blkio.throttle.read_bps_device'), `${mm} 0\n`);
      } catch {
        /* the device is gone already */
      }
    }
    this.limited.clear();
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited meanwhile */
      }
    }
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.path);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
        execFileSync('sleep', ['0.1']);
      }
    }
    throw new Error(`bench: cannot remove ${this.path}: ${this.pids().join(', ')} still in it`);
  }
}
