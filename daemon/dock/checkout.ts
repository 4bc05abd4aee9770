import { LoginRole } from '../../firmware-protocol/codec/constants.js';
import { EncodeError, LinkError } from '../../firmware-protocol/codec/errors.js';
import { deviceTimeFromEpoch, encodeGbk, type DeviceTime } from '../../firmware-protocol/codec/fields.js';
import type { FileEntry, InfoBlock, RecorderStatus } from '../../firmware-protocol/codec/payloads.js';
import type { Config } from '../config.js';
import { DockError } from '../errors.js';
import type { Checkout } from '../ledger/checkouts.js';
import type { DeviceStatus } from '../ledger/devices.js';
import type { Ledger } from '../ledger/index.js';
import type { Officer } from '../ledger/officers.js';
import type { Logger } from '../log.js';
import type { DockClock } from './context.js';
import { zoneOffsetMinutes } from './session.js';
import type { SlotBoard } from './slots.js';

/** Why a recorder is not handed out (CONTRACT: the 409 `reasons`). */
export type ReadinessReason = 'battery' | 'storage' | 'pending_files' | 'dock_unsynced';

/** Refusals of a checkout, check-in or status change (the catalogue says what each means). */
export const CHECKOUT_ERROR_CODES = ['unknown_device', 'unknown_officer', 'bad_officer', 'unavailable', 'already_checked_out', 'not_checked_out', 'not_docked', 'busy', 'not_ready', 'bad_status', 'recorder'] as const;
export type CheckoutErrorCode = (typeof CHECKOUT_ERROR_CODES)[number];

/** Every refusal of a checkout, check-in or status change; `reasons` when readiness refused it. */
export class CheckoutError extends DockError<CheckoutErrorCode> {
  readonly domain = 'checkout';

  constructor(
    code: CheckoutErrorCode,
    message: string,
    readonly reasons: ReadinessReason[] = [],
    field?: string,
  ) {
    super(code, message, field);
  }
}

export interface ReadinessThresholds {
  minBatteryPct: number;
  minFreeStoragePct: number;
}

/** The readings readiness is decided on: plain data, so the rule is testable without a recorder. */
export interface ReadinessInput {
  status: Pick<RecorderStatus, 'battery' | 'freeMiB' | 'totalMiB'>;
  /** The recorder's catalog (LIST_FILES). */
  catalog: ReadonlyArray<{ seq: number; size: number; sha256: string | null; name?: string }>;
  /** Whether the ledger holds a stored copy of a catalog entry (CONTRACT "already stored"). */
  isStored(entry: { seq: number; size: number; sha256: string | null; name?: string }): boolean;
  dockSynced: boolean;
  thresholds: ReadinessThresholds;
}

/** Every reason a recorder is not ready to go out, in the contract's order; empty when it is ready. */
export function readinessReasons(i: ReadinessInput): ReadinessReason[] {
  const out: ReadinessReason[] = [];
  if (i.status.battery < i.thresholds.minBatteryPct) out.push('battery');
  const freePct = i.status.totalMiB > 0 ? (i.status.freeMiB / i.status.totalMiB) * 100 : 0;
  if (freePct < i.thresholds.minFreeStoragePct) out.push('storage');
  if (i.catalog.some((e) => !i.isStored(e))) out.push('pending_files');
  if (!i.dockSynced) out.push('dock_unsynced');
  return out;
}

/** What checkout needs of the recorder link (RecorderClient fits); injectable for tests. */
export interface RecorderLink {
  login(role: LoginRole, password: string): Promise<void>;
  getStatus(): Promise<RecorderStatus>;
  listFiles(): Promise<FileEntry[]>;
  setInfo(info: InfoBlock): Promise<void>;
  setTime(time: DeviceTime, ms: number, tz: number): Promise<void>;
  /** Stop using the link; the dock keeps owning the port. */
  detach(): void;
}

/** Opens a link to a docked recorder by serial, or null when it has none. */
export type OpenRecorderLink = (serial: string) => RecorderLink | null;

