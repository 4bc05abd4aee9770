import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedRecorder } from '../../../firmware-protocol/simulator/device.js';
import { openSimPort, PtyPair } from '../../../firmware-protocol/simulator/pty.js';
import { createRecorderState, type RecorderState } from '../../../firmware-protocol/simulator/state.js';
import type { MediaProbe } from '../../../daemon/ingest/media.js';
import { consoleFor } from '../../helpers/api.js';
import { ExfatVolume } from '../../helpers/exfat.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

/**
 * A recorder's storage that stops answering without going away (a USB device in error recovery): its FUSE process
 * stopped mid-copy. The daemon runs in this test's process, so a daemon blocked in the file system blocks the test
 * too: a watchdog thread resumes the volume after 90 s, and every check below asks whether it had to.
 *
 * No process is started while the volume hangs, by the test or by the daemon: a process one of whose threads waits
 * in a read of a hung FUSE volume (the copy's) cannot fork and exec until that read returns (measured on this
 * kernel: /bin/true took as long as the hang, from Node and from Python alike; a waiting stat does not do it).
 * So the second recorder's pty (socat) and clip (ffmpeg) are made before, and the daemon's probe of stored files
 * (ffprobe) is replaced: in the daemon as it is, that ffprobe still waits for the hung volume (a known defect of
 * copies read in the daemon's own process, reported apart).
 */
let t: TestDock;
let vol: ExfatVolume | null = null;
let pair: PtyPair | null = null;
let port: SerialPort | null = null;
let closeConsole: (() => Promise<void>) | null = null;
let dog: Watchdog | null = null;
afterEach(async () => {
  await dog?.disarm();
  dog = null;
  vol?.resume();
  await closeConsole?.();
  closeConsole = null;
  if (port?.isOpen) await new Promise((r) => port!.close(r));
  await pair?.kill();
  vol?.destroy();
  vol = null;
  await t?.stop();
});

interface Watchdog {
  /** The watchdog resumed the volume: the main thread did not get there first. */
  fired(): boolean;
  disarm(): Promise<void>;
}

/** A thread of its own that sends SIGCONT to `pid` after `ms` unless disarmed first: a main thread blocked on the volume cannot. */
function watchdog(pid: number, ms: number): Watchdog {
  const flags = new Int32Array(new SharedArrayBuffer(8)); // [0] disarmed, [1] fired
  const worker = new Worker(
    `const { workerData: { flags, pid, ms } } = require('node:worker_threads');
     if (Atomics.wait(flags, 0, 0, ms) === 'timed-out') { Atomics.store(flags, 1, 1); try { process.kill(pid, 'SIGCONT'); } catch {} }`,
    { eval: true, workerData: { flags, pid, ms } },
  );
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  return {
    fired: () => Atomics.load(flags, 1) === 1,
    async disarm() {
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      await exited;
    },
  };
}

