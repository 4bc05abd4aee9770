import { execFile } from 'node:child_process';
import { writeSync } from 'node:fs';
import type { Logger } from './log.js';

/**
 * Tell systemd about readiness and liveness (Type=notify, WatchdogSec). Node has no datagram unix
 * sockets, so this uses systemd-notify with the service's NOTIFY_SOCKET; outside systemd it does nothing.
 */
export function notifySystemd(state: string, log: Logger): void {
  // Under the unit's notify relay (systemd/notify-relay.pl, the service's main process, NotifyAccess=main): one line
  // per state on the pipe it gave us; it sends the datagram from the main PID, which systemd then accepts.
  const relay = process.env.BWC_NOTIFY_FD;
  if (relay && /^\d+$/.test(relay)) {
    try {
      writeSync(Number(relay), `${state}\n`);
    } catch (err) {
      log.debug({ err: (err as Error).message, state }, 'notify relay write failed');
    }
    return;
  }
  if (!process.env.NOTIFY_SOCKET) return;
  execFile('systemd-notify', [`--pid=${process.pid}`, state], { timeout: 2000 }, (err) => {
    if (err) log.debug({ err: err.message, state }, 'systemd-notify failed');
  });
}
