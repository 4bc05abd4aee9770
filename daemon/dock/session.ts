import { randomUUID } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { RecorderClient } from '../../firmware-protocol/client/client.js';
import { Caps, LoginRole, Status } from '../../firmware-protocol/codec/constants.js';
import { AbortedError, LinkClosedError, LinkError, ProtocolError } from '../../firmware-protocol/codec/errors.js';
import { deviceTimeFromEpoch, epochFromDeviceTime } from '../../firmware-protocol/codec/fields.js';
import type { FileEntry, Hello, InfoBlock, RecorderStatus } from '../../firmware-protocol/codec/payloads.js';
import { DockError } from '../errors.js';
import { type CopiedFile, eraseSignedOriginals } from '../ingest/erase.js';
import { slotReason } from '../error-catalogue.js';
import { IngestError } from '../ingest/errors.js';
import type { DockingManifest, ManifestFileEntry } from '../ingest/manifest.js';
import { resolveOnVolume, storeFile } from '../ingest/offload.js';
import { copyEach } from '../ingest/scheduler.js';
import type { NewFinding } from '../ledger/findings.js';
import type { Recording } from '../ledger/recordings.js';
import type { Logger } from '../log.js';
import { VolumeWaitAborted } from '../transport/volumes.js';
import type { DockContext } from './context.js';
import { catalogKey, entriesToLookUp, findingsAfterStore, flagsAfterCopy, identityConflict, officersToLookUp, planDocking, type CopyItem, type DockingPlan, type LedgerFacts } from './plan.js';
import type { SlotProgress, SlotView } from './slots.js';
import { awaitWholeVolume, VolumeNotReady } from './volume-ready.js';

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

/** Why a docking session ended other than `ready` (the catalogue gives each its slot words). */
/**
 * Files of one recorder copied at once: two keep both cores hashing for a recorder docked alone; more would give a
 * recorder with many files a larger share of the I/O thread pool than one with few (the pool serves copies in turn).
 */
export const COPIES_PER_RECORDER = 2;

export const SESSION_FAILURE_CODES = [
  'protocol', // the recorder speaks another protocol version, or sent a serial or label that is not a plain name
  'duplicate', // a recorder with this serial is already docked on another port
  'auth', // the recorder refused the admin password
  'locked', // the recorder is locked after failed logins
  'busy', // the recorder is recording and will not enter mass storage
  'label_changed', // the recorder answered two ENTER_MSC with two volume labels
  'identity_mismatch', // HELLO, the INFO block and the catalog's file names name different serials
  'volume_missing', // the recorder's volume did not appear (or stayed an empty folder) within detect.volumeTimeoutMs
  'volume_mismatch', // the volume holds none of the recorder's catalogued files
  'unplugged', // the recorder left the dock during the session
  'aborted', // the daemon stopped during the session
] as const;
export type SessionFailureCode = (typeof SESSION_FAILURE_CODES)[number];

export class SessionFailure extends DockError<SessionFailureCode> {
  readonly domain = 'session';
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
 * HELLO → LOGIN → GET_INFO, GET_TIME, GET_STATUS, GET_EVENTS, LIST_FILES → identity check → plan (pure,
 * from ledger facts read first) → SET_TIME → ENTER_MSC → wait until the volume is whole → offload → sign →
 * erase → EXIT_MSC → final LIST_FILES → ready.
 * A recorder's misbehaviour ends this session (failed/interrupted); it never throws out of `run`. An unplug,
 * `abort` or a stopping dock fires one AbortSignal that cancels the request, wait or copy in progress at once.
 */
export class DockingSession {
  readonly id: string;
  private readonly log: Logger;
  private readonly client: RecorderClient;
  /** Fires on unplug, a stopping daemon or `abort`: cancels every request, wait and copy of this session at once. */
  private readonly stop = new AbortController();
  private stopCode: 'unplugged' | 'aborted' = 'aborted';
  private readonly onLinkClose = () => this.cancel('unplugged', 'recorder link closed (unplugged)');
  private state: SessionState = 'identifying';
  private serial: string | null = null;
  private progress: SlotProgress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, rate: 0 };
  private findings = new Set<string>();
  private volumeGone: (() => void) | null = null;

