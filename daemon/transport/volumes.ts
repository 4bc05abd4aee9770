import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';

/** What `<mountRoot>/<label>` is right now. */
export interface VolumeProbe {
  /** A folder is there. */
  present: boolean;
  /** It is a mount point: its device differs from the mount root's (a file system is mounted on it). */
  mounted: boolean;
  /**
   * The look came back. False: it is still waiting in the file system after `answerMs` (a volume whose storage
   * stopped answering, e.g. its FUSE process stopped): then the folder is there, mounted, and cannot be read;
   * it is not gone.
   */
  answering: boolean;
}

/** What one look found; `empty` only for a folder that is not a mount point (a mounted volume is never listed here). */
interface Look {
  present: boolean;
  mounted: boolean;
  empty: boolean;
}

/** The wait was cancelled (an unplug, a stopping daemon). */
export class VolumeWaitAborted extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'VolumeWaitAborted';
  }
}

/**
 * Watches `<mountRoot>` for recorder volumes (`<mountRoot>/<label>`), mounted and unmounted by the
 * system. The daemon never mounts anything itself. A folder appearing is not a volume being ready:
 * systemd-mount makes the mount point first and mounts on it a moment later, so callers probe what the
 * folder is (`probe`) and wait for the next change (`nextChange`: a watcher event or a short poll).
 *
 * Nothing here touches a volume from the main thread: a recorder's storage can stop answering without going
 * away, and a synchronous stat of its mount point would then freeze the whole daemon (every slot, the console,
 * the copies' stall watch and the stop). A look runs in the I/O thread pool, one at a time per label: a look
 * still waiting is waited for again rather than doubled, since each one left waiting holds a thread of that pool.
 * The watch itself stats nothing (chokidar stats the mount root's entries on each event: every folder that came or
 * went left one more I/O thread waiting on a hung volume beside it).
 */
export class VolumeWatcher {
  private watcher: FSWatcher | null = null;
  /** Waiters of `nextChange`: `fn` on a change of their label, `stop` when the watcher stops. */
  private readonly listeners = new Set<{ label: string; fn: () => void; stop: (reason: string) => void }>();
  private readonly stopped = new AbortController();
  /** The look at each label still in the file system (at most one per label). */
  private readonly looking = new Map<string, Promise<Look>>();

  constructor(
    private readonly mountRoot: string,
    private readonly log: Logger,
    /** How long a look may take before the volume counts as not answering (`VolumeProbe.answering`). */
    private readonly answerMs = 2_000,
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.mountRoot, { recursive: true });
    // inotify on the mount root alone: the name of each entry that came, went or changed. Nothing inside a volume
    // is watched (an inotify watch inside a mounted volume must not stand in the way of its unmount); a folder
    // being filled, or a mount on an existing folder, is seen by the poll.
    this.watcher = watch(this.mountRoot, (_ev, name) => this.onEvent(name));
    this.watcher.on('error', (e) => this.log.warn({ err: e }, 'volume watcher error'));
  }

  private onEvent(name: string | null): void {
    // No name (an overflowed event queue): any label may have changed.
    if (name !== null && (name === '' || name.includes('/'))) return;
    this.log.debug({ label: name }, 'volume folder changed');
    for (const l of [...this.listeners]) if (name === null || l.label === name) l.fn();
  }

  /**
   * What `<mountRoot>/<label>` is now (the file system is asked, never a cached view). A look that has not come
   * back within `answerMs` answers `answering: false`; the next probe waits for that same look.
   */
  async probe(label: string): Promise<VolumeProbe> {
    const look = await this.lookWithin(label);
    return look ? { present: look.present, mounted: look.mounted, answering: true } : NOT_ANSWERING;
  }

  /** The look in flight for `label`, or a new one; null when it has not come back within `answerMs`. */
  private async lookWithin(label: string): Promise<Look | null> {
    let look = this.looking.get(label);
    if (!look) {
      look = this.look(label).finally(() => this.looking.delete(label));
      this.looking.set(label, look);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), this.answerMs)));
    try {
      return await Promise.race([look, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async look(label: string): Promise<Look> {
    const path = this.pathOf(label);
    try {
      const st = await lstat(path);
      if (!st.isDirectory()) return { present: false, mounted: false, empty: true };
      // The root as the folder it leads to: a mount root reached through a symlink lies on its target's device.
      if (st.dev !== (await stat(this.mountRoot)).dev) return { present: true, mounted: true, empty: false };
      return { present: true, mounted: false, empty: (await readdir(path)).length === 0 };
    } catch {
      // ENOENT, or ENOTCONN from a FUSE volume whose process died: no volume.
      return { present: false, mounted: false, empty: true };
    }
  }

  pathOf(label: string): string {
    return join(this.mountRoot, label);
  }

  /**
   * Resolve at the next sign of change under `<mountRoot>/<label>`: a watcher event, or `pollMs` passing (a
   * mount on an existing folder raises no event). Rejects with VolumeWaitAborted when `signal` fires or the
   * watcher stops.
   */
  nextChange(label: string, pollMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.stopped.signal.aborted) return reject(new VolumeWaitAborted(reasonOf(this.stopped.signal)));
      if (signal?.aborted) return reject(new VolumeWaitAborted(reasonOf(signal)));
      // The watcher's own stop reaches its waiters through `listeners`, not as one abort listener each on a
      // watcher-wide signal: twenty docked recorders wait at once, and an EventTarget warns past ten listeners.
      const l = { label, fn: () => finish(), stop: (reason: string) => finish(new VolumeWaitAborted(reason)) };
      const onAbort = () => finish(new VolumeWaitAborted(reasonOf(signal!)));
      const timer = setTimeout(() => finish(), pollMs);
      const finish = (e?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(l);
        signal?.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve();
      };
      this.listeners.add(l);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * No volume is there: no folder, or an empty folder that is not a mount point (a mount point left behind
   * after its unmount is no volume). A volume that does not answer is not gone.
   */
  async isGone(label: string): Promise<boolean> {
    const look = await this.lookWithin(label);
    return look !== null && (!look.present || (!look.mounted && look.empty));
  }

  /** Resolve once the volume is gone (see `isGone`): true when gone, false after `timeoutMs` (or a stop) with it still there. */
  async waitGone(label: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!(await this.isGone(label))) {
      if (Date.now() >= until) return false;
      try {
        await this.nextChange(label, Math.min(250, Math.max(1, until - Date.now())), signal);
      } catch {
        return this.isGone(label);
      }
    }
    return true;
  }

  /** Call `fn` once the volume is gone (see `waitGone`), however long that takes; returns the unsubscribe. */
  onceGone(label: string, fn: () => void): () => void {
    const ac = new AbortController();
    void (async () => {
      while (!ac.signal.aborted && !this.stopped.signal.aborted) {
        if (await this.waitGone(label, 60_000, ac.signal)) {
          if (!ac.signal.aborted) fn();
          return;
        }
      }
    })();
    return () => ac.abort();
  }

  async stop(): Promise<void> {
    this.stopped.abort('volume watcher stopped');
    for (const l of [...this.listeners]) l.stop('volume watcher stopped');
    this.listeners.clear();
    this.watcher?.close();
    this.watcher = null;
  }
}

const NOT_ANSWERING: VolumeProbe = Object.freeze({ present: true, mounted: true, answering: false });

function reasonOf(s: AbortSignal): string {
  const r: unknown = s.reason;
  if (typeof r === 'string') return r;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'wait aborted';
}
