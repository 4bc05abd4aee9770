import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedRecorder } from '../../../firmware-protocol/simulator/device.js';
import { openSimPort, PtyPair } from '../../../firmware-protocol/simulator/pty.js';
import { createRecorderState, type RecorderState } from '../../../firmware-protocol/simulator/state.js';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { ExfatVolume } from '../../helpers/exfat.js';
import { testDock, type TestDock } from '../../helpers/dock.js';

/**
 * A real exFAT volume mounted the way systemd-mount mounts one: the mount-point folder appears at ENTER_MSC, the
 * file system is mounted on it seconds later. The dock must wait for the mount, not read the empty folder.
 */
let t: TestDock;
let vol: ExfatVolume | null = null;
let pair: PtyPair | null = null;
let port: SerialPort | null = null;
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const x of timers.splice(0)) clearTimeout(x);
  if (port?.isOpen) await new Promise((r) => port!.close(r));
  await pair?.kill();
  vol?.destroy();
  vol = null;
  await t?.stop();
});

/** An exFAT volume holding `n` catalogued files of the recorder (random bytes, capture hashes). */
async function recorderOnExfat(serial: string, n: number): Promise<RecorderState> {
  const state = createRecorderState({ serial, tz: 480 });
  vol = ExfatVolume.create(t.dir, state.label, 64);
  const staging = join(t.dir, 'staging');
  await vol.mount(staging);
  mkdirSync(join(staging, 'DCIM', '100BWC'), { recursive: true });
  for (let i = 1; i <= n; i++) {
    const name = `DCIM/100BWC/${serial}_000001_20261124080000_${String(i).padStart(4, '0')}.MP4`;
    const bytes = randomBytes(3 * 1024 * 1024 + i);
    writeFileSync(join(staging, name), bytes);
    state.files.push({ name, size: BigInt(bytes.length), start: '20261124080000', durationMs: 2000, seq: i, flags: 0, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  state.nextSeq = n + 1;
  await vol.unmount();
  return state;
}

async function plug(serial: string, state: RecorderState, mountAfterMs: number | null): Promise<void> {
  const mountAt = join(t.mountRoot, state.label);
  const msc = {
    expose: () => {
      // The mount point first (as systemd-mount makes it), the file system on it later, or never.
      mkdirSync(mountAt, { recursive: true });
      if (mountAfterMs !== null) timers.push(setTimeout(() => void vol!.mount(mountAt), mountAfterMs));
    },
    withdraw: async () => {
      if (vol && existsSync(mountAt) && mountAfterMs !== null) await vol.unmount();
    },
  };
  pair = await PtyPair.create({ devPath: join(t.devDir, `bwc-${serial}`), simPath: join(t.simDir, serial) });
  port = await openSimPort(join(t.simDir, serial));
  new SimulatedRecorder(port, state, { msc });
}

describe('a real exFAT volume mounted seconds after its folder appears', () => {
  it('the first docking waits for the mount: every file stored, signed and erased', async () => {
    t = await testDock({ offload: { minFreeBytes: 0 } });
    await t.start();
    const serial = 'A000060';
    const state = await recorderOnExfat(serial, 3);
    const t0 = Date.now();
    await plug(serial, state, 2500);
    const slot = await t.slot(serial, undefined, 60_000);
    console.log(`late mount (2.5 s): docking ${slot.state} after ${Date.now() - t0} ms`);
    expect(slot.error).toBeNull();
    expect(slot.state).toBe('ready');
    const recs = t.daemon!.ctx.ledger.recordings.all();
    expect(recs.map((r) => r.seq).sort()).toEqual([1, 2, 3]);
    for (const r of recs) {
      expect(r.sha256).toBe(r.deviceSha256);
      expect(r.manifestSessionId).toBe(slot.sessionId);
      expect(r.erasedAtMs).not.toBeNull();
    }
    expect((await verifyDataDir(t.config.dataDir)).ok).toBe(true);
    // Erased on the exFAT volume itself.
    const look = join(t.dir, 'look');
    await vol!.mount(look);
    expect(readdirSync(join(look, 'DCIM', '100BWC'))).toEqual([]);
    await vol!.unmount();
  }, 120_000);

  it('a mount point that is never mounted fails after detect.volumeTimeoutMs with the udev words; the recorder keeps its files', async () => {
    t = await testDock({ offload: { minFreeBytes: 0 } });
    t.config.detect.volumeTimeoutMs = 1500;
    await t.start();
    const serial = 'A000061';
    const state = await recorderOnExfat(serial, 2);
    await plug(serial, state, null);
    const slot = await t.slot(serial, undefined, 60_000);
    expect(slot.state).toBe('failed');
    expect(slot.error).toMatch(/the recorder's storage did not appear: check the udev rule/);
    expect(t.daemon!.ctx.ledger.recordings.all()).toEqual([]);
    expect(t.daemon!.ctx.ledger.sessions.get(slot.sessionId)).toMatchObject({ result: 'failed' });
    expect(state.files).toHaveLength(2);
    expect(state.mode).toBe('normal');
  }, 60_000);
});
