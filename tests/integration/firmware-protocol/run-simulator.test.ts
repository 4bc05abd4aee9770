import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { RecorderClient } from '../../../firmware-protocol/client/client.js';
import { LoginRole } from '../../../firmware-protocol/codec/constants.js';
import { devLocationFromGlob, runSimulator, type Simulator } from '../../../firmware-protocol/simulator/main.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('runSimulator', () => {
  it('starts N recorders with distinct officers and clips, and removes everything on stop', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bwc-runsim-'));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const devDir = path.join(root, 'dev');
    const mountRoot = path.join(root, 'media');
    const sim: Simulator = await runSimulator({ devDir, mountRoot, count: 2, cacheDir: path.join(root, 'cache'), recordingsPerRecorder: 2, adminPassword: { A000002: '222222' } });
    cleanups.push(() => sim.stop());
    expect(sim.recorders.map((r) => r.serial)).toEqual(['A000001', 'A000002']);
    expect(fs.readdirSync(devDir).sort()).toEqual(['bwc-A000001', 'bwc-A000002']);
    expect(new Set(sim.recorders.map((r) => r.state.info.userNo)).size).toBe(2);
    const port = await new Promise<SerialPort>((res, rej) => {
      const p = new SerialPort({ path: path.join(devDir, 'bwc-A000002'), baudRate: 115200, autoOpen: false });
      p.open((e) => (e ? rej(e) : res(p)));
    });
    cleanups.push(() => new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res())));
    port.on('error', () => undefined);
    const client = new RecorderClient(port);
    await client.login(LoginRole.Admin, '222222');
    const files = await client.listFiles();
    expect(files.map((f) => f.seq)).toEqual([1, 2, 3, 4]); // one plain, one in two segments, a photo
    await sim.stop();
    expect(fs.readdirSync(devDir)).toEqual([]);
    expect(fs.existsSync(sim.simDir)).toBe(false);
  });

  it('derives link folder and prefix from a serial glob', () => {
    expect(devLocationFromGlob('/dev/serial/by-id/usb-*')).toEqual({ devDir: '/dev/serial/by-id', devPrefix: 'usb-' });
    expect(devLocationFromGlob('/tmp/x/*')).toEqual({ devDir: '/tmp/x', devPrefix: 'bwc-' });
    expect(devLocationFromGlob('/dev/ttyACM*')).toEqual({ devDir: '/dev', devPrefix: 'ttyACM' });
  });
});