/** The INFO block's name fields hold 32 GBK bytes (and a NUL); numbers are ASCII. */
const NAME_MAX_BYTES = 32;
const UNIT_NO_MAX = 12;

/** Refuse an officer entry that cannot be written into a recorder; throws CheckoutError('bad_officer') naming the field. */
export function checkOfficerFields(o: Officer): void {
  const bad = (field: string, msg: string) => new CheckoutError('bad_officer', `${field}: ${msg}`, [], field);
  if (!/^\d{6}$/.test(o.officerNo)) throw bad('officerNo', 'must be 6 digits');
  if (!o.name.trim()) throw bad('name', 'must not be empty');
  if (!o.unitName.trim()) throw bad('unitName', 'must not be empty');
  if (!/^[\x21-\x7e]{1,12}$/.test(o.unitNo)) throw bad('unitNo', `must be 1-${UNIT_NO_MAX} printable ASCII characters without spaces`);
  for (const field of ['name', 'unitName'] as const) {
    try {
      encodeGbk(o[field], NAME_MAX_BYTES, field);
    } catch (e) {
      if (e instanceof EncodeError) throw bad(field, e.message.replace(/^[^:]+: /, ''));
      throw e;
    }
  }
}

export interface CheckoutDeps {
  ledger: Ledger;
  slots: Pick<SlotBoard, 'bySerial' | 'update'>;
  clock: DockClock;
  config: Pick<Config, 'checkout' | 'timezone' | 'recorders'>;
  open: OpenRecorderLink;
  log: Logger;
}

export interface CheckoutOutcome {
  checkout: Checkout;
  battery: number;
  freeMiB: number;
  totalMiB: number;
}

const SETTABLE: DeviceStatus[] = ['in_dock', 'in_repair', 'retired'];

/**
 * Checkout and check-in of recorders (R8, 004 §4 and §7): readiness first, then the officer's INFO block and
 * the dock's time go into the recorder, then the ledger records the period with who did it.
 */
export class CheckoutService {
  private readonly inFlight = new Set<string>();

  constructor(private readonly deps: CheckoutDeps) {}

  async checkout(serial: string, officerNo: string, by: string): Promise<CheckoutOutcome> {
    const { ledger } = this.deps;
    const device = ledger.devices.get(serial);
    if (!device) throw new CheckoutError('unknown_device', `no recorder ${serial} in the registry`);
    if (device.status === 'retired' || device.status === 'in_repair') throw new CheckoutError('unavailable', `recorder ${serial} is ${device.status.replace('_', ' ')}`);
    const open = ledger.checkouts.open(serial);
    if (open) throw new CheckoutError('already_checked_out', `recorder ${serial} is checked out to ${open.officerNo}; check it in first`);
    const officer = ledger.officers.get(officerNo);
    if (!officer) throw new CheckoutError('unknown_officer', `officerNo: no officer ${officerNo} in the registry`, [], 'officerNo');
    checkOfficerFields(officer);
    const slot = this.deps.slots.bySerial(serial);
    if (!slot) throw new CheckoutError('not_docked', `recorder ${serial} is not in the dock`);
    if (slot.state !== 'ready') throw new CheckoutError('busy', `recorder ${serial} is ${slot.state}: wait until its docking session is ready`);
    if (this.inFlight.has(serial)) throw new CheckoutError('busy', `a checkout of recorder ${serial} is already under way`);
    const link = this.deps.open(serial);
    if (!link) throw new CheckoutError('not_docked', `recorder ${serial} has no open link`);
    this.inFlight.add(serial);
    try {
      return await this.run(link, serial, officer, by, slot.port);
    } catch (e) {
      if (e instanceof LinkError) throw new CheckoutError('recorder', `recorder ${serial}: ${e.message}`);
      throw e;
    } finally {
      this.inFlight.delete(serial);
      link.detach();
    }
  }

