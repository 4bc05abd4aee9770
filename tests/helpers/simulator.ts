import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { RecorderClient, type ClientOptions } from '../../firmware-protocol/client/client.js';
import { ClipFactory } from '../../firmware-protocol/simulator/clips.js';
import { startRecorder, type RecorderHandle, type StartRecorderOptions } from '../../firmware-protocol/simulator/recorder.js';

/**
 * A throwaway place for simulated recorders: temp folders for pty links, storage, volumes and the clip
 * cache; `cleanup()` unplugs every recorder, closes every host port and removes the folders.
 */
export interface SimEnv {
  root: string;
  devDir: string;
  simDir: string;
  mountRoot: string;
  clips: ClipFactory;
  start(o: Partial<StartRecorderOptions> & { serial: string }): Promise<RecorderHandle>;
  /** Open the dock's end of a recorder's link and put a client on it. */
  connect(r: RecorderHandle, o?: ClientOptions): Promise<{ client: RecorderClient; port: SerialPort }>;
  cleanup(): Promise<void>;
}

export function makeSimEnv(): SimEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bwc-sim-test-'));
  const devDir = path.join(root, 'dev');
  const simDir = path.join(root, 'sim');
  const mountRoot = path.join(root, 'media');
  for (const d of [devDir, simDir, mountRoot]) fs.mkdirSync(d);
  const clips = new ClipFactory({ cacheDir: path.join(root, 'clip-cache') });
  const recorders: RecorderHandle[] = [];
  const ports: SerialPort[] = [];
  return {
    root,
    devDir,
    simDir,
    mountRoot,
    clips,
    async start(o) {
      const r = await startRecorder({ devDir, simDir, mountRoot, clips, mscDelayMs: 50, ...o });
      recorders.push(r);
      return r;
    },
    async connect(r, o) {
      const port = await new Promise<SerialPort>((resolve, reject) => {
        const p = new SerialPort({ path: r.devPath, baudRate: 115200, autoOpen: false });
        p.open((err) => (err ? reject(err) : resolve(p)));
      });
      port.on('error', () => undefined);
      ports.push(port);
      return { client: new RecorderClient(port, o), port };
    },
    async cleanup() {
      await Promise.all(recorders.map((r) => r.stop()));
      await Promise.all(ports.filter((p) => p.isOpen).map((p) => new Promise<void>((res) => p.close(() => res()))));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
