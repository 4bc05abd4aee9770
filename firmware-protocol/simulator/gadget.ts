import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import type { SerialPort } from 'serialport';
import { RecorderClient } from '../client/client.js';
import { LoginRole } from '../codec/constants.js';
import { ClipFactory } from './clips.js';
import { SimulatedRecorder, type SimLogger } from './device.js';
import type { MscControl } from './handlers.js';
import { openSimPort } from './pty.js';
import { addRecording, type RecordingDeps } from './recordings.js';
import { createRecorderState, type RecorderState } from './state.js';

/**
 * The simulator's device engine behind a real USB gadget (Linux configfs: CDC-ACM + mass storage), as a
 * recorder's firmware runs behind its USB port. The serial link is the gadget's tty (`/dev/ttyGS0`); the storage
 * is an exFAT image file that is the mass-storage function's backing file. Outside mass-storage mode the image is
 * loop-mounted on the gadget side (the recorder writes its files there) and the LUN has no medium; ENTER_MSC
 * unmounts it and inserts it as the LUN's medium (the dock's side sees the volume appear, as with a real recorder,
 * whose storage is only exposed over USB in mass-storage mode); EXIT_MSC or a cable pull ejects it and mounts it
 * back on the gadget side, where the catalog forgets the files the dock deleted. A cable pull is the gadget unbound
 * from its UDC (the tester writes "" to the gadget's UDC): the login ends and the link is reopened when
 * the UDC is configured again. The state (catalog, sequence numbers, events) is kept in a JSON file, so the
 * recorder outlives a restart of the machine it runs on, as a real recorder outlives the dock's.
 */
export interface GadgetRecorderOptions {
  /** The gadget side of the CDC-ACM function, e.g. /dev/ttyGS0. */
  tty: string;
  /** The exFAT image (the mass-storage function's backing file). */
  image: string;
  /** Where the image is loop-mounted outside mass-storage mode. */
  storageDir: string;
  /** The configfs LUN folder, e.g. /sys/kernel/config/usb_gadget/bwc/functions/mass_storage.0/lun.0. */
  lun: string;
  /**
   * The UDC's sysfs folder, e.g. /sys/class/udc/dummy_udc.0: plugged while a gadget is bound to it (`function`) and
   * the host has configured it (`state`). `state` alone stays `configured` after the gadget is unbound.
   */
  udc: string;
  /** The recorder's persistent state (JSON); made from `serial` when missing. */
  stateFile: string;
  serial: string;
  adminPassword?: string;
  clipsCacheDir: string;
  log?: SimLogger;
  /** Log every request too (a line per request costs a real share of an emulated machine's time). */
  traceRequests?: boolean;
}

export interface GadgetRecorder {
  readonly state: RecorderState;
  /** Record `count` recordings of `segments` segments each, every segment padded to `segmentBytes`. */
  record(count: number, o?: { segments?: number; segmentBytes?: number }): Promise<void>;
  /** Write the state file now. */
  save(): void;
  stop(): Promise<void>;
}

const bigintJson = (_k: string, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v);
const bigintRevive = (_k: string, v: unknown) =>
  v && typeof v === 'object' && '$bigint' in (v as Record<string, unknown>) ? BigInt((v as { $bigint: string }).$bigint) : v;

function loadState(o: GadgetRecorderOptions): RecorderState {
  if (fs.existsSync(o.stateFile)) {
    const s = JSON.parse(fs.readFileSync(o.stateFile, 'utf8'), bigintRevive) as RecorderState;
    // A restart is a power cycle of the link: not logged in, not in mass-storage mode.
    s.mode = 'normal';
    s.login = 'none';
    s.faults = [];
    return s;
  }
  return createRecorderState({ serial: o.serial, ...(o.adminPassword !== undefined ? { adminPassword: o.adminPassword } : {}) });
}

/**
 * The kernel's side of the recorder's storage image: its loop mount as the recorder's own storage, and its place as
 * the USB LUN's medium. Each step is slow in an emulated machine (a process, a flush), so none runs while a request
 * waits for its answer.
 */
