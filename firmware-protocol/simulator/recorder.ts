import fs from 'node:fs';
import path from 'node:path';
import type { SerialPort } from 'serialport';
import { EventCode } from '../codec/constants.js';
import { resetDeviceClock } from './clock.js';
import { ClipFactory } from './clips.js';
import { SimulatedRecorder, type SimLogger } from './device.js';
import { logEvent } from './events.js';
import type { FaultRule } from './faults.js';
import { openSimPort, PtyPair } from './pty.js';
import {
  addPhoto,
  addRecording,
  deleteOnRecorder,
  markImportant,
  skipSeq,
  type PhotoOptions,
  type RecordingDeps,
  type RecordingOptions,
} from './recordings.js';
import { createRecorderState, type RecorderState, type RecorderStateInit, type SimFile } from './state.js';
import { RecorderVolume } from './volume.js';

export interface StartRecorderOptions extends Omit<RecorderStateInit, 'serial'> {
  /** 7 characters, e.g. "A000001". */
  serial: string;
  /** The dock's end of the serial link is `<devDir>/<devPrefix><serial>`. */
  devDir: string;
  /** Default "bwc-". */
  devPrefix?: string;
  /** The simulator's end is `<simDir>/<serial>`; also the default home of the storage folder. */
  simDir: string;
  /** The volume appears as `<mountRoot>/<label>` in mass-storage mode. */
  mountRoot: string;
  /**
   * The storage folder outside mass-storage mode; must be on the same filesystem as `mountRoot`. Default
   * `<simDir>/storage-<serial>` when that is, else `<mountRoot>/.bwc-sim-storage/<serial>`.
   */
  storageDir?: string;
  /** Shared clip maker (one per test file or program), or where to keep its cache. */
  clips: ClipFactory | { cacheDir: string };
  /** Delay between ENTER_MSC's answer and the volume appearing. Default 150 ms. */
  mscDelayMs?: number;
  /** Create the pty pair at once (default true); false: call `replug()` to plug in. */
  plugged?: boolean;
  /** Host clock (default Date.now): the recorder clock is this plus `state.clock.offsetMs`. */
  now?: () => number;
  random?: () => number;
  log?: SimLogger;
}

/** A simulated recorder on a real pty pair with a volume folder: what integration tests drive. */
export interface RecorderHandle {
  readonly serial: string;
  /** Live state; change it freely (battery, recording, passwords, faults…). */
  readonly state: RecorderState;
  /** The dock's end of the serial link. */
  readonly devPath: string;
  readonly simPath: string;
  readonly storageDir: string;
  readonly mountRoot: string;
  readonly plugged: boolean;
  /** PID of the socat making the pty pair, null while unplugged. */
  readonly socatPid: number | null;
  /** The mounted volume's path, null outside mass-storage mode (or before it appeared). */
  readonly volumePath: string | null;
  whenMounted(): Promise<string>;
  /** Absolute path of a catalog file wherever the storage is now. */
  pathOf(name: string): string;
  addRecording(o?: RecordingOptions): Promise<SimFile[]>;
  addPhoto(o?: PhotoOptions): Promise<SimFile>;
  /** Seq numbers that will never appear; `logDeleted` logs FILE_DELETED for each. */
  skipSeq(count: number, o?: { logDeleted?: boolean }): number[];
  deleteOnRecorder(seq: number): void;
  markImportant(seq: number): SimFile;
  /** RTC reset to 2000-01-01 00:00:00 local, CLOCK_LOST logged. */
  resetClock(): void;
  /** Drift: move the recorder clock by `deltaMs` silently (no event), as a crystal does. */
  driftClock(deltaMs: number): void;
  /** Set battery %; `low` logs BATTERY_LOW with it. */
  setBattery(percent: number, o?: { low?: boolean; charging?: boolean }): void;
  /** While recording, ENTER_MSC answers BUSY. */
  setRecording(on: boolean): void;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Resolves once every request received so far is answered. */
  idle(): Promise<void>;
  /** Yank the cable: the volume leaves mountRoot, socat is killed (both pty ends close), the login ends. */
  unplug(): Promise<void>;
  /** Plug back in: a new pty pair at the same paths, same recorder state. */
  replug(): Promise<void>;
  /** Unplug if plugged; with `removeStorage`, delete the storage folder too. */
  stop(o?: { removeStorage?: boolean }): Promise<void>;
}

