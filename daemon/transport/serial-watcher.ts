import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { Logger } from '../log.js';

/**
 * Finds recorder serial ports: paths matching `detect.serialGlobs` (a pty symlink counts). chokidar 4 has
 * no globs, so it watches each pattern's folder and picomatch decides.
 */
export class SerialWatcher {
  private watchers: FSWatcher[] = [];
  private readonly known = new Set<string>();
  private readonly scanners: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly globs: string[],
    private readonly log: Logger,
    private readonly onAttach: (path: string) => void,
    private readonly onDetach: (path: string) => void,
  ) {}

  /** The folder a glob's matches live in (globs here only wildcard the last component). */
  static folderOf(glob: string): string {
    const parts = glob.split('/');
    const i = parts.findIndex((p) => /[*?[\]{}!]/.test(p));
    return i < 0 ? dirname(glob) : parts.slice(0, i).join('/') || '/';
  }

  async start(): Promise<void> {
    const byFolder = new Map<string, Array<(p: string) => boolean>>();
    for (const g of this.globs) {
      const folder = SerialWatcher.folderOf(g);
      const list = byFolder.get(folder) ?? [];
      list.push(picomatch(g, { dot: true }));
      byFolder.set(folder, list);
    }
    for (const [folder, matchers] of byFolder) {
      const matches = (p: string) => matchers.some((m) => m(p));
      if (!existsSync(folder)) {
        // /dev/serial/by-id appears only with the first USB serial device: watch its parent chain lazily.
        try {
          mkdirSync(folder, { recursive: true });
        } catch {
          this.log.warn({ folder }, 'serial folder missing and cannot be created; watching skipped');
          continue;
        }
      }
      // Only the folder and its matching entries: in /dev every other node would get its own watch (and a warning
      // for each one the service may not read).
      const w = watch(folder, { depth: 0, ignoreInitial: true, followSymlinks: false, alwaysStat: false, ignored: (p: string) => p !== folder && !matches(p) });
      w.on('add', (p) => matches(p) && this.attach(p));
      // A link replaced at the same path can come through as 'change' when unlink and add coalesce.
      w.on('change', (p) => matches(p) && this.attach(p));
      w.on('unlink', (p) => matches(p) && this.detach(p));
      w.on('error', (e) => this.log.warn({ err: e, folder }, 'serial watcher error'));
      await new Promise<void>((r) => w.once('ready', () => r()));
      this.watchers.push(w);
      this.scanners.push(() => this.scan(folder, matches));
      this.scan(folder, matches);
    }
    // inotify can coalesce a quick unplug/replug into nothing: a cheap rescan catches it within a second.
    this.timer = setInterval(() => {
      for (const s of this.scanners) s();
    }, 1000);
    this.timer.unref();
  }

  private scan(folder: string, matches: (p: string) => boolean): void {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(folder, name);
      if (matches(p) && !this.known.has(p) && existsSync(p)) this.attach(p);
    }
  }

  private attach(p: string): void {
    if (this.known.has(p)) return;
    this.known.add(p);
    this.log.info({ port: p }, 'recorder port appeared');
    this.onAttach(p);
  }

  private detach(p: string): void {
    if (!this.known.delete(p)) return;
    this.log.info({ port: p }, 'recorder port gone');
    this.onDetach(p);
  }

  /**
   * A configured recorder was just plugged (USB hot-plug): look for its port at once and every 100 ms for
   * `forMs`, instead of waiting for inotify or the next 1 s rescan (its tty node follows the USB device shortly).
   */
  rescanSoon(forMs = 3000): void {
    const until = Date.now() + forMs;
    const tick = () => {
      for (const s of this.scanners) s();
      if (Date.now() < until && this.timer) setTimeout(tick, 100).unref();
    };
    tick();
  }

  /** Forget a port so a later `add` of the same path counts as a new docking. */
  forget(p: string): void {
    this.known.delete(p);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.watchers.map((w) => w.close()));
    this.watchers = [];
  }
}