  constructor(
    private readonly ctx: DockContext,
    readonly port: string,
    private readonly link: Duplex,
  ) {
    this.id = `${new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`;
    this.log = ctx.log.child({ component: 'session', port, session: this.id });
    this.client = new RecorderClient(link, { log: this.log, signal: this.stop.signal });
    link.once('close', this.onLinkClose);
  }

  /** Stop now (daemon shutdown or unplug): every wait and copy is cancelled. Files already stored stay stored. */
  abort(reason: string, code: 'unplugged' | 'aborted' = 'aborted'): void {
    this.cancel(code, reason);
  }

  private cancel(code: 'unplugged' | 'aborted', reason: string): void {
    if (this.stop.signal.aborted) return;
    this.stopCode = code;
    this.stop.abort(reason);
  }

  private get stopReason(): string {
    return String(this.stop.signal.reason);
  }

  private check(): void {
    if (this.stop.signal.aborted) throw new SessionFailure(this.stopCode, this.stopReason);
    if (this.client.isClosed) throw new SessionFailure('unplugged', 'recorder link closed (unplugged)');
  }

  /** Show something in this session's slot; the port may meanwhile serve a new docking (unplugged and put back). */
  private updateSlot(patch: Partial<SlotView>): void {
    if (this.ctx.slots.get(this.port)?.sessionId === this.id) this.ctx.slots.update(this.port, patch);
  }

  private setState(state: SessionState, patch: Partial<SlotView> = {}): void {
    this.state = state;
    this.log.debug({ state }, 'session state');
    this.updateSlot({ state, ...patch });
  }

  private bumpProgress(p: Partial<SlotProgress>): void {
    this.progress = { ...this.progress, ...p };
    this.updateSlot({ progress: this.progress });
  }

