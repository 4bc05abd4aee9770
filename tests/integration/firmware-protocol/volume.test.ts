import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoginRole, Status } from '../../../firmware-protocol/codec/constants.js';
import { makeSimEnv, type SimEnv } from '../../helpers/simulator.js';

let env: SimEnv;
beforeEach(() => {
  env = makeSimEnv();
});
afterEach(async () => {
  await env.cleanup();
});

describe('mass-storage mode over a real pty', () => {
  it('exposes the storage at <mountRoot>/<label>, reflects host deletions after EXIT_MSC', async () => {
    const r = await env.start({ serial: 'A000021' });
    const files = await r.addRecording({ durationMs: 3000, segmentMs: 1000 });
    const { client } = await env.connect(r);
    await client.login(LoginRole.Admin, '000000');
    const { label } = await client.enterMsc();
    const vol = path.join(env.mountRoot, label);
    expect(fs.existsSync(vol)).toBe(false); // not yet: it appears after the configured delay
    expect(await r.whenMounted()).toBe(vol);
    for (const f of files) expect(fs.statSync(path.join(vol, f.name)).size).toBe(Number(f.size));
    expect((await client.hello()).serial).toBe('A000021'); // the link stays up in MSC mode
    fs.rmSync(path.join(vol, files[0]!.name));
    fs.rmSync(path.join(vol, files[2]!.name));
    await client.exitMsc();
    expect(fs.existsSync(vol)).toBe(false);
    expect((await client.listFiles()).map((f) => f.seq)).toEqual([files[1]!.seq]);
    expect((await client.getStatus()).fileCount).toBe(1);
  });

  it('answers BUSY to ENTER_MSC while recording', async () => {
    const r = await env.start({ serial: 'A000022' });
    r.setRecording(true);
    const { client } = await env.connect(r);
    await client.login(LoginRole.Admin, '000000');
    await expect(client.enterMsc()).rejects.toMatchObject({ status: Status.BUSY });
    expect(r.state.mode).toBe('normal');
  });

  it('takes the volume away and closes both pty ends on unplug, and comes back on replug', async () => {
    const r = await env.start({ serial: 'A000023' });
    await r.addRecording({ durationMs: 1000 });
    const { client, port } = await env.connect(r);
    const closed = new Promise<void>((res) => port.once('close', () => res()));
    await client.login(LoginRole.Admin, '000000');
    await client.enterMsc();
    const vol = await r.whenMounted();
    const pid = r.socatPid!;
    await r.unplug();
    await closed;
    expect(fs.existsSync(vol)).toBe(false);
    expect(fs.existsSync(r.devPath)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(r.state.mode).toBe('normal');
    expect(r.state.files).toHaveLength(1);
    await r.replug();
    expect(fs.existsSync(r.devPath)).toBe(true);
    const again = await env.connect(r);
    await again.client.login(LoginRole.Admin, '000000');
    expect(await again.client.listFiles()).toHaveLength(1);
  });

  it('treats socat killed from outside as an unplug', async () => {
    const r = await env.start({ serial: 'A000024' });
    const { client } = await env.connect(r);
    await client.login(LoginRole.Admin, '000000');
    await client.enterMsc();
    const vol = await r.whenMounted();
    process.kill(r.socatPid!, 'SIGTERM');
    for (let i = 0; i < 100 && r.plugged; i++) await new Promise((res) => setTimeout(res, 20));
    expect(r.plugged).toBe(false);
    expect(fs.existsSync(vol)).toBe(false);
  });

  it('waits for the mount point when another volume holds the same label', async () => {
    const a = await env.start({ serial: 'A000025', label: 'BWCSAME' });
    const b = await env.start({ serial: 'A000026', label: 'BWCSAME' });
    const ca = await env.connect(a);
    const cb = await env.connect(b);
    await ca.client.login(LoginRole.Admin, '000000');
    await cb.client.login(LoginRole.Admin, '000000');
    await ca.client.enterMsc();
    await a.whenMounted();
    await cb.client.enterMsc();
    await new Promise((res) => setTimeout(res, 300));
    expect(b.volumePath).toBeNull();
    await ca.client.exitMsc();
    expect(await b.whenMounted()).toBe(path.join(env.mountRoot, 'BWCSAME'));
  });
});
