import type { InfoBlock } from '../codec/payloads.js';
import { Caps, type EventCode } from '../codec/constants.js';
import type { FaultRule } from './faults.js';

/** What HELLO says about the recorder. */
export interface RecorderIdentity {
  /** 7 ASCII characters, e.g. "A000001". */
  serial: string;
  /** 5 ASCII characters: vendor + model code. */
  idCode: string;
  firmware: string;
  /** HELLO `caps` bits (see `Caps`). */
  caps: number;
}

/** One file in the recorder's catalog. `name` is relative to the storage (volume) root, `/` separators. */
export interface SimFile {
  name: string;
  size: bigint;
  /** Recorder local start time, `YYYYMMDDhhmmss`. */
  start: string;
  durationMs: number;
  seq: number;
  /** FILE entry flags (see `FileFlags`). */
  flags: number;
  /** Capture hash as the recorder reports it (lowercase hex), or null (reported as all zero). */
  sha256: string | null;
}

export interface SimEvent {
  index: number;
  /** Recorder local time, `YYYYMMDDhhmmss`. */
  time: string;
  code: EventCode | number;
  /** Unsigned 32-bit as on the wire (CLOCK_SET's signed seconds are stored as `>>> 0`). */
  arg: number;
}

export type LoginState = 'none' | 'user' | 'admin';

/**
 * Everything a simulated recorder remembers. Plain data: tests may read and change it directly
 * (battery, recording, faults, passwords…); the engine reads it afresh for every request.
 */
export interface RecorderState {
  identity: RecorderIdentity;
  passwords: { user: string; admin: string };
  info: InfoBlock;
  clock: {
    /** Recorder clock minus host clock, in ms (drift, reset and SET_TIME all move this). */
    offsetMs: number;
    /** Minutes east of UTC, as GET_TIME answers. */
    tz: number;
  };
  battery: number;
  charging: boolean;
  /** While true, ENTER_MSC answers BUSY. */
  recording: boolean;
  totalMiB: number;
  /** Free space reported by GET_STATUS; null: total minus the catalog's sizes. */
  freeMiBOverride: number | null;
  /** The event log; `index` of entry i is `events[0].index + i` (life-long numbering). */
  events: SimEvent[];
  /** The index the next event gets (GET_EVENTS `total`). */
  nextEventIndex: number;
  /** The catalog, kept in ascending seq. */
  files: SimFile[];
  /** The seq the next file gets (never reused). */
  nextSeq: number;
  /** The `<NNN>` of `DCIM/<NNN>BWC/`. */
  folderNo: number;
  mode: 'normal' | 'msc';
  login: LoginState;
  /** Consecutive failed LOGINs (reset by a good one or by the end of a lock-out). */
  failedLogins: number;
  /** Host-clock ms until which every LOGIN answers LOCKED; null when not locked. */
  lockedUntil: number | null;
  /** FAT label ENTER_MSC answers (≤ 11 chars). */
  label: string;
  volumeId: number;
  /** Requests received since the recorder was created (the `nth` of fault rules counts these, from 1). */
  requestCount: number;
  faults: FaultRule[];
}

export interface RecorderStateInit {
  serial: string;
  idCode?: string;
  firmware?: string;
  caps?: number;
  userPassword?: string;
  adminPassword?: string;
  info?: Partial<Omit<InfoBlock, 'serial'>>;
  clockOffsetMs?: number;
  tz?: number;
  battery?: number;
  charging?: boolean;
  totalMiB?: number;
  label?: string;
}

const DEFAULT_CAPS = Caps.CAPTURE_HASH | Caps.EVENT_LOG | Caps.COMPOSITE_MSC | Caps.SEGMENTED;

/** A fresh recorder: empty catalog and event log, seq from 1, logged out. */
export function createRecorderState(init: RecorderStateInit): RecorderState {
  if (!/^[\x21-\x7e]{7}$/.test(init.serial)) throw new RangeError(`serial must be 7 printable ASCII characters, got "${init.serial}"`);
  const label = init.label ?? `BWC${init.serial}`;
  if (label.length > 11) throw new RangeError(`label "${label}" is longer than 11 characters`);
  return {
    identity: {
      serial: init.serial,
      idCode: init.idCode ?? 'SIM01',
      firmware: init.firmware ?? 'bwc-sim 1.0.0',
      caps: init.caps ?? DEFAULT_CAPS,
    },
    passwords: { user: init.userPassword ?? '111111', admin: init.adminPassword ?? '000000' },
    info: {
      serial: init.serial,
      userNo: init.info?.userNo ?? '000001',
      userName: init.info?.userName ?? '张三',
      unitNo: init.info?.unitNo ?? '410900000000',
      unitName: init.info?.unitName ?? '濮阳市生态环境局',
    },
    clock: { offsetMs: init.clockOffsetMs ?? 0, tz: init.tz ?? 480 },
    battery: init.battery ?? 90,
    charging: init.charging ?? true,
    recording: false,
    totalMiB: init.totalMiB ?? 32768,
    freeMiBOverride: null,
    events: [],
    nextEventIndex: 0,
    files: [],
    nextSeq: 1,
    folderNo: 100,
    mode: 'normal',
    login: 'none',
    failedLogins: 0,
    lockedUntil: null,
    label,
    volumeId: volumeIdOf(init.serial),
    requestCount: 0,
    faults: [],
  };
}

/** A stable 32-bit volume serial derived from the recorder serial (FNV-1a). */
function volumeIdOf(serial: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < serial.length; i++) h = Math.imul(h ^ serial.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

export function freeMiB(s: RecorderState): number {
  if (s.freeMiBOverride !== null) return s.freeMiBOverride;
  const used = s.files.reduce((a, f) => a + f.size, 0n);
  const usedMiB = Number((used + 1048575n) / 1048576n);
  return Math.max(0, s.totalMiB - usedMiB);
}
