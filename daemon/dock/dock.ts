import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { serialLinks, type RecorderLink, type RecorderLinkFactory } from '../transport/serial-port.js';
import { SerialWatcher } from '../transport/serial-watcher.js';
import { realDevice, usbIdOfTty } from '../transport/usb-identity.js';
import { UsbWatcher } from '../transport/usb-watcher.js';
import type { DockContext } from './context.js';
import { DockingSession } from './session.js';

interface Attached {
  /** The real device node: two globs (by-id link and ttyACM) must not make two sessions. */
  device: string;
  port: RecorderLink | null;
  session: DockingSession | null;
  done: Promise<unknown>;
  serial: string | null;
}

/**
 * Watches for recorders and runs one docking session per attached recorder, many at once. A recorder's
 * misbehaviour ends its own session only.
 */
export class Dock {
  private readonly attached = new Map<string, Attached>();
  private serialWatcher: SerialWatcher | null = null;
  private usbWatcher: UsbWatcher | null = null;
  private stopping = false;
  private readonly log: Logger;

  constructor(
    private readonly ctx: DockContext,
    private readonly startGraceMs = 15_000,
    /** How a recorder's link is opened: serial ports on a dock, in-memory links in unit tests. */
    private readonly links: RecorderLinkFactory = serialLinks,
  ) {
    this.log = ctx.log.child({ component: 'dock' });
  }

  async start(): Promise<void> {
    const { config } = this.ctx;
    this.usbWatcher = new UsbWatcher(
      config.detect.usb.map((u) => ({ vid: parseInt(u.vid, 16), pid: parseInt(u.pid, 16) })),
      this.log,
      (e) => {
        this.log.info(e, `usb recorder ${e.type}`);
        // A configured recorder arrived: its slot starts as soon as its serial port exists.
        if (e.type === 'attach') this.serialWatcher?.rescanSoon();
      },
    );
    await this.usbWatcher.start();
    this.serialWatcher = new SerialWatcher(config.detect.serialGlobs, this.log, (p) => this.onAttach(p), (p) => this.onDetach(p));
    await this.serialWatcher.start();
    // Recorders docked when the daemon last stopped and not found again within the grace period left
    // the dock while it was down: record that, so their return checks them in.
    const before = this.ctx.ledger.devices.dockedSerials();
    this.graceTimer = setTimeout(() => {
      for (const serial of before) if (!this.stopping && !this.ctx.slots.bySerial(serial)) this.undocked(serial);
    }, this.startGraceMs);
    this.graceTimer.unref();
  }

  private graceTimer: NodeJS.Timeout | null = null;

  private onAttach(path: string): void {
    if (this.stopping) return;
    // A path that no longer leads to the device it was attached as is a recorder that left: a by-id link moved to
    // the recorder's new node when it came back before this dock saw it go (its old port never closed while the
    // daemon was busy). Its slot ends first, or the recorder back on its new node would be a duplicate of itself.
    for (const [p, a] of this.attached) if (p !== path && realDevice(p) !== a.device) this.onDetach(p);
    if (this.attached.has(path)) return;
    const device = realDevice(path);
    const twin = [...this.attached.entries()].find(([, a]) => a.device === device);
    if (twin) {
      this.log.debug({ port: path, same: twin[0] }, 'second path of a recorder already attached: ignored');
      return;
    }
    // A USB serial device that is not a configured recorder model never gets the admin password.
    const usbId = usbIdOfTty(device);
    const ids = this.ctx.config.detect.usb.map((u) => ({ vid: parseInt(u.vid, 16), pid: parseInt(u.pid, 16) }));
    if (usbId && ids.length > 0 && !ids.some((i) => i.vid === usbId.vid && i.pid === usbId.pid)) {
      this.log.info({ port: path, vid: usbId.vid.toString(16), pid: usbId.pid.toString(16) }, 'serial device is not a configured recorder model: ignored');
      return;
    }
    const entry: Attached = { device, port: null, session: null, done: Promise.resolve(), serial: null };
    this.attached.set(path, entry);
    entry.done = this.serve(path, entry).catch((e) => this.log.error({ err: e, port: path }, 'slot failed unexpectedly'));
  }