export interface StorageMedium {
  /** Mount the image as the recorder's own storage (nothing when mounted). */
  mountStorage(): Promise<void>;
  /** Flush and unmount the recorder's own storage (nothing when not mounted). */
  unmountStorage(): Promise<void>;
  /** Make the image the LUN's medium: the host sees a volume. */
  insert(): Promise<void>;
  /** Take the medium away, even while the host holds it locked (a mounted volume). */
  eject(): Promise<void>;
}

const execFileAsync = promisify(execFile);

/** The image loop-mounted at `storageDir`, and the configfs LUN's `file`/`forced_eject`. */
export function kernelMedium(o: Pick<GadgetRecorderOptions, 'image' | 'storageDir' | 'lun'>): StorageMedium {
  const mounted = () =>
    execFileAsync('mountpoint', ['-q', o.storageDir]).then(
      () => true,
      () => false,
    );
  return {
    mountStorage: async () => {
      await fs.promises.mkdir(o.storageDir, { recursive: true });
      if (!(await mounted())) await execFileAsync('mount', ['-t', 'exfat', '-o', 'loop', o.image, o.storageDir]);
    },
    unmountStorage: async () => {
      if (await mounted()) await execFileAsync('umount', [o.storageDir]);
    },
    insert: () => fs.promises.writeFile(path.join(o.lun, 'file'), o.image),
    eject: async () => {
      // A recorder leaving mass-storage mode does not ask the host.
      try {
        await fs.promises.writeFile(path.join(o.lun, 'forced_eject'), '1');
      } catch {
        await fs.promises.writeFile(path.join(o.lun, 'file'), '');
      }
    },
  };
}

/**
 * The image as the recorder's own storage or as the USB medium, never both at once (one writer at a time). ENTER_MSC
 * and EXIT_MSC are answered at once, as the firmware does within the protocol's 1 s; the medium changes after, in
 * order: ENTER_MSC's volume appears later (the protocol allows 5 s), EXIT_MSC's goes later (the host waits for that),
 * and LIST_FILES and GET_STATUS wait until the catalog has forgotten what the host deleted.
 */
export class ImageVolume implements MscControl {
  private exposed = false;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly medium: StorageMedium,
    private readonly storageDir: string,
    private readonly state: RecorderState,
    private readonly log?: SimLogger,
  ) {}

  /** Run `step` after every medium change asked for before it; a failure is logged and does not stop later ones. */
  private queue(what: string, step: () => Promise<void>): Promise<void> {
    const p = this.work.then(step);
    this.work = p.catch((e: unknown) => this.log?.warn({ err: String(e) }, `gadget: ${what}`));
    return this.work;
  }

  expose(): void {
    this.exposed = true;
    void this.queue('medium not inserted', async () => {
      await this.medium.unmountStorage();
      await this.medium.insert();
      this.log?.debug({}, 'gadget: medium inserted');
    });
  }

  async withdraw(): Promise<void> {
    void this.retake();
  }

  /**
   * EXIT_MSC, a cable pull or a start: the medium ejected, the image mounted as the recorder's own storage again
   * and the catalog without the files the host deleted. Resolves when done.
   */
  retake(): Promise<void> {
    return this.queue('storage not taken back', async () => {
      if (this.exposed) {
        await this.medium.eject();
        this.exposed = false;
        this.log?.debug({}, 'gadget: medium ejected');
      }
      await this.medium.mountStorage();
      this.state.files = this.state.files.filter((f) => fs.existsSync(this.pathOf(f.name)));
    });
  }

  settled(): Promise<void> {
    return this.work;
  }

  pathOf(name: string): string {
    return path.join(this.storageDir, ...name.split('/'));
  }
}

/** Two in-memory byte streams wired back to back. */
function memoryLink(): { host: Duplex; device: Duplex } {
  const pair = {} as { host: Duplex; device: Duplex };
  const end = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(Buffer.from(chunk));
        cb();
      },
    });
  pair.host = end(() => pair.device);
  pair.device = end(() => pair.host);
  return pair;
}

