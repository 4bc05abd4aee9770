import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecorderClient } from '../../../../firmware-protocol/client/client.js';
import { LoginRole } from '../../../../firmware-protocol/codec/constants.js';
import { SimulatedRecorder } from '../../../../firmware-protocol/simulator/device.js';
import { ImageVolume, type StorageMedium } from '../../../../firmware-protocol/simulator/gadget.js';
import { createRecorderState } from '../../../../firmware-protocol/simulator/state.js';
import { duplexPair } from '../../../helpers/duplex-pair.js';

type Step = keyof StorageMedium;

/**
 * The kernel's side of the gadget's storage (loop mount, the LUN's medium: root and a guest kernel in the appliance
 * test) as steps that finish at once unless held, and then only when the test releases them: a step as slow as the
 * test wants, without a clock.
 */
function heldMedium() {
  const log: string[] = [];
  const held = new Set<Step>();
  const waiting = new Map<Step, () => void>();
  const started = new Map<Step, () => void>();
  const step = (name: Step) => () =>
    new Promise<void>((resolve) => {
      log.push(name);
      started.get(name)?.();
      const done = () => {
        log.push(`${name} done`);
        resolve();
      };
      if (held.has(name)) waiting.set(name, done);
      else done();
    });
  const medium: StorageMedium = { mountStorage: step('mountStorage'), unmountStorage: step('unmountStorage'), insert: step('insert'), eject: step('eject') };
  return {
    medium,
    log,
    hold: (name: Step) => held.add(name),
    /** Resolves when `name` next starts. */
    starts: (name: Step) => new Promise<void>((r) => started.set(name, r)),
    release: (name: Step) => {
      held.delete(name);
      waiting.get(name)?.();
      waiting.delete(name);
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function rig() {
  const storage = mkdtempSync(join(tmpdir(), 'bwc-gadget-volume-'));
  dirs.push(storage);
  const state = createRecorderState({ serial: 'A000001' });
  for (const seq of [1, 2]) {
    const name = `DCIM/100BWC/A000001_000001_20260101080000_000${seq}.MP4`;
    mkdirSync(dirname(join(storage, name)), { recursive: true });
    writeFileSync(join(storage, name), 'footage');
    state.files.push({ name, size: 7n, start: '20260101080000', durationMs: 3000, seq, flags: 0, sha256: null });
  }
  state.nextSeq = 3;
  const m = heldMedium();
  const volume = new ImageVolume(m.medium, storage, state);
  await volume.retake();
  const { host, device } = duplexPair();
  new SimulatedRecorder(device, state, { msc: volume });
  // The protocol's own answer times (1 s, LIST_FILES 2 s) and no retry: a late answer fails the test.
  const client = new RecorderClient(host, { attempts: 1 });
  await client.login(LoginRole.Admin, state.passwords.admin);
  return { storage, state, volume, client, ...m };
}

describe('gadget recorder storage (the simulator behind a USB gadget)', () => {
  it('answers ENTER_MSC while its own storage is still being unmounted, and inserts the medium after', async () => {
    const r = await rig();
    r.hold('unmountStorage');
    const unmounting = r.starts('unmountStorage');
    expect((await r.client.enterMsc()).label).toBe(r.state.label);
    await unmounting;
    expect(r.log.slice(-1)).toEqual(['unmountStorage']);
    r.release('unmountStorage');
    await r.volume.settled();
    expect(r.log.slice(-3)).toEqual(['unmountStorage done', 'insert', 'insert done']);
  });

  it('answers EXIT_MSC before its storage is mounted back, and lists only what the host left once it is', async () => {
    const r = await rig();
    await r.client.enterMsc();
    await r.volume.settled();
    // The host erases the first file over USB.
    rmSync(join(r.storage, r.state.files[0]!.name));
    r.hold('mountStorage');
    const mounting = r.starts('mountStorage');
    await r.client.exitMsc();
    await mounting;
    expect(r.log.slice(-3)).toEqual(['eject', 'eject done', 'mountStorage']);
    const listed = r.client.listFiles();
    const requests = r.state.requestCount;
    // LIST_FILES is received while the storage is not back: its answer waits for it.
    while (r.state.requestCount === requests) await new Promise((res) => setImmediate(res));
    r.release('mountStorage');
    expect((await listed).map((f) => f.seq)).toEqual([2]);
  });

  it('ejects a medium pulled while it was being inserted only once it is in, then takes its storage back', async () => {
    const r = await rig();
    r.hold('insert');
    const inserting = r.starts('insert');
    await r.client.enterMsc();
    await inserting;
    const pulled = r.volume.retake();
    r.release('insert');
    await pulled;
    expect(r.log.slice(-6)).toEqual(['insert', 'insert done', 'eject', 'eject done', 'mountStorage', 'mountStorage done']);
  });
});