  private async run(link: RecorderLink, serial: string, officer: Officer, by: string, port: string): Promise<CheckoutOutcome> {
    const { ledger, clock, config } = this.deps;
    await link.login(LoginRole.Admin, config.recorders.passwords[serial] ?? config.recorders.adminPassword);
    const status = await link.getStatus();
    const catalog = await link.listFiles();
    this.deps.slots.update(port, { battery: status.battery });
    const reasons = readinessReasons({
      status,
      catalog: catalog.map((f) => ({ seq: f.seq, size: Number(f.size), sha256: f.sha256, name: f.name })),
      isStored: (e) => ledger.recordings.findStored(serial, e.seq, e.size, e.sha256, e.name) !== null,
      dockSynced: clock.synced(),
      thresholds: config.checkout,
    });
    if (reasons.length > 0) throw new CheckoutError('not_ready', `recorder ${serial} is not ready: ${reasons.join(', ')}`, reasons);

    const info: InfoBlock = { serial, userNo: officer.officerNo, userName: officer.name, unitNo: officer.unitNo, unitName: officer.unitName };
    await link.setInfo(info);
    const now = clock.now();
    const tz = zoneOffsetMinutes(config.timezone, now);
    await link.setTime(deviceTimeFromEpoch(now, tz), now % 1000, tz);
    const id = ledger.tx(() => {
      const cid = ledger.checkouts.checkOut(serial, officer.officerNo, by, now);
      ledger.devices.setStatus(serial, 'checked_out');
      ledger.devices.setLastSync(serial, now);
      ledger.devices.recordHealth(serial, { battery: status.battery, freeMiB: status.freeMiB, totalMiB: status.totalMiB, fileCount: status.fileCount, info });
      ledger.audit.append(now, by, 'device.checkout', serial, {
        checkoutId: cid,
        officerNo: officer.officerNo,
        battery: status.battery,
        freeMiB: status.freeMiB,
        totalMiB: status.totalMiB,
        clockSetTo: now,
        tz,
      });
      return cid;
    });
    // The slot keeps the officer whose footage its docking offloaded: the card showed the new holder's name on the
    // previous officer's offload (issue 18). Who holds the recorder now is the ledger's checkout, on its page.
    this.deps.log.info({ serial, officerNo: officer.officerNo, by, checkoutId: id }, 'recorder checked out');
    return { checkout: ledger.checkouts.get(id)!, battery: status.battery, freeMiB: status.freeMiB, totalMiB: status.totalMiB };
  }

  /** Explicit check-in: closes the open checkout. */
  checkin(serial: string, by: string): Checkout {
    const { ledger, clock } = this.deps;
    const device = ledger.devices.get(serial);
    if (!device) throw new CheckoutError('unknown_device', `no recorder ${serial} in the registry`);
    const open = ledger.checkouts.open(serial);
    if (!open) throw new CheckoutError('not_checked_out', `recorder ${serial} is not checked out`);
    const now = clock.now();
    ledger.tx(() => {
      ledger.checkouts.checkIn(open.id, by, now, null);
      ledger.devices.setStatus(serial, 'in_dock');
      ledger.audit.append(now, by, 'device.checkin', serial, { checkoutId: open.id, officerNo: open.officerNo, explicit: true });
    });
    return ledger.checkouts.get(open.id)!;
  }

  /** Registry status set by hand (in repair, retired, back in the dock); `checked_out` only comes from a checkout. */
  setStatus(serial: string, status: DeviceStatus, by: string): void {
    const { ledger, clock } = this.deps;
    const device = ledger.devices.get(serial);
    if (!device) throw new CheckoutError('unknown_device', `no recorder ${serial} in the registry`);
    if (!SETTABLE.includes(status)) throw new CheckoutError('bad_status', `status: "${status}" is set by a checkout, not by hand`, [], 'status');
    const open = ledger.checkouts.open(serial);
    if (open) throw new CheckoutError('already_checked_out', `recorder ${serial} is checked out to ${open.officerNo}; check it in first`);
    if (device.status === status) return;
    const now = clock.now();
    ledger.tx(() => {
      ledger.devices.setStatus(serial, status);
      ledger.audit.append(now, by, 'device.status', serial, { from: device.status, to: status });
    });
  }
}