  private noteFinding(kind: string): void {
    this.findings.add(kind);
    this.updateSlot({ findings: [...this.findings].sort() });
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
      const interrupted =
        this.stop.signal.aborted ||
        this.client.isClosed ||
        e instanceof LinkClosedError ||
        e instanceof AbortedError ||
        e instanceof VolumeWaitAborted ||
        (e instanceof SessionFailure && (e.code === 'unplugged' || e.code === 'aborted')) ||
        (e instanceof IngestError && (e.code === 'volume_gone' || e.code === 'aborted'));
      // A cancelled wait says "aborted"; the slot says why it was cancelled.
      const message = this.stop.signal.aborted && !(e instanceof IngestError && e.code === 'volume_gone') ? this.stopReason : (e as Error).message;
      try {
        ctx.ledger.sessions.end(this.id, interrupted ? 'interrupted' : 'failed', ctx.clock.now(), message);
      } catch (ledgerError) {
        // The ledger itself failing (its disk full): the slot must still end; start-up recovery marks the session.
        this.log.error({ err: (ledgerError as Error).message }, 'could not record the end of the docking session');
      }
      if (!(e instanceof DockError || e instanceof LinkError || e instanceof VolumeWaitAborted)) this.log.error({ err: e }, 'docking session crashed');
      else this.log.warn({ serial: this.serial, err: message }, interrupted ? 'docking session interrupted' : 'docking session failed');
      const final = interrupted ? 'interrupted' : 'failed';
      // The slot speaks to the equipment manager: the catalogue's words for the error, then its detail.
      this.setState(final, { error: this.stop.signal.aborted && message === this.stopReason ? message : slotReason(e) });
      return final;
    } finally {
      this.volumeGone?.();
      this.link.off('close', this.onLinkClose);
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
    this.updateSlot({ serial: hello.serial, idCode: hello.idCode });
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
    this.updateSlot({ battery: status.battery, officer });

    // -- a recorder that contradicts itself about who it is gets nothing attributed to either serial
    const conflict = identityConflict(hello, info, catalog);
    if (conflict) {
      this.raise({ kind: 'identity_mismatch', detail: conflict.detail, dedupeKey: `identity_mismatch:${hello.serial}:${info.serial}:${conflict.nameSerials.join(',')}` });
      throw new SessionFailure('identity_mismatch', conflict.detail);
    }

    const input = { sessionId: this.id, hello, info, clock: timed, events: events.events, eventsTotal: events.total, catalog };
    const plan = planDocking(input, this.readFacts(hello.serial, input, before?.lastSyncAtMs ?? null), {
      nowMs: ctx.clock.now(),
      synced: ctx.clock.synced(),
      timezone: ctx.config.timezone,
      retentionMonths: ctx.config.retention.months,
      driftWarnMs: ctx.config.clock.driftWarnMs,
      driftFaultMs: ctx.config.clock.driftFaultMs,
      iso: ctx.iso,
    });
    this.recordReadings(hello, info, status, plan);
    this.checkIn(hello.serial);
    for (const k of plan.findingKinds) this.noteFinding(k);
    this.updateSlot({ driftMs: plan.clock.driftMs });

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
      if (needVolume) volume = await this.enterMassStorage([...plan.toCopy.map((i) => i.entry), ...plan.erasable]);
      if (volume) {
        try {
          await this.offload(volume.path, plan, info);
        } catch (e) {
          // The dock's own failure (disk full): sign what was stored, so it is evidence now, then fail.
          if (e instanceof IngestError && e.code === 'disk_low' && !this.client.isClosed && !this.stop.signal.aborted) {
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
        const { erasedSeqs } = await eraseSignedOriginals(
          { dataDir: ctx.config.dataDir, ledger: ctx.ledger, ops: ctx.ops, log: this.log, now: ctx.clock.now, signal: this.stop.signal },
          { volumePath: volume.path, serial: hello.serial, sessionId: this.id, catalog, copiedHashes: this.copiedHashes },
        );
        this.erasedSeqs.push(...erasedSeqs);
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
  /** Catalog name → SHA-256 of what this session copied from that path on the volume, and which file that was. */
  private readonly copiedHashes = new Map<string, CopiedFile>();

  /** What the ledger knows that the planner needs, read before it runs (the planner reads nothing itself). */
  private readFacts(serial: string, input: { info: InfoBlock; catalog: FileEntry[] }, lastSyncAtMs: number | null): LedgerFacts {
    const { ledger } = this.ctx;
    const stored = new Set<string>();
    for (const e of entriesToLookUp(input.catalog)) if (ledger.recordings.findStored(serial, e.seq, Number(e.size), e.sha256, e.name)) stored.add(catalogKey(e));
    const checkouts = ledger.checkouts.ofDevice(serial);
    const officerUnits = new Map<string, string | null>();
    for (const no of officersToLookUp(input, checkouts)) {
      const o = ledger.officers.get(no);
      if (o) officerUnits.set(no, o.unitNo);
    }
    return {
      storedEvents: ledger.deviceEvents.list(serial),
      lastSync: lastSyncAtMs !== null ? { atMs: lastSyncAtMs, driftBeforeMs: ledger.sessions.lastClockSet(serial, this.id)?.driftMs ?? null } : null,
      lastKnownSeq: ledger.recordings.maxSeq(serial),
      stored,
      checkouts,
      officerUnits,
    };
  }

  /** Apply the plan's readings in one transaction: the session's readings and clock, events, docking findings. */
  private recordReadings(hello: Hello, info: InfoBlock, status: RecorderStatus, plan: DockingPlan): void {
    const { ctx } = this;
    const at = ctx.clock.now();
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
      ctx.ledger.deviceEvents.add(hello.serial, this.id, plan.events.tz, plan.events.rows);
      if (plan.events.lastIndex !== null) ctx.ledger.devices.setLastEventIndex(hello.serial, plan.events.lastIndex);
      for (const f of plan.findings) this.raiseIn(f, at);
      ctx.ledger.sessions.countSkipped(this.id, plan.skipped);
    });
  }

  /** Raise a finding (deduplicated) and audit it; inside the caller's transaction. */
  private raiseIn(f: NewFinding, at: number): void {
    const r = this.ctx.ledger.findings.raise(f, at);
    if (r.created) this.ctx.ledger.audit.append(at, 'dock', 'finding.raised', String(r.id), { kind: f.kind, serial: f.serial ?? null, ...(f.seqFrom != null && f.recordingId != null ? { seq: f.seqFrom } : {}) });
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
    await this.ctx.volumes.waitGone(label, 10_000, this.stop.signal);
  }

  /**
   * ENTER_MSC and wait for the volume. Another recorder may answer the same label: then this one leaves
   * mass storage at once, waits until the other's volume is gone, and enters again, so that one
   * `<mountRoot>/<label>` is only ever one recorder's volume while a session works on it.
   */
  private async enterMassStorage(expected: FileEntry[]): Promise<{ path: string; label: string; release: () => void }> {
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
    const release = await ctx.labels.acquire(label, this.stop.signal).catch((e: unknown) => {
      this.check();
      throw e;
    });
    try {
      this.check();
      if (wasHeld && (await this.enterMsc()) !== label) throw new SessionFailure('label_changed', 'the recorder changed its volume label between two ENTER_MSC: dock it again');
      // Read the volume only once it is whole: a mount point, or a folder holding the catalogued files.
      let v;
      try {
        v = await awaitWholeVolume(ctx.volumes, label, expected, { timeoutMs: ctx.config.detect.volumeTimeoutMs, signal: this.stop.signal });
      } catch (e) {
        if (!(e instanceof VolumeNotReady)) throw e;
        // The recorder leaves mass storage (best effort): it keeps its footage and can be used or docked again.
        await this.client.exitMsc().catch(() => undefined);
        throw new SessionFailure(e.verdict === 'absent' ? 'volume_missing' : 'volume_mismatch', e.message);
      }
      this.log.info({ label, mounted: v.mounted, waitedMs: v.waitedMs, missing: v.missing.length }, 'volume ready');
      if (v.missing.length > 0) this.log.warn({ missing: v.missing.slice(0, 20), count: v.missing.length }, 'volume lacks some catalogued files, or their sizes differ: offloading what is there');
      this.volumeGone = ctx.volumes.onceGone(label, () => this.log.warn({ label }, 'volume vanished'));
      return { path: v.path, label, release };
    } catch (e) {
      this.releaseWhenGone(label, release);
      throw e;
    }
  }

  /** Free the label for another recorder only once this volume is really gone (a volume that does not answer is not). */
  private releaseWhenGone(label: string, release: () => void): void {
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
   * Copy every planned file through the keyed copy queue (two at a time, one seq never twice at once),
   * committing each as soon as it is whole. The first error that ends the session starts no further file;
   * an unplug or a stop cancels the copies in flight too.
   */
  private async offload(volumePath: string, plan: DockingPlan, info: InfoBlock): Promise<void> {
    const { ctx } = this;
    this.setState('offloading');
    const bytesTotal = plan.toCopy.reduce((s, p) => s + p.recording.catalogSize, 0);
    this.bumpProgress({ filesTotal: plan.toCopy.length, bytesTotal, filesDone: 0, bytesDone: 0 });
    const started = Date.now();
    let committed = 0;
    const inFlight = new Map<CopyItem, { planned: number; done: number }>();
    const shown = () => committed + [...inFlight.values()].reduce((a, f) => a + f.done, 0);
    const deps = { dataDir: ctx.config.dataDir, ledger: ctx.ledger, pool: ctx.pool, ops: ctx.ops, minFreeBytes: ctx.config.offload.minFreeBytes, now: ctx.clock.now, iso: ctx.iso, signal: this.stop.signal };
    const volumeDev = (await lstat(volumePath)).dev;

    const copyOne = async (item: CopyItem): Promise<void> => {
      this.check();
      let src: string;
      try {
        src = await resolveOnVolume(volumePath, item.entry.name);
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
        return await this.failFile(volumePath, item.entry, e);
      }
      // The file this path names before and after the copy: the erase trusts the copy's hash only for that very file.
      const before = await lstat(src).catch(() => null);
      const raised: string[] = [];
      // Files in flight are not on disk yet: the free-space floor counts them as written.
      const reserved = [...inFlight.values()].reduce((a, f) => a + Math.max(0, f.planned - f.done), 0);
      inFlight.set(item, { planned: item.recording.catalogSize, done: 0 });
      try {
        const out = await storeFile(
          { ...deps, minFreeBytes: deps.minFreeBytes + reserved },
          src,
          item.recording,
          (sha, size) => flagsAfterCopy(item.entry, sha, size),
          (b) => {
            inFlight.set(item, { planned: item.recording.catalogSize, done: b });
            this.bumpProgress({ bytesDone: shown(), rate: rate(shown(), started) });
          },
          (recordingId, sha256, size) => {
            const at = ctx.clock.now();
            for (const f of findingsAfterStore(item, info, { recordingId, sha256, size })) {
              this.raiseIn(f, at);
              raised.push(f.kind);
            }
          },
          volumeDev,
        );
        for (const k of raised) this.noteFinding(k);
        const after = await lstat(src).catch(() => null);
        if (before && after && before.dev === after.dev && before.ino === after.ino && before.mtimeMs === after.mtimeMs) {
          this.copiedHashes.set(item.entry.name, { sha256: out.sha256, dev: after.dev, ino: after.ino, mtimeMs: after.mtimeMs });
        }
        inFlight.delete(item);
        committed += out.size;
        this.bumpProgress({ filesDone: this.progress.filesDone + 1, bytesDone: shown(), rate: rate(shown(), started) });
      } catch (e) {
        inFlight.delete(item);
        if (!(e instanceof IngestError)) throw e;
        if (e.code === 'disk_low') {
          this.raise({ kind: 'disk_low', detail: e.message, dedupeKey: undefined });
          throw e;
        }
        await this.failFile(volumePath, item.entry, e);
      }
    };

    // One file more than the pool copies at once for a recorder (CopyPool.perOwner): while one file's copy is done
    // and its fsync, link and ledger steps run, the next file of this recorder is already being copied.
    await copyEach(plan.toCopy, { concurrency: COPIES_PER_RECORDER + 1, keyOf: (item) => item.entry.seq, copy: copyOne, signal: this.stop.signal });
  }

  /**
   * One file could not be stored. An unplug, a vanished volume, a volume that stopped answering or a stop shows
   * up as read errors (EIO, ENOENT): those end the session as interrupted and raise nothing against the file.
   * Otherwise the file gets its finding and the offload goes on with the next one.
   */
  private async failFile(volumePath: string, entry: FileEntry, e: IngestError): Promise<void> {
    this.check();
    if (e.code === 'volume_gone' || e.code === 'aborted') throw new IngestError('volume_gone', `volume vanished: ${e.message}`);
    const volume = await this.ctx.volumes.probe(dirnameLabel(volumePath));
    this.check();
    if (!volume.answering) throw new IngestError('volume_gone', `volume not answering: ${e.message}`);
    if (!volume.present) throw new IngestError('volume_gone', `volume vanished: ${e.message}`);
    this.fileProblem(entry, e);
  }

  private fileProblem(entry: FileEntry, e: IngestError): void {
    const kind = e.code === 'bad_name' ? 'bad_name' : 'unreadable';
    this.log.warn({ seq: entry.seq, name: entry.name, code: e.code }, e.message);
    this.raise({ kind, detail: `${entry.name} (seq ${entry.seq}): ${e.message}`, seqFrom: entry.seq, seqTo: entry.seq, dedupeKey: `${kind}:${this.serial}:${entry.seq}:${entry.size}` });
  }

  private raise(f: { kind: string; detail: string; seqFrom?: number; seqTo?: number; dedupeKey: string | undefined }): void {
    const at = this.ctx.clock.now();
    this.ctx.ledger.tx(() => this.raiseIn({ kind: f.kind, detail: f.detail, serial: this.serial, sessionId: this.id, seqFrom: f.seqFrom ?? null, seqTo: f.seqTo ?? null, ...(f.dedupeKey ? { dedupeKey: f.dedupeKey } : {}) }, at));
    this.noteFinding(f.kind);
  }

  private async sign(hello: Hello, info: InfoBlock, plan: DockingPlan, result: 'ok' | 'failed' = 'ok'): Promise<void> {
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
