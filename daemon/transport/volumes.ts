import { lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';

/** What `<mountRoot>/<label>` is right now. */
export interface VolumeProbe {
  /** A folder is there. */
  present: boolean;
  /** It is a mount point: its device differs from the mount root's (a file system is mounted on it). */
  mounted: boolean;
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
 */
export class VolumeWatcher {
  private watcher: FSWatcher | null = null;
  private readonly listeners = new Set<{ label: string; fn: () => void }>();
  private readonly stopped = new AbortController();

  constructor(
    private readonly mountRoot: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.mountRoot, { recursive: true });
    // depth 0: the mount root's own entries. Nothing inside a volume is watched (an inotify watch inside a
    // mounted volume must not stand in the way of its unmount); a folder being filled is seen by the poll.
    this.watcher = watch(this.mountRoot, { depth: 0, ignoreInitial: true, followSymlinks: false, usePolling: false });
    for (const ev of ['addDir', 'unlinkDir'] as const) this.watcher.on(ev, (p: string) => this.onEvent(ev, p));
    this.watcher.on('error', (e) => this.log.warn({ err: e }, 'volume watcher error'));
    await new Promise<void>((r) => this.watcher!.once('ready', () => r()));
  }

  private labelOf(p: string): string | null {
    const rel = p.slice(this.mountRoot.length).replace(/^\/+/, '');
    return rel && !rel.includes('/') ? rel : null;
  }

  private onEvent(ev: string, p: string): void {
    const label = this.labelOf(p);
    if (!label) return;
    this.log.debug({ label }, ev === 'addDir' ? 'volume folder appeared' : 'volume folder gone');
    for (const l of [...this.listeners]) if (l.label === label) l.fn();
  }

  /** What `<mountRoot>/<label>` is now (the file system is asked, never a cached view). */
  probe(label: string): VolumeProbe {
    try {
      const st = lstatSync(this.pathOf(label));
      if (!st.isDirectory()) return { present: false, mounted: false };
      // The root as the folder it leads to: a mount root reached through a symlink lies on its target's device.
      return { present: true, mounted: st.dev !== statSync(this.mountRoot).dev };
    } catch {
      // ENOENT, or ENOTCONN from a FUSE volume whose process died: no volume.
      return { present: false, mounted: false };
    }
  }

  isPresent(label: string): boolean {
    return this.probe(label).present;
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
      const signals = [this.stopped.signal, ...(signal ? [signal] : [])];
      const fired = signals.find((s) => s.aborted);
      if (fired) return reject(new VolumeWaitAborted(reasonOf(fired)));
      const l = { label, fn: () => finish() };
      const onAbort = (ev: Event) => finish(new VolumeWaitAborted(reasonOf(ev.target as AbortSignal)));
      const timer = setTimeout(() => finish(), pollMs);
      const finish = (e?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(l);
        for (const s of signals) s.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve();
      };
      this.listeners.add(l);
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * No volume is there: no folder, or an empty folder that is not a mount point (a mount point left behind
   * after its unmount is no volume).
   */
  isGone(label: string): boolean {
    const p = this.probe(label);
    if (!p.present) return true;
    if (p.mounted) return false;
    try {
      return readdirSync(this.pathOf(label)).length === 0;
    } catch {
      return true;
    }
  }

  /** Resolve once the volume is gone (see `isGone`): true when gone, false after `timeoutMs` (or a stop) with it still there. */
  async waitGone(label: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.isGone(label)) {
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
    this.listeners.clear();
    await this.watcher?.close();
    this.watcher = null;
  }
}

function reasonOf(s: AbortSignal): string {
  const r: unknown = s.reason;
  if (typeof r === 'string') return r;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'wait aborted';
}
