import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

/**
 * Tell systemd about readiness and liveness (Type=notify, WatchdogSec). Node has no datagram unix
 * sockets, so this uses systemd-notify with the service's NOTIFY_SOCKET; outside systemd it does nothing.
 */
export function notifySystemd(state: string, log: Logger): void {
  if (!process.env.NOTIFY_SOCKET) return;
  execFile('systemd-notify', [`--pid=${process.pid}`, state], { timeout: 2000 }, (err) => {
    if (err) log.debug({ err: err.message, state }, 'systemd-notify failed');
  });
}
