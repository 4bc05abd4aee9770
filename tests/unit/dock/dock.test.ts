import { mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dock } from '../../../daemon/dock/dock.js';
import type { RecorderLinkFactory } from '../../../daemon/transport/serial-port.js';
import { dockFixture, type DockFixture, type MemRecorder } from './fixture.js';

let f: DockFixture | null = null;
let dock: Dock | null = null;
afterEach(async () => {
  await dock?.stop();
  dock = null;
  await f?.close();
  f = null;
});

const until = async <T>(what: string, fn: () => T | undefined | null | false, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Links to in-memory recorders, by the serial at the end of the port path. */
function memLinks(recorders: Map<string, MemRecorder>): RecorderLinkFactory & { opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    async open(path) {
      const r = recorders.get(path.slice(-7));
      if (!r) throw Object.assign(new Error(`no recorder at ${path}`), { code: 'ENOENT' });
      opened.push(path);
      return { stream: r.link, isOpen: () => !r.link.destroyed, close: async () => void r.link.destroy() };
    },
  };
}

describe('the dock over a factory of recorder links (no pty)', () => {
  it('serves each port that appears with a session, two recorders at once, and records their leaving', async () => {
    f = await dockFixture();
    const devDir = join(f.dir, 'dev');
    mkdirSync(devDir);
    const recorders = new Map([
      ['A000301', f.recorder('A000301', { files: 2 })],
      ['A000302', f.recorder('A000302', { files: 1 })],
    ]);
    const links = memLinks(recorders);
    dock = new Dock(f.ctx, 60_000, links);
    await dock.start();
    for (const s of recorders.keys()) writeFileSync(join(devDir, `bwc-${s}`), '');
    const slots = await until('two ready slots', () => {
      const l = f!.ctx.slots.list();
      return l.length === 2 && l.every((s) => s.state === 'ready') && l;
    });
    expect(slots.map((s) => s.serial).sort()).toEqual(['A000301', 'A000302']);
    expect(f.ledger.recordings.all()).toHaveLength(3);
    expect(dock.portOf('A000301')).toBe(recorders.get('A000301')!.link);
    // The port goes: the slot goes, the device is recorded as undocked.
    rmSync(join(devDir, 'bwc-A000301'));
    await until('slot gone', () => f!.ctx.slots.list().length === 1);
    expect(f.ledger.devices.get('A000301')!.docked).toBe(false);
  });

  it('a stopping dock ends a session waiting for its volume at once, as interrupted', async () => {
    f = await dockFixture();
    f.config.detect.volumeTimeoutMs = 30_000;
    const devDir = join(f.dir, 'dev');
    mkdirSync(devDir);
    const r = f.recorder('A000303', { files: 1, msc: () => ({ expose: () => undefined, withdraw: async () => undefined }) });
    dock = new Dock(f.ctx, 60_000, memLinks(new Map([['A000303', r]])));
    await dock.start();
    writeFileSync(join(devDir, 'bwc-A000303'), '');
    const slot = await until('waiting_volume', () => f!.ctx.slots.list().find((s) => s.state === 'waiting_volume'));
    const t0 = performance.now();
    await dock.stop();
    const ms = Math.round(performance.now() - t0);
    console.log(`dock.stop() during the volume wait took ${ms} ms (volume time-out 30000 ms)`);
    dock = null;
    expect(f.ledger.sessions.get(slot.sessionId)).toMatchObject({ result: 'interrupted', error: 'daemon stopping' });
    expect(ms).toBeLessThan(5_000);
  });
  it('a recorder back on another port before the dock saw it leave: its stale link does not make it a duplicate', async () => {
    f = await dockFixture();
    const dev = join(f.dir, 'dev');
    mkdirSync(join(dev, 'by-id'), { recursive: true });
    // As udev names it: a by-id link to its ttyACM node. The first node is outside the globs so that the slot is
    // the link's, as when the link was found first.
    f.config.detect.serialGlobs = [join(dev, 'by-id', '*'), join(dev, 'tty-*')];
    const first = f.recorder('A000304', { files: 1 });
    const again = f.recorder('A000304', { files: 1 });
    const nodes = new Map([
      [join(dev, 'old-A000304'), first],
      [join(dev, 'tty-2-A000304'), again],
    ]);
    const links: RecorderLinkFactory = {
      async open(path) {
        const r = nodes.get(realpathSync(path));
        if (!r) throw Object.assign(new Error(`no recorder at ${path}`), { code: 'ENOENT' });
        return { stream: r.link, isOpen: () => !r.link.destroyed, close: async () => void r.link.destroy() };
      },
    };
    dock = new Dock(f.ctx, 60_000, links);
    await dock.start();
    writeFileSync(join(dev, 'old-A000304'), '');
    const link = join(dev, 'by-id', 'usb-Acme_BWC_A000304-if00');
    symlinkSync(join(dev, 'old-A000304'), link);
    await until('ready on the link', () => f!.ctx.slots.list().find((s) => s.state === 'ready' && s.port === link));
    // Pulled and plugged again while the dock was too busy to notice (its old port never closed): a new node, the
    // link moved to it, the old node gone, all before the dock looks again.
    writeFileSync(join(dev, 'tty-2-A000304'), '');
    symlinkSync(join(dev, 'tty-2-A000304'), `${link}.new`);
    renameSync(`${link}.new`, link);
    rmSync(join(dev, 'old-A000304'));
    const slot = await until('ready on the new node', () => f!.ctx.slots.list().find((s) => s.state === 'ready' && s.port === join(dev, 'tty-2-A000304')));
    expect(slot.serial).toBe('A000304');
    // The link's slot ended (the link, found again, is the new node's second path).
    expect(f.ctx.slots.list().map((s) => s.port)).toEqual([join(dev, 'tty-2-A000304')]);
  });
});