/**
 * A real recorder's firmware answers within the protocol's 1 s from its first request; this engine runs in Node
 * inside an emulated machine, where code run for the first time is slow enough to miss that. So every request
 * path is run once on a copy of the state over an in-memory link before the gadget's tty is served.
 */
export async function warmUp(state: RecorderState): Promise<void> {
  const copy = structuredClone(state);
  const { host, device } = memoryLink();
  const engine = new SimulatedRecorder(device, copy, {});
  const client = new RecorderClient(host, { timeoutMs: () => 60_000 });
  try {
    await client.hello();
    await client.login(LoginRole.Admin, copy.passwords.admin);
    await client.getInfo();
    await client.getTime();
    await client.getStatus();
    await client.listFiles();
    await client.getEvents(0);
  } catch {
    // Only warming: a failure here shows up again, for real, on the tty.
  } finally {
    engine.detach();
  }
}

export async function startGadgetRecorder(o: GadgetRecorderOptions): Promise<GadgetRecorder> {
  const state = loadState(o);
  const volume = new ImageVolume(kernelMedium(o), o.storageDir, state, o.log);
  await volume.retake();
  const clips = new ClipFactory({ cacheDir: o.clipsCacheDir });
  const deps: RecordingDeps = { state, clips, storage: volume, now: Date.now };
  let saved = '';
  const save = () => {
    // The request counter changes with every request: not a reason to write the file.
    const text = JSON.stringify({ ...state, requestCount: 0 }, bigintJson);
    if (text === saved) return;
    const tmp = `${o.stateFile}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, o.stateFile);
    saved = text;
  };
  save();
  await warmUp(state);

  let port: SerialPort | null = null;
  let engine: SimulatedRecorder | null = null;
  let stopped = false;
  let busy = false;

  const udcConfigured = () => {
    try {
      const read = (f: string) => fs.readFileSync(path.join(o.udc, f), 'utf8').trim();
      return read('function') !== '' && read('state') === 'configured';
    } catch {
      return false;
    }
  };
  const pulled = async () => {
    engine?.detach();
    engine = null;
    const p = port;
    port = null;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
    await volume.retake();
    state.mode = 'normal';
    state.login = 'none';
    o.log?.debug({}, 'gadget: cable pulled');
  };
  const plugged = async () => {
    const p = await openSimPort(o.tty);
    p.on('error', (err: Error) => o.log?.debug({ err: err.message }, 'gadget: tty error'));
    // A hang-up of the gadget tty (the host side went away) ends this link; the poller reopens it.
    p.on('close', () => {
      if (port === p) void pulled();
    });
    port = p;
    const log = o.log && !o.traceRequests ? { debug: () => undefined, warn: o.log.warn.bind(o.log) } : o.log;
    engine = new SimulatedRecorder(p, state, { msc: volume, ...(log ? { log } : {}) });
    o.log?.debug({ tty: o.tty }, 'gadget: link up');
  };
  const poll = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    const up = udcConfigured();
    const step = up && !port ? plugged() : !up && port ? pulled() : Promise.resolve();
    step
      .catch((e: unknown) => o.log?.warn({ err: String(e) }, 'gadget: link change failed'))
      .finally(() => {
        busy = false;
        try {
          save();
        } catch (e) {
          o.log?.warn({ err: String(e) }, 'gadget: state not saved');
        }
      });
  }, 200);

  return {
    state,
    save,
    record: async (count, ro) => {
      await volume.settled();
      if (state.mode === 'msc') throw new Error('recording while in mass-storage mode: the storage is on the USB side');
      const segments = ro?.segments ?? 1;
      for (let i = 0; i < count; i++) {
        await addRecording(deps, {
          durationMs: 3000 * segments,
          segmentMs: 3000,
          ...(ro?.segmentBytes !== undefined ? { segmentBytes: ro.segmentBytes } : {}),
        });
      }
      await execFileAsync('sync');
      save();
    },
    stop: async () => {
      stopped = true;
      clearInterval(poll);
      await pulled();
      save();
    },
  };
}