  private async serve(path: string, entry: Attached): Promise<void> {
    let port: RecorderLink | null = null;
    for (let i = 0; i < 5 && !port; i++) {
      try {
        port = await this.links.open(path);
      } catch (e) {
        if (i === 4) {
          this.log.warn({ port: path, err: (e as Error).message }, 'cannot open recorder port');
          this.attached.delete(path);
          this.serialWatcher?.forget(path);
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // Unplugged (or replugged as a new attachment) while we were opening: this entry is stale.
    if (!port || this.stopping || this.attached.get(path) !== entry) {
      if (port) await port.close();
      if (this.attached.get(path) === entry) this.attached.delete(path);
      return;
    }
    entry.port = port;
    port.stream.on('error', (e) => this.log.warn({ port: path, err: e.message }, 'serial port error'));
    // A yanked cable closes the port even when the device node lingers (a dangling pty symlink).
    port.stream.once('close', () => this.onDetach(path));
    const session = new DockingSession(this.ctx, path, port.stream);
    entry.session = session;
    await session.run();
    entry.serial = this.ctx.slots.get(path)?.serial ?? null;
  }

  private onDetach(path: string): void {
    const entry = this.attached.get(path);
    // While stopping, ports close because the daemon closes them: the recorders have not left the dock.
    if (!entry || this.stopping) return;
    this.attached.delete(path);
    this.serialWatcher?.forget(path);
    entry.session?.abort('recorder unplugged', 'unplugged');
    const serial = this.ctx.slots.get(path)?.serial ?? entry.serial;
    this.ctx.slots.remove(path);
    if (entry.port) void entry.port.close();
    if (serial) this.undocked(serial);
  }

  /** The recorder left the dock: record the handover time of an open checkout. */
  private undocked(serial: string): void {
    const { clock } = this.ctx;
    const at = clock.now();
    // Runs from watcher and port events: a ledger error (disk full, busy) is logged, never thrown.
    try {
      this.recordUndocked(serial, at);
    } catch (e) {
      this.log.error({ serial, err: (e as Error).message }, 'could not record that the recorder left the dock');
    }
  }

  private recordUndocked(serial: string, at: number): void {
    const { ledger } = this.ctx;
    ledger.tx(() => {
      ledger.devices.undocked(serial, at);
      const open = ledger.checkouts.open(serial);
      if (open && open.leftDockAtMs === null) {
        ledger.checkouts.leftDock(open.id, at);
        ledger.audit.append(at, 'dock', 'device.left_dock', serial, { checkoutId: open.id, officerNo: open.officerNo });
      }
    });
  }

  /** The open serial link of a docked recorder whose session has ended, for checkout (SET_INFO, SET_TIME). */
  portOf(serial: string): Duplex | null {
    for (const [path, a] of this.attached) {
      if (this.ctx.slots.get(path)?.serial === serial && a.port?.isOpen()) return a.port.stream;
    }
    return null;
  }

  private stopped: Promise<void> | null = null;

  /** Cancel every session (marked interrupted), close every link; a second call waits for the first. */
  stop(): Promise<void> {
    this.stopped ??= this.stopNow();
    return this.stopped;
  }

  private async stopNow(): Promise<void> {
    this.stopping = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.usbWatcher?.stop();
    await this.serialWatcher?.stop();
    for (const a of this.attached.values()) a.session?.abort('daemon stopping');
    await Promise.race([Promise.all([...this.attached.values()].map((a) => a.done)), new Promise((r) => setTimeout(r, 10_000))]);
    for (const a of this.attached.values()) if (a.port) await a.port.close();
    this.attached.clear();
  }
}
