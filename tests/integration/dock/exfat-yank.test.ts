import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedRecorder } from '../../../firmware-protocol/simulator/device.js';
import { openSimPort, PtyPair } from '../../../firmware-protocol/simulator/pty.js';
import { createRecorderState } from '../../../firmware-protocol/simulator/state.js';
import { ExfatVolume } from '../../helpers/exfat.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

let t: TestDock;
let vol: ExfatVolume | null = null;
let pair: PtyPair | null = null;
let port: SerialPort | null = null;
afterEach(async () => {
  if (port?.isOpen) await new Promise((r) => port!.close(r));
  await pair?.kill();
  vol?.destroy();
  await t?.stop();
});

describe('a real exFAT volume yanked mid-file', () => {
  it('discards the partial copy, records nothing for it, keeps what was complete, and the dock keeps serving', async () => {
    t = await testDock({ offload: { minFreeBytes: 0 } });
    await t.start();
    const serial = 'A000030';
    const state = createRecorderState({ serial, tz: 480 });
    vol = ExfatVolume.create(t.dir, state.label, 256);
    // Write the recorder's files onto the exFAT volume, then take it away until ENTER_MSC.
    const staging = join(t.dir, 'staging');
    await vol.mount(staging);
    const dcim = join(staging, 'DCIM', '100BWC');
    mkdirSync(dcim, { recursive: true });
    const start = Date.now() - 3600_000;
    for (let i = 0; i < 4; i++) {
      const name = `DCIM/100BWC/${serial}_000001_20261124080000_${String(i + 1).padStart(4, '0')}.MP4`;
      const tmp = join(t.dir, `clip${i}.mp4`);
      const made = await t.clips.make({ kind: 'video', durationMs: 2000, dest: tmp, createdAt: start + i * 60_000, unique: `${serial}-${i}`, sizeBytes: 50 * 1024 * 1024 });
      copyFileSync(tmp, join(staging, name));
      state.files.push({ name, size: made.size, start: '20261124080000', durationMs: 2000, seq: i + 1, flags: 0, sha256: made.sha256 });
    }
    state.nextSeq = 5;
    await vol.unmount();
    const mountAt = join(t.mountRoot, state.label);
    const msc = {
      expose: () => void vol!.mount(mountAt),
      withdraw: () => vol!.unmount(),
    };
    pair = await PtyPair.create({ devPath: join(t.devDir, `bwc-${serial}`), simPath: join(t.simDir, serial) });
    port = await openSimPort(join(t.simDir, serial));
    new SimulatedRecorder(port, state, { msc });

    const { ledger } = t.daemon!.ctx;
    const tmpDir = join(t.config.dataDir, 'tmp');
    // Yank while a file is being read (two are read at once, one per core).
    const { statSync } = await import('node:fs');
    await waitFor('a file half copied', () => readdirSync(tmpDir).some((f) => f.endsWith('.part') && statSync(join(tmpDir, f)).size > 4 * 1024 * 1024), 60_000, 1);
    vol.yank();
    const slot = await t.slot(serial, (s) => ['ready', 'failed', 'interrupted'].includes(s.state), 60_000);
    expect(slot.state).toBe('interrupted');
    expect(slot.error).toMatch(/vanish/);
    const stored = ledger.recordings.all();
    expect(stored.length).toBeLessThan(4);
    // Each stored file is whole: its hash is the capture hash.
    for (const r of stored) expect(r.sha256).toBe(r.deviceSha256);
    expect(readdirSync(tmpDir)).toEqual([]);
    const footage = join(t.config.dataDir, 'footage', serial);
    const files = existsSync(footage) ? readdirSync(footage, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
    expect(files).toHaveLength(stored.length);
    expect(ledger.sessions.get(slot.sessionId)!.result).toBe('interrupted');

    // The dock still serves another recorder.
    const other = await t.recorder('A000031', { plugged: false });
    await other.addRecording({ durationMs: 2000 });
    await other.replug();
    expect((await t.slot('A000031')).state).toBe('ready');
  }, 120_000);
});
