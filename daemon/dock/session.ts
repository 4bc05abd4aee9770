import { randomUUID } from 'node:crypto';
import { lstat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { RecorderClient } from '../../firmware-protocol/client/client.js';
import { Caps, LoginRole, Status } from '../../firmware-protocol/codec/constants.js';
import { LinkClosedError, LinkError, ProtocolError } from '../../firmware-protocol/codec/errors.js';
import { deviceTimeFromEpoch, epochFromDeviceTime } from '../../firmware-protocol/codec/fields.js';
import type { FileEntry, Hello, InfoBlock, RecorderStatus } from '../../firmware-protocol/codec/payloads.js';
import { IngestError } from '../ingest/errors.js';
import type { DockingManifest, ManifestFileEntry } from '../ingest/manifest.js';
import { resolveOnVolume, storeFile } from '../ingest/offload.js';
import { hashFile } from '../ingest/recovery.js';
import { checkCatalogName } from '../ingest/names.js';
import type { Recording } from '../ledger/recordings.js';
import type { Logger } from '../log.js';
import { planCatalog, type CatalogPlan } from './plan.js';
import type { DockContext } from './context.js';
import type { SlotProgress } from './slots.js';

/** The states a slot shows while its session works; `ready` and `failed` are final (CONTRACT). */
export type SessionState =
  | 'identifying'
  | 'logging_in'
  | 'reading'
  | 'setting_clock'
  | 'entering_msc'
  | 'waiting_volume'
  | 'offloading'
  | 'signing'
  | 'erasing'
  | 'exiting_msc'
  | 'ready'
  | 'failed'
  | 'interrupted';

export class SessionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SessionFailure';
  }
}

/** Minutes east of UTC of the dock's zone at an instant (what the dock writes into a recorder). */
export function zoneOffsetMinutes(zone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(atMs);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((local - Math.floor(atMs / 1000) * 1000) / 60_000);
}

/**
 * One docking of one recorder, start to end, as an explicit sequence of states:
 * HELLO → LOGIN → GET_INFO, GET_TIME, GET_STATUS, GET_EVENTS, LIST_FILES → SET_TIME → ENTER_MSC →
 * wait for the volume → offload → sign → erase → EXIT_MSC → final LIST_FILES → ready.
 * A recorder's misbehaviour ends this session (failed/interrupted); it never throws out of `run`.
 */