/** An exFAT volume holding `n` catalogued files of `sizeMiB` random bytes each (capture hashes). */
async function recorderOnExfat(serial: string, n: number, sizeMiB: number): Promise<RecorderState> {
  const state = createRecorderState({ serial, tz: 480 });
  vol = ExfatVolume.create(t.dir, state.label, 256);
  const staging = join(t.dir, 'staging');
  await vol.mount(staging);
  mkdirSync(join(staging, 'DCIM', '100BWC'), { recursive: true });
  for (let i = 1; i <= n; i++) {
    const name = `DCIM/100BWC/${serial}_000001_20261124080000_${String(i).padStart(4, '0')}.MP4`;
    const bytes = randomBytes(sizeMiB * 1024 * 1024 + i);
    writeFileSync(join(staging, name), bytes);
    state.files.push({ name, size: BigInt(bytes.length), start: '20261124080000', durationMs: 2000, seq: i, flags: 0, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  state.nextSeq = n + 1;
  await vol.unmount();
  return state;
}

/** Stored files are not probed here (see above): each probe is answered "nothing learnt, try after the next start". */
const noFfprobe: MediaProbe = { probe: () => Promise.reject(new Error('no ffprobe while a volume hangs (see the test)')) };

describe('a real exFAT volume that stops answering mid-file', () => {
  it('ends that docking after the copy stall limit while the main thread, the console and another recorder carry on', async () => {
    t = await testDock({ offload: { minFreeBytes: 0 } });
    await t.start({ copyStallMs: 3_000, media: noFfprobe });
    const c = await consoleFor(t);
    closeConsole = c.close;
    const manager = await c.as('manager');
    const serial = 'A000070';
    const state = await recorderOnExfat(serial, 2, 96);
    const volume = vol!;
    const mountAt = join(t.mountRoot, state.label);
    let hung = false;
    // A recorder whose storage hangs cannot unmount it at EXIT_MSC (and an umount here would block this thread).
    const msc = { expose: () => void volume.mount(mountAt), withdraw: async () => (hung ? undefined : volume.unmount()) };
    pair = await PtyPair.create({ devPath: join(t.devDir, `bwc-${serial}`), simPath: join(t.simDir, serial) });
    port = await openSimPort(join(t.simDir, serial));
    new SimulatedRecorder(port, state, { msc });
    // The second recorder, linked where the dock does not look yet (see above): it docks once its link is moved in.
    const other = await t.recorder('A000071', { devPrefix: 'later-' });
    await other.addRecording({ durationMs: 2000 });

    // Hang while both files are being read (two at a time): the copies wait in reads that do not return.
    const tmpDir = join(t.config.dataDir, 'tmp');
    await waitFor('a file half copied', () => readdirSync(tmpDir).some((f) => f.endsWith('.part') && statSync(join(tmpDir, f)).size > 4 * 1024 * 1024), 60_000, 1);
    hung = true;
    volume.stop();
    dog = watchdog(volume.pid!, 90_000);

    // While the copy runs the daemon looks at the volume folder every 250 ms (is it gone?): a timer set now is
    // answered only if none of those looks blocks the main thread.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(dog.fired(), 'the main thread was blocked on the hung volume until the watchdog resumed it').toBe(false);
    // The console answers, and shows the recorder still offloading.
    const slots = await manager.get<{ items: Array<{ serial: string | null; state: string }> }>('/api/slots');
    expect(dog.fired()).toBe(false);
    expect(slots.status).toBe(200);
    expect(slots.body.items.find((s) => s.serial === serial)?.state).toBe('offloading');
    // The daemon's own look finds a volume that is there and does not answer (not gone).
    expect(await t.daemon!.ctx.volumes.probe(state.label)).toEqual({ present: true, mounted: true, answering: false });

    // Another recorder docks, whole, while the volume still hangs.
    renameSync(other.devPath, join(t.devDir, 'bwc-A000071'));
    const otherSlot = await t.slot('A000071', undefined, 60_000);
    expect(dog.fired()).toBe(false);
    expect(otherSlot.state, String(otherSlot.error)).toBe('ready');
    expect(t.daemon!.ctx.ledger.recordings.all().filter((r) => r.serial === 'A000071')).toHaveLength(1);

    // The hung docking ends once its copies make no progress for the stall limit: interrupted, nothing stored of it.
    const slot = await t.slot(serial, undefined, 60_000);
    expect(dog.fired()).toBe(false);
    expect(slot.state).toBe('interrupted');
    expect(slot.error).toMatch(/made no progress \(device not answering\)/);
    expect(t.daemon!.ctx.ledger.sessions.get(slot.sessionId)!.result).toBe('interrupted');
    expect(t.daemon!.ctx.ledger.recordings.all().filter((r) => r.serial === serial)).toEqual([]);

    // And the daemon stops while the volume still hangs.
    await t.daemon!.stop();
    expect(dog.fired()).toBe(false);
  }, 240_000);
});
