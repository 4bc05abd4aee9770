import { mkdirSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';

interface Waiter {
  label: string;
  resolve: (path: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class VolumeTimeoutError extends Error {
  constructor(label: string, ms: number) {
    super(`volume ${label} did not appear under the mount root within ${ms} ms`);
    this.name = 'VolumeTimeoutError';
  }
}

/**
 * Watches `<mountRoot>` for recorder volumes (`<mountRoot>/<label>`), mounted and unmounted by the
 * system. The daemon never mounts anything itself.
 */
export class VolumeWatcher {
  private watcher: FSWatcher | null = null;
  private readonly present = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  private readonly goneListeners = new Map<string, Set<() => void>>();

  constructor(
    private readonly mountRoot: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.mountRoot, { recursive: true });
    for (const name of readdirSync(this.mountRoot)) if (this.isDir(name)) this.present.add(name);
    this.watcher = watch(this.mountRoot, { depth: 0, ignoreInitial: true, followSymlinks: false, usePolling: false });
    this.watcher.on('addDir', (p) => this.onAdd(p));
    this.watcher.on('unlinkDir', (p) => this.onGone(p));
    this.watcher.on('error', (e) => this.log.warn({ err: e }, 'volume watcher error'));
    await new Promise<void>((r) => this.watcher!.once('ready', () => r()));
  }

  private isDir(name: string): boolean {
    try {
      return lstatSync(join(this.mountRoot, name)).isDirectory();
    } catch {
      return false;
    }
  }

  private labelOf(p: string): string | null {
    const rel = p.slice(this.mountRoot.length).replace(/^\/+/, '');
    return rel && !rel.includes('/') ? rel : null;
  }

  private onAdd(p: string): void {
    const label = this.labelOf(p);
    if (!label) return;
    this.present.add(label);
    this.log.debug({ label }, 'volume appeared');
    for (const w of [...this.waiters]) {
      if (w.label === label) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(join(this.mountRoot, label));
      }
    }
  }

  private onGone(p: string): void {
    const label = this.labelOf(p);
    if (!label) return;
    this.present.delete(label);
    this.log.debug({ label }, 'volume gone');
    for (const fn of this.goneListeners.get(label) ?? []) fn();
  }

  isPresent(label: string): boolean {
    // The watcher may lag a rename by a few ms: ask the file system too.
    if (this.isDir(label)) {
      this.present.add(label);
      return true;
    }
    this.present.delete(label);
    return false;
  }

  pathOf(label: string): string {
    return join(this.mountRoot, label);
  }

  /** Resolve with the volume's path once `<mountRoot>/<label>` exists. */
  waitFor(label: string, timeoutMs: number): Promise<string> {
    if (this.isPresent(label)) return Promise.resolve(this.pathOf(label));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        label,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new VolumeTimeoutError(label, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Resolve once the volume is gone (immediately when it is not there). */
  waitGone(label: string, timeoutMs: number): Promise<boolean> {
    if (!this.isPresent(label)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        off();
        resolve(v);
      };
      const off = this.onceGone(label, () => done(true));
      const timer = setTimeout(() => done(!this.isPresent(label)), timeoutMs);
    });
  }

  /** Call `fn` when the volume goes; returns the unsubscribe function. */
  onceGone(label: string, fn: () => void): () => void {
    let set = this.goneListeners.get(label);
    if (!set) this.goneListeners.set(label, (set = new Set()));
    const wrapped = () => {
      set!.delete(wrapped);
      fn();
    };
    set.add(wrapped);
    return () => set!.delete(wrapped);
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('volume watcher stopped'));
    }
    this.waiters.clear();
    await this.watcher?.close();
    this.watcher = null;
  }
}
