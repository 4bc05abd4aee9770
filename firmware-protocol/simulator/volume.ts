import fs from 'node:fs';
import path from 'node:path';
import type { MscControl } from './handlers.js';
import type { SimLogger } from './device.js';
import type { RecorderState } from './state.js';

export interface VolumeOptions {
  /** The recorder's storage while not in mass-storage mode (same filesystem as `mountRoot`). */
  storageDir: string;
  /** Volumes appear as `<mountRoot>/<label>`. */
  mountRoot: string;
  /** How long after ENTER_MSC the volume appears (the spec allows up to 5 s). */
  appearDelayMs: number;
  log?: SimLogger;
}

/**
 * The recorder's storage as a folder that is renamed into `<mountRoot>/<label>` (atomically) after ENTER_MSC
 * and back out on EXIT_MSC or unplug. When the mount point is taken (another volume with that label),
 * it waits until it is free, as a second recorder with the same label does on a dock.
 */
export class RecorderVolume implements MscControl {
  private timer: NodeJS.Timeout | null = null;
  private mounted: string | null = null;
  private readonly waiters = new Set<(p: string) => void>();

  constructor(
    private readonly state: RecorderState,
    private readonly opts: VolumeOptions,
  ) {
    fs.mkdirSync(opts.storageDir, { recursive: true });
  }

  get storageDir(): string {
    return this.opts.storageDir;
  }

  /** Where the volume is mounted now, or null. */
  get mountedAt(): string | null {
    return this.mounted;
  }

  /** Resolves with the mount path once the volume is visible. */
  whenMounted(): Promise<string> {
    if (this.mounted) return Promise.resolve(this.mounted);
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  expose(): void {
    this.cancel();
    this.timer = setTimeout(() => this.tryMount(), this.opts.appearDelayMs);
  }

  private tryMount(): void {
    this.timer = null;
    const target = path.join(this.opts.mountRoot, this.state.label);
    try {
      fs.mkdirSync(this.opts.mountRoot, { recursive: true });
      if (fs.existsSync(target)) throw Object.assign(new Error('mount point busy'), { code: 'EBUSY' });
      fs.renameSync(this.opts.storageDir, target);
    } catch (e) {
      this.opts.log?.debug({ err: String(e), target }, 'simulator: volume cannot appear yet, retrying');
      this.timer = setTimeout(() => this.tryMount(), 100);
      return;
    }
    this.mounted = target;
    this.opts.log?.debug({ target }, 'simulator: volume mounted');
    for (const w of this.waiters) w(target);
    this.waiters.clear();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** EXIT_MSC: the volume goes away; the catalog forgets files the host deleted. */
  async withdraw(): Promise<void> {
    this.vanish();
  }

  /** EXIT_MSC or unplug: synchronous, so an unplug leaves no volume behind. */
  vanish(): void {
    this.cancel();
    if (this.mounted) {
      fs.renameSync(this.mounted, this.opts.storageDir);
      this.mounted = null;
    }
    this.rescan();
  }

  /** Drop catalog entries whose file is gone from storage. */
  rescan(): void {
    this.state.files = this.state.files.filter((f) => fs.existsSync(path.join(this.opts.storageDir, ...f.name.split('/'))));
  }

  /** Full path of a catalog file wherever the storage is now. */
  pathOf(name: string): string {
    return path.join(this.mounted ?? this.opts.storageDir, ...name.split('/'));
  }
}