export class DockingSession {
  readonly id: string;
  private readonly log: Logger;
  private readonly client: RecorderClient;
  private aborted: string | null = null;
  private state: SessionState = 'identifying';
  private serial: string | null = null;
  private progress: SlotProgress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, rate: 0 };
  private findings = new Set<string>();
  private volumeGone: (() => void) | null = null;

  constructor(
    private readonly ctx: DockContext,
    readonly port: string,
    link: Duplex,
  ) {
    this.id = `${new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`;
    this.log = ctx.log.child({ component: 'session', port, session: this.id });
    this.client = new RecorderClient(link, { log: this.log });
  }

  /** Stop at the next step (daemon shutdown or unplug). Files already stored stay stored. */
  abort(reason: string): void {
    if (!this.aborted) this.aborted = reason;
  }

  private check(): void {
    if (this.aborted) throw new SessionFailure('aborted', this.aborted);
    if (this.client.isClosed) throw new SessionFailure('unplugged', 'recorder link closed (unplugged)');
  }

  private setState(state: SessionState, patch: Record<string, unknown> = {}): void {
    this.state = state;
    this.log.debug({ state }, 'session state');
    this.ctx.slots.update(this.port, { state, ...patch });
  }

  private bumpProgress(p: Partial<SlotProgress>): void {
    this.progress = { ...this.progress, ...p };
    this.ctx.slots.update(this.port, { progress: this.progress });
  }

  private noteFinding(kind: string): void {
    this.findings.add(kind);
    this.ctx.slots.update(this.port, { findings: [...this.findings].sort() });
  }

  /** Run the session to its end. Resolves with the final state; never rejects. */
  async run(): Promise<SessionState> {
    const { ctx } = this;
    ctx.ledger.sessions.create(this.id, this.port, ctx.clock.now());
    ctx.slots.put({
      port: this.port,
      sessionId: this.id,
      serial: null,
      idCode: null,
      officer: null,
      state: this.state,
      progress: this.progress,
      driftMs: null,
      battery: null,
      error: null,
      findings: [],
      startedAt: ctx.iso(ctx.clock.now()),
    });
    try {
      await this.steps();
      ctx.ledger.sessions.end(this.id, 'ok', ctx.clock.now());
      this.setState('ready');
      this.log.info({ serial: this.serial }, 'docking session finished');
      return 'ready';
    } catch (e) {
      const interrupted = this.client.isClosed || e instanceof LinkClosedError || (e instanceof SessionFailure && (e.code === 'unplugged' || e.code === 'aborted')) || (e instanceof IngestError && (e.code === 'volume_gone' || e.code === 'aborted'));
      const message = (e as Error).message;
      try {
        ctx.ledger.sessions.end(this.id, interrupted ? 'interrupted' : 'failed', ctx.clock.now(), message);
      } catch (ledgerError) {
        // The ledger itself failing (its disk full): the slot must still end; start-up recovery marks the session.
        this.log.error({ err: (ledgerError as Error).message }, 'could not record the end of the docking session');
      }
      if (!(e instanceof SessionFailure || e instanceof LinkError || e instanceof IngestError)) this.log.error({ err: e }, 'docking session crashed');
      else this.log.warn({ serial: this.serial, err: message }, interrupted ? 'docking session interrupted' : 'docking session failed');
      const final = interrupted ? 'interrupted' : 'failed';
      this.setState(final, { error: message });
      return final;
    } finally {
      this.volumeGone?.();
      // The link stays open for checkout; it gets a client of its own.
      this.client.detach();
    }
  }

  private async steps(): Promise<void> {
    const { ctx } = this;
    // -- identify
    const hello = await this.client.hello();
    if (hello.proto !== 1) throw new SessionFailure('protocol', `recorder speaks protocol ${hello.proto}, this dock speaks 1`);
    if (!/^[A-Za-z0-9]{1,8}$/.test(hello.serial)) throw new SessionFailure('protocol', `recorder serial "${hello.serial}" is not a plain identifier`);
    const other = ctx.slots.bySerial(hello.serial);
    if (other && other.port !== this.port) throw new SessionFailure('duplicate', `recorder ${hello.serial} is already docked on ${other.port}`);
    this.serial = hello.serial;
    const before = ctx.ledger.devices.get(hello.serial);
    ctx.ledger.tx(() => {
      ctx.ledger.sessions.identified(this.id, hello.serial);
      ctx.ledger.devices.docked({ serial: hello.serial, idCode: hello.idCode, firmware: hello.firmware, caps: hello.caps }, ctx.clock.now());
    });
    ctx.slots.update(this.port, { serial: hello.serial, idCode: hello.idCode });
    this.check();

    // -- log in
    this.setState('logging_in');
    const password = ctx.config.recorders.passwords[hello.serial] ?? ctx.config.recorders.adminPassword;
    try {
      await this.client.login(LoginRole.Admin, password);
    } catch (e) {
      if (e instanceof ProtocolError && e.status === Status.AUTH_FAILED) throw new SessionFailure('auth', `recorder ${hello.serial} refused the admin password (set recorders.passwords.${hello.serial})`);
      if (e instanceof ProtocolError && e.status === Status.LOCKED) throw new SessionFailure('locked', `recorder ${hello.serial} is locked after failed logins; re-dock in a minute`);
      throw e;
    }

    // -- read
    this.setState('reading');
    const info = await this.client.getInfo();
    const timed = await this.client.getTime();
    const status = await this.client.getStatus();
    const fromIndex = before?.lastEventIndex != null ? before.lastEventIndex + 1 : 0;
    const events = hello.caps & Caps.EVENT_LOG ? await this.client.getEvents(fromIndex) : { total: 0, events: [] };
    const catalog = await this.client.listFiles();
    this.check();
    const officer = info.userNo ? { officerNo: info.userNo, name: info.userName, unitNo: info.unitNo } : null;
    ctx.slots.update(this.port, { battery: status.battery, officer });

    const plan = planCatalog(ctx, {
      sessionId: this.id,
      hello,
      info,
      status,
      clock: timed,
      events: events.events,
      eventsTotal: events.total,
      catalog,
      previous: before,
    });
    this.recordReadings(hello, info, status, plan);
    this.checkIn(hello.serial);
    for (const k of plan.findingKinds) this.noteFinding(k);
    ctx.slots.update(this.port, { driftMs: plan.clock.driftMs });

    // -- set the clock (only a synchronised dock does; a reset clock needs it most)
    if (plan.clock.dockSynced) {
      this.setState('setting_clock');
      await this.setClock();
    }
    this.check();

    // -- offload
    const toErase = ctx.config.offload.eraseAfterCommit;
    const needVolume = plan.toCopy.length > 0 || (toErase && plan.erasable.length > 0);
    let volume: { path: string; label: string; release: () => void } | null = null;
    try {
      if (needVolume) volume = await this.enterMassStorage(catalog);
      if (volume) {
        try {
          await this.offload(volume.path, plan);
        } catch (e) {
          // The dock's own failure (disk full): sign what was stored, so it is evidence now, then fail.
          if (e instanceof IngestError && e.code === 'disk_low' && !this.client.isClosed && !this.aborted) {
            this.setState('signing');
            await this.sign(hello, info, plan, 'failed');
          }
          throw e;
        }
      }
      this.check();
      // -- sign: this session's files and any left unsigned by an interrupted one
      this.setState('signing');
      await this.sign(hello, info, plan);
      // -- erase what is verified, committed and signed
      if (volume && toErase) {
        this.setState('erasing');
        await this.erase(volume.path, hello.serial, catalog);
      }
    } finally {
      if (volume) await this.leaveMassStorage(volume);
    }
    if (volume && this.erasedSeqs.length > 0) {
      // Final LIST_FILES: the recorder's own view after EXIT_MSC must no longer list what was erased.
      const left = new Set((await this.client.listFiles()).map((f) => f.seq));
      const still = this.erasedSeqs.filter((s) => left.has(s));
      if (still.length > 0) this.log.warn({ seqs: still }, 'recorder still lists files the dock erased: they will be erased at the next docking');
    }
  }

  private erasedSeqs: number[] = [];
  /** Catalog name → SHA-256 of what this session copied from that path on the volume. */
  private readonly copiedHashes = new Map<string, string>();

  private recordReadings(hello: Hello, info: InfoBlock, status: RecorderStatus, plan: CatalogPlan): void {
    const { ctx } = this;
    ctx.ledger.tx(() => {
      ctx.ledger.sessions.recordReadings(this.id, { info, battery: status.battery, freeMiB: status.freeMiB, totalMiB: status.totalMiB, filesTotal: plan.catalogSize });
      ctx.ledger.sessions.recordClock(this.id, {
        deviceTime: plan.clock.deviceIso ?? plan.clock.raw,
        deviceTz: plan.clock.tz,
        dockTimeMs: plan.clock.dockTimeMs,
        driftMs: plan.clock.driftMs,
        driftUncertaintyMs: plan.clock.uncertaintyMs,
        dockSynced: plan.clock.dockSynced,
      });
      ctx.ledger.devices.recordHealth(hello.serial, { battery: status.battery, freeMiB: status.freeMiB, totalMiB: status.totalMiB, fileCount: status.fileCount, info });
      plan.commitReadings();
      ctx.ledger.sessions.countSkipped(this.id, plan.skipped);
    });
  }

  /** Docking checks a recorder in only when it was checked out and has left the dock since (CONTRACT). */
  private checkIn(serial: string): void {
    const { ctx } = this;
    const open = ctx.ledger.checkouts.open(serial);
    if (!open || open.leftDockAtMs === null) return;
    const at = ctx.clock.now();
    ctx.ledger.tx(() => {
      ctx.ledger.checkouts.checkIn(open.id, 'dock', at, this.id);
      ctx.ledger.devices.setStatus(serial, 'in_dock');
      ctx.ledger.audit.append(at, 'dock', 'device.checkin', serial, { checkoutId: open.id, officerNo: open.officerNo, sessionId: this.id });
    });
  }

  private async setClock(): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock.now();
    const tz = zoneOffsetMinutes(ctx.config.timezone, now);
    await this.client.setTime(deviceTimeFromEpoch(now, tz), now % 1000, tz);
    ctx.ledger.tx(() => {
      ctx.ledger.sessions.markClockSet(this.id);
      ctx.ledger.devices.setLastSync(this.serial!, now);
    });
  }

  private async enterMsc(): Promise<string> {
    try {
      const msc = await this.client.enterMsc();
      if (!/^[A-Za-z0-9_-]{1,11}$/.test(msc.label)) throw new SessionFailure('protocol', `volume label "${msc.label}" is not a plain name`);
      return msc.label;
    } catch (e) {
      if (e instanceof ProtocolError && e.status === Status.BUSY) throw new SessionFailure('busy', 'recorder is recording: stop the recording and re-dock');
      throw e;
    }
  }

  /** EXIT_MSC and wait until `<mountRoot>/<label>` is gone. */
  private async exitMscAndWait(label: string): Promise<void> {
    await this.client.exitMsc().catch((e) => {
      if (!(e instanceof ProtocolError && e.status === Status.WRONG_MODE)) throw e;
    });
    await this.ctx.volumes.waitGone(label, 10_000);
  }

  /**
   * ENTER_MSC and wait for the volume. Another recorder may answer the same label: then this one leaves
   * mass storage at once, waits until the other's volume is gone, and enters again, so that one
   * `<mountRoot>/<label>` is only ever one recorder's volume while a session works on it.
   */
  private async enterMassStorage(catalog: FileEntry[]): Promise<{ path: string; label: string; release: () => void }> {
    const { ctx } = this;
    this.setState('entering_msc');
    let label: string;
    try {
      label = await this.enterMsc();
    } catch (e) {
      if (!(e instanceof ProtocolError && e.status === Status.WRONG_MODE)) throw e;
      // Already in mass-storage mode (a daemon restart mid-session): learn the label, leave, come back fresh.
      await this.client.exitMsc().catch(() => undefined);
      label = await this.enterMsc();
      await this.exitMscAndWait(label);
      label = await this.enterMsc();
    }
    this.setState('waiting_volume');
    const wasHeld = ctx.labels.isHeld(label);
    if (wasHeld) {
      this.log.info({ label }, 'another docked recorder has this volume label: waiting for its volume to go');
      await this.client.exitMsc().catch(() => undefined);
    }
    const release = await ctx.labels.acquire(label);
    try {
      this.check();
      if (wasHeld && (await this.enterMsc()) !== label) throw new SessionFailure('protocol', 'recorder changed its volume label between two ENTER_MSC');
      const path = await ctx.volumes.waitFor(label, ctx.config.detect.volumeTimeoutMs);
      this.volumeGone = ctx.volumes.onceGone(label, () => this.log.warn({ label }, 'volume vanished'));
      await this.checkVolume(path, catalog);
      return { path, label, release };
    } catch (e) {
      this.releaseWhenGone(label, release);
      throw e;
    }
  }

  /**
   * Before trusting a volume, the catalog's files must be on it (names and sizes). None of them: not this
   * recorder's volume. Some missing: offload what is there (erase checks each file's content anyway).
   */
  private async checkVolume(path: string, catalog: FileEntry[]): Promise<void> {
    const expected = catalog.filter((f) => checkCatalogName(f.name).ok);
    if (expected.length === 0) return;
    let found = 0;
    for (const f of expected) {
      try {
        const st = await lstat(join(path, ...f.name.split('/')));
        if (st.isFile() && BigInt(st.size) === f.size) found++;
      } catch {
        /* counted as not found */
      }
    }
    if (found === 0) throw new SessionFailure('volume_mismatch', `volume at ${path} holds none of the recorder's catalogued files: not this recorder's volume`);
    if (found < expected.length) this.log.warn({ found, expected: expected.length }, 'volume lacks some catalogued files, or their sizes differ');
  }

  /** Free the label for another recorder only once this volume is really gone. */
  private releaseWhenGone(label: string, release: () => void): void {
    if (!this.ctx.volumes.isPresent(label)) return release();
    this.ctx.volumes.onceGone(label, release);
  }

  private async leaveMassStorage(v: { label: string; release: () => void }): Promise<void> {
    this.setState('exiting_msc');
    this.volumeGone?.();
    this.volumeGone = null;
    try {
      if (!this.client.isClosed) await this.exitMscAndWait(v.label);
    } finally {
      this.releaseWhenGone(v.label, v.release);
    }
  }

  /**
   * Copy every planned file, two at a time (one per core: hashing is what bounds a copy), committing each
   * as soon as it is whole. The first error that ends the session stops both lanes from taking another
   * file; the file still in flight in the other lane finishes or fails on its own, then the error is thrown.
   */
  private async offload(volumePath: string, plan: CatalogPlan): Promise<void> {
    const { ctx } = this;
    this.setState('offloading');
    const bytesTotal = plan.toCopy.reduce((s, p) => s + p.plan.catalogSize, 0);
    this.bumpProgress({ filesTotal: plan.toCopy.length, bytesTotal, filesDone: 0, bytesDone: 0 });
    const started = Date.now();
    let committed = 0;
    const inFlight = new Map<number, { planned: number; done: number }>();
    const shown = () => committed + [...inFlight.values()].reduce((a, f) => a + f.done, 0);
    const deps = { dataDir: ctx.config.dataDir, ledger: ctx.ledger, pool: ctx.pool, ops: ctx.ops, minFreeBytes: ctx.config.offload.minFreeBytes, now: ctx.clock.now, iso: ctx.iso };
    const volumeDev = (await lstat(volumePath)).dev;
    const queue = [...plan.toCopy];
    let failure: unknown = null;

    const copyOne = async (item: CatalogPlan['toCopy'][number], lane: number): Promise<void> => {
      let src: string;
      try {
        src = await resolveOnVolume(volumePath, item.entry.name);
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
        return this.failFile(volumePath, item.entry, e);
      }
      const raised: string[] = [];
      // The other lane's file is not on disk yet: the free-space floor counts it as written.
      const reserved = [...inFlight.values()].reduce((a, f) => a + Math.max(0, f.planned - f.done), 0);
      inFlight.set(lane, { planned: item.plan.catalogSize, done: 0 });
      try {
        const out = await storeFile(
          { ...deps, minFreeBytes: deps.minFreeBytes + reserved },
          src,
          item.plan,
          (sha, size) => plan.flagsAfterCopy(item.entry, sha, size),
          (b) => {
            inFlight.set(lane, { planned: item.plan.catalogSize, done: b });
            this.bumpProgress({ bytesDone: shown(), rate: rate(shown(), started) });
          },
          (id, sha, size) => raised.push(...plan.afterStore(item.entry, id, sha, size)),
          volumeDev,
        );
        for (const k of raised) this.noteFinding(k);
        this.copiedHashes.set(item.entry.name, out.sha256);
        inFlight.delete(lane);
        committed += out.size;
        this.bumpProgress({ filesDone: this.progress.filesDone + 1, bytesDone: shown(), rate: rate(shown(), started) });
      } catch (e) {
        inFlight.delete(lane);
        if (!(e instanceof IngestError)) throw e;
        if (e.code === 'disk_low') {
          this.raise({ kind: 'disk_low', detail: e.message, dedupeKey: undefined });
          throw e;
        }
        this.failFile(volumePath, item.entry, e);
      }
    };

    // Two entries with one seq (a recorder listing a file twice) never run at once: the second must see
    // the first one's ledger row to know it is the same file.
    const seqsInFlight = new Set<number>();
    const take = (): CatalogPlan['toCopy'][number] | null => {
      const i = queue.findIndex((x) => !seqsInFlight.has(x.entry.seq));
      return i < 0 ? null : queue.splice(i, 1)[0]!;
    };
    const runLane = async (lane: number): Promise<void> => {
      while (failure === null && queue.length > 0) {
        const item = take();
        if (!item) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        seqsInFlight.add(item.entry.seq);
        try {
          this.check();
          await copyOne(item, lane);
        } catch (e) {
          failure ??= e;
        } finally {
          seqsInFlight.delete(item.entry.seq);
        }
      }
    };
    await Promise.all([runLane(0), runLane(1)]);
    if (failure !== null) throw failure;
  }

  /**
   * One file could not be stored. An unplug, a vanished volume or a stop shows up as read errors (EIO,
   * ENOENT): those end the session as interrupted and raise nothing against the file. Otherwise the file
   * gets its finding and the offload goes on with the next one.
   */
  private failFile(volumePath: string, entry: FileEntry, e: IngestError): void {
    if (this.aborted) throw new SessionFailure('aborted', this.aborted);
    if (this.client.isClosed) throw new SessionFailure('unplugged', 'recorder link closed (unplugged)');
    if (e.code === 'volume_gone' || e.code === 'aborted' || !this.ctx.volumes.isPresent(dirnameLabel(volumePath))) {
      throw new IngestError('volume_gone', `volume vanished: ${e.message}`);
    }
    this.fileProblem(entry, e);
  }

  private fileProblem(entry: FileEntry, e: IngestError): void {
    const kind = e.code === 'bad_name' ? 'bad_name' : 'unreadable';
    this.log.warn({ seq: entry.seq, name: entry.name, code: e.code }, e.message);
    this.raise({ kind, detail: `${entry.name} (seq ${entry.seq}): ${e.message}`, seqFrom: entry.seq, seqTo: entry.seq, dedupeKey: `${kind}:${this.serial}:${entry.seq}:${entry.size}` });
  }

  private raise(f: { kind: string; detail: string; seqFrom?: number; seqTo?: number; dedupeKey: string | undefined }): void {
    const { ctx } = this;
    const at = ctx.clock.now();
    ctx.ledger.tx(() => {
      const r = ctx.ledger.findings.raise({ kind: f.kind, detail: f.detail, serial: this.serial, sessionId: this.id, seqFrom: f.seqFrom ?? null, seqTo: f.seqTo ?? null, ...(f.dedupeKey ? { dedupeKey: f.dedupeKey } : {}) }, at);
      if (r.created) ctx.ledger.audit.append(at, 'dock', 'finding.raised', String(r.id), { kind: f.kind, serial: this.serial });
    });
    this.noteFinding(f.kind);
  }

  private async sign(hello: Hello, info: InfoBlock, plan: CatalogPlan, result: 'ok' | 'failed' = 'ok'): Promise<void> {
    const { ctx } = this;
    const unsigned = ctx.ledger.recordings.unsigned(hello.serial);
    if (result === 'failed' && unsigned.length === 0) return;
    const files: ManifestFileEntry[] = unsigned.map(toManifestEntry);
    const manifest: Omit<DockingManifest, 'prevManifestSha256' | 'auditHead' | 'keyFingerprint' | 'version'> = {
      kind: 'docking',
      dockId: ctx.config.dockId,
      sessionId: this.id,
      createdAt: ctx.iso(ctx.clock.now()),
      result,
      device: { serial: hello.serial, idCode: hello.idCode, officerNo: info.userNo || null, officerName: info.userName || null, unitNo: info.unitNo || null },
      clock: {
        deviceTime: plan.clock.deviceIso,
        dockTime: ctx.iso(plan.clock.dockTimeMs),
        driftMs: plan.clock.driftMs,
        dockSynced: plan.clock.dockSynced,
        clockSet: ctx.ledger.sessions.get(this.id)?.clockSet ?? false,
      },
      files,
    };
    await ctx.chain.append(manifest, 'dock', (sha) => {
      ctx.ledger.recordings.markSigned(unsigned.map((r) => r.id), this.id);
      ctx.ledger.sessions.setManifest(this.id, sha);
    });
  }

  /** Erase from the recorder only files whose stored copy is verified, committed and signed. */
  private async erase(volumePath: string, serial: string, catalog: FileEntry[]): Promise<void> {
    const { ctx } = this;
    const erased: number[] = [];
    const dirs = new Set<string>();
    for (const entry of catalog) {
      this.check();
      const size = Number(entry.size);
      const rec = ctx.ledger.recordings.findStored(serial, entry.seq, size, entry.sha256);
      if (!rec || rec.manifestSessionId === null || rec.purgedAtMs !== null) continue;
      if (rec.flags.includes('hash_mismatch') || rec.flags.includes('size_mismatch') || rec.devicePath !== entry.name) continue;
      if (entry.sha256 !== null && entry.sha256 !== rec.sha256) continue;
      let src: string;
      try {
        src = await resolveOnVolume(volumePath, entry.name);
        const st = await lstat(src);
        if (st.size !== rec.size) continue;
        // The stored copy must be there, whole, before its original goes.
        const kept = await lstat(join(ctx.config.dataDir, rec.storedPath));
        if (!kept.isFile() || kept.size !== rec.size) {
          this.log.error({ seq: entry.seq, storedPath: rec.storedPath }, 'stored copy missing or of the wrong size: not erasing the original');
          continue;
        }
        // What is on the volume must be what was stored: known when this session copied it from this very
        // path, else hashed now (an earlier docking stored it; the volume could hold other content).
        const copied = this.copiedHashes.get(entry.name);
        const onVolume = copied ?? (await hashFile(src));
        if (onVolume !== rec.sha256) {
          this.log.warn({ seq: entry.seq, name: entry.name }, 'volume file differs from the stored copy: not erased');
          continue;
        }
      } catch {
        continue;
      }
      await unlink(src);
      dirs.add(dirname(src));
      erased.push(rec.id);
      this.erasedSeqs.push(entry.seq);
    }
    for (const d of dirs) await this.ctx.ops.fsyncDir(d).catch((e) => this.log.warn({ dir: d, err: (e as Error).message }, 'fsync of volume folder failed'));
    await this.ctx.ops.fsyncDir(volumePath).catch(() => undefined);
    if (erased.length === 0) return;
    const at = ctx.clock.now();
    ctx.ledger.tx(() => {
      ctx.ledger.recordings.markErased(erased, at);
      ctx.ledger.sessions.countErased(this.id, erased.length);
      ctx.ledger.audit.append(at, 'dock', 'recorder.erased', serial, { sessionId: this.id, recordingIds: erased });
    });
  }
}

function dirnameLabel(volumePath: string): string {
  return volumePath.split('/').pop()!;
}

function rate(bytes: number, startedMs: number): number {
  const s = (Date.now() - startedMs) / 1000;
  return s > 0 ? Math.round(bytes / s) : 0;
}

export function toManifestEntry(r: Recording): ManifestFileEntry {
  return {
    name: r.devicePath,
    storedPath: r.storedPath,
    size: r.size,
    sha256: r.sha256,
    deviceSha256: r.deviceSha256,
    seq: r.seq,
    recordedStart: r.recordedStart,
    correctedStart: r.correctedStart,
    durationMs: r.durationMs,
    flags: r.flags,
    sessionId: r.sessionId,
    officerNo: r.officerNo,
    offloadedAt: r.offloadedAt,
    retainUntil: r.retainUntil,
  };
}

export { epochFromDeviceTime };
