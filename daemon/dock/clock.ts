import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { DockClock } from './context.js';

/**
 * The dock's reference clock. Synchronised when `clock.assumeSynced` says so, or when the system reports
 * it: systemd-timesyncd's flag file, else `timedatectl show -p NTPSynchronized`. Re-checked once a minute.
 */
export class SystemClock implements DockClock {
  private state = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly assumeSynced: boolean) {}

  now(): number {
    return Date.now();
  }

  synced(): boolean {
    return this.assumeSynced || this.state;
  }

  async start(): Promise<void> {
    if (this.assumeSynced) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), 60_000);
    this.timer.unref();
  }

  private refresh(): Promise<void> {
    if (existsSync('/run/systemd/timesync/synchronized')) {
      this.state = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 3000 }, (err, stdout) => {
        this.state = !err && stdout.trim() === 'yes';
        resolve();
      });
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
