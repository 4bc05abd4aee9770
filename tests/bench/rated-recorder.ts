/**
 * A simulated recorder whose volume is a real file system at a recorder's link speed: the simulator's device
 * engine on a real pty pair (as {@link stageRecorder}'s recorders), with its storage on a {@link LoopVolume},
 * mounted beforehand with its FUSE process in the bench's blkio group (so every read is held to the rate set
 * for its loop device). ENTER_MSC shows it at `<mountRoot>/<label>` (mount point first, then a bind mount of
 * the volume on it, as systemd-mount makes the folder and mounts on it); EXIT_MSC or an unplug takes it away.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { SimulatedRecorder } from '../../firmware-protocol/simulator/device.js';
import type { MscControl } from '../../firmware-protocol/simulator/handlers.js';
import { openSimPort, PtyPair } from '../../firmware-protocol/simulator/pty.js';
import { createRecorderState, type RecorderState } from '../../firmware-protocol/simulator/state.js';
import { now } from './env.js';
import type { Bay, Footage } from './footage.js';
import type { LoopVolume } from './loop-volume.js';

export interface RatedRecorder {
  readonly serial: string;
  readonly state: RecorderState;
  /** Bench-clock time (performance.now()) at which its volume last appeared for the dock, null before. */
  readonly volumeMountedAt: number | null;
  replug(): Promise<void>;
  /** Unplug: the volume leaves `<mountRoot>`, the link is closed. The volume stays mounted where it was (its owner's). */
  stop(): Promise<void>;
}

/** The label a recorder's volume must carry for `f` (the simulator's default). */
export const labelOf = (f: Footage) => `BWC${f.serial}`;

/**
 * An unplugged recorder holding `f`'s catalog, whose files are on `volume` (mounted, in the throttle's group);
 * `replug()` docks it. `mscDelayMs`: ENTER_MSC's answer to the volume appearing, as the simulator's default.
 */
export function stageRatedRecorder(f: Footage, bay: Bay, volume: LoopVolume, mscDelayMs = 150): RatedRecorder {
  const state = createRecorderState({ serial: f.serial, info: { userNo: f.userNo }, label: volume.label });
  state.files = structuredClone(f.files);
  state.events = structuredClone(f.events);
  state.nextEventIndex = f.nextEventIndex;
  state.nextSeq = f.nextSeq;
  const at = join(bay.mountRoot, volume.label);
  let mountedAt: number | null = null;
  // The bind mount under way since ENTER_MSC (a withdrawal waits for it), and its timer.
  let mounting: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;

  const takeAway = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    await mounting;
    const mp = volume.mountPoint;
    // The catalog forgets what the dock erased, as a recorder's firmware rescans its card.
    if (mp) state.files = state.files.filter((x) => existsSync(join(mp, ...x.name.split('/'))));
    await volume.hide();
  };
  const msc: MscControl = {
    expose() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        mounting = volume.show(at).then(
          () => {
            mountedAt = now();
          },
          (e: unknown) => {
            process.stderr.write(`bench: volume of ${f.serial} not shown: ${String(e)}\n`);
          },
        );
      }, mscDelayMs);
    },
    withdraw: takeAway,
  };

  let pty: PtyPair | null = null;
  let port: SerialPort | null = null;
  let engine: SimulatedRecorder | null = null;
  const unplug = async () => {
    engine?.detach();
    engine = null;
    state.mode = 'normal';
    state.login = 'none';
    await takeAway();
    const pair = pty;
    const p = port;
    pty = null;
    port = null;
    if (pair) await pair.kill();
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
  };

  return {
    serial: f.serial,
    state,
    get volumeMountedAt() {
      return mountedAt;
    },
    async replug() {
      if (pty) return;
      for (const d of [bay.devDir, bay.simDir]) mkdirSync(d, { recursive: true });
      const simPath = join(bay.simDir, f.serial);
      const pair = await PtyPair.create({ devPath: join(bay.devDir, `bwc-${f.serial}`), simPath });
      try {
        port = await openSimPort(simPath);
      } catch (e) {
        await pair.kill();
        throw e;
      }
      port.on('error', () => undefined);
      pty = pair;
      engine = new SimulatedRecorder(port, state, { msc });
    },
    stop: unplug,
  };
}