export async function startRecorder(o: StartRecorderOptions): Promise<RecorderHandle> {
  const state = createRecorderState(o);
  const now = o.now ?? Date.now;
  fs.mkdirSync(o.simDir, { recursive: true });
  fs.mkdirSync(o.mountRoot, { recursive: true });
  fs.mkdirSync(o.devDir, { recursive: true });
  const storageDir = o.storageDir ?? defaultStorageDir(o.simDir, o.mountRoot, o.serial);
  const volume = new RecorderVolume(state, { storageDir, mountRoot: o.mountRoot, appearDelayMs: o.mscDelayMs ?? 150, log: o.log });
  const clips = o.clips instanceof ClipFactory ? o.clips : new ClipFactory(o.clips);
  const devPath = path.join(o.devDir, `${o.devPrefix ?? 'bwc-'}${o.serial}`);
  const simPath = path.join(o.simDir, o.serial);
  const deps: RecordingDeps = { state, clips, storage: volume, now };

  let pty: PtyPair | null = null;
  let port: SerialPort | null = null;
  let engine: SimulatedRecorder | null = null;

  const plug = async () => {
    if (pty) return;
    const pair = await PtyPair.create({ devPath, simPath });
    let p: SerialPort;
    try {
      p = await openSimPort(simPath);
    } catch (e) {
      await pair.kill();
      throw e;
    }
    p.on('error', (err: Error) => o.log?.debug({ err: err.message, serial: o.serial }, 'simulator: port error'));
    pty = pair;
    port = p;
    engine = new SimulatedRecorder(p, state, { now, random: o.random, msc: volume, log: o.log });
    // socat killed by someone else is an unplug too: the volume must not outlive the link.
    void pair.exited.then(() => (pty === pair ? unplug() : undefined));
  };

  const unplug = async () => {
    volume.vanish();
    state.mode = 'normal';
    state.login = 'none';
    engine?.detach();
    engine = null;
    const pair = pty;
    const p = port;
    pty = null;
    port = null;
    if (pair) await pair.kill();
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
  };

  if (o.plugged ?? true) await plug();

  return {
    serial: o.serial,
    state,
    devPath,
    simPath,
    storageDir,
    mountRoot: o.mountRoot,
    get plugged() {
      return pty !== null;
    },
    get socatPid() {
      return (pty as PtyPair | null)?.pid ?? null;
    },
    get volumePath() {
      return volume.mountedAt;
    },
    whenMounted: () => volume.whenMounted(),
    pathOf: (name) => volume.pathOf(name),
    addRecording: (ro) => addRecording(deps, ro),
    addPhoto: (po) => addPhoto(deps, po),
    skipSeq: (count, so) => skipSeq(deps, count, so?.logDeleted ?? false),
    deleteOnRecorder: (seq) => deleteOnRecorder(deps, seq),
    markImportant: (seq) => markImportant(deps, seq),
    resetClock: () => resetDeviceClock(state, now()),
    driftClock: (deltaMs) => {
      state.clock.offsetMs += deltaMs;
    },
    setBattery: (percent, bo) => {
      state.battery = percent;
      if (bo?.charging !== undefined) state.charging = bo.charging;
      if (bo?.low) logEvent(state, now(), EventCode.BATTERY_LOW, percent);
    },
    setRecording: (on) => {
      state.recording = on;
    },
    injectFault: (rule) => {
      state.faults.push(rule);
    },
    clearFaults: () => {
      state.faults.length = 0;
    },
    idle: () => (engine as SimulatedRecorder | null)?.idle() ?? Promise.resolve(),
    unplug,
    replug: plug,
    stop: async (so) => {
      await unplug();
      if (so?.removeStorage) fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

function defaultStorageDir(simDir: string, mountRoot: string, serial: string): string {
  if (fs.statSync(simDir).dev === fs.statSync(mountRoot).dev) return path.join(simDir, `storage-${serial}`);
  return path.join(mountRoot, '.bwc-sim-storage', serial);
}
