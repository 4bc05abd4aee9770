import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Command, EventCode, FileFlags, LoginRole, Status } from '../../../firmware-protocol/codec/constants.js';
import { LinkClosedError, ProtocolError, TimeoutError } from '../../../firmware-protocol/codec/errors.js';
import { eventArgSigned } from '../../../firmware-protocol/codec/payloads.js';
import { makeSimEnv, type SimEnv } from '../../helpers/simulator.js';

/** The host client over a real socat pty pair against the simulated recorder. */
let env: SimEnv;
beforeEach(() => {
  env = makeSimEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const fast = { timeoutMs: (c: Command) => (c === Command.LIST_FILES || c === Command.GET_EVENTS ? 400 : 200) };

describe('client over a real pty', () => {
  it('speaks every command', async () => {
    const r = await env.start({ serial: 'A000001', adminPassword: '123456', userPassword: '654321' });
    const { client } = await env.connect(r);
    expect(await client.hello()).toEqual({ proto: 1, idCode: 'SIM01', serial: 'A000001', firmware: 'bwc-sim 1.0.0', caps: 0b1111 });
    await expect(client.getInfo()).rejects.toMatchObject({ status: Status.NOT_LOGGED_IN });
    await client.login(LoginRole.User, '654321');
    expect((await client.getStatus()).fileCount).toBe(0);
    await expect(client.enterMsc()).rejects.toMatchObject({ status: Status.NOT_LOGGED_IN });
    await client.login(LoginRole.Admin, '123456');
    const info = { serial: 'IGNORED', userNo: '012345', userName: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局' };
    await client.setInfo(info);
    expect(await client.getInfo()).toEqual({ ...info, serial: 'A000001' });
    await client.setTime({ year: 2030, month: 2, day: 28, hour: 23, minute: 59, second: 58 }, 250, 480);
    const t = await client.getTime();
    expect(t.tz).toBe(480);
    expect(t.raw.startsWith('203002282359') || t.raw.startsWith('20300301000')).toBe(true);
    const status = await client.getStatus();
    expect(status).toMatchObject({ battery: 90, charging: true, recording: false, totalMiB: 32768, fileCount: 0 });
    const { events, total } = await client.getEvents(0);
    expect(total).toBe(2);
    expect(events.map((e) => e.code)).toEqual([EventCode.INFO_CHANGED, EventCode.CLOCK_SET]);
    expect(eventArgSigned(events[1]!)).toBeGreaterThan(100_000_000);
    expect(await client.listFiles()).toEqual([]);
    expect(await client.enterMsc()).toEqual({ label: 'BWCA000001', volumeId: r.state.volumeId });
    await expect(client.enterMsc()).rejects.toMatchObject({ status: Status.WRONG_MODE });
    await client.exitMsc();
    await expect(client.exitMsc()).rejects.toMatchObject({ status: Status.WRONG_MODE });
    await client.logout();
    await expect(client.getStatus()).rejects.toMatchObject({ status: Status.NOT_LOGGED_IN });
  });

  it('pages LIST_FILES beyond 31 files and GET_EVENTS beyond 64 events', async () => {
    const r = await env.start({ serial: 'A000002' });
    // Catalog entries without media: paging is about the wire, not the files.
    for (let seq = 1; seq <= 70; seq++) {
      r.state.files.push({ name: `DCIM/100BWC/A000002_000001_20240101120000_${String(seq).padStart(4, '0')}.MP4`, size: BigInt(seq * 1000), start: '20240101120000', durationMs: 1000, seq, flags: 0, sha256: null });
    }
    r.state.nextSeq = 71;
    for (let i = 0; i < 150; i++) r.setBattery(10, { low: true });
    const { client } = await env.connect(r);
    await client.login(LoginRole.User, '111111');
    const files = await client.listFiles();
    expect(files.map((f) => f.seq)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(files[69]!.size).toBe(70_000n);
    const all = await client.getEvents(0);
    expect(all.total).toBe(150);
    expect(all.events.map((e) => e.index)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    const since = await client.getEvents(140);
    expect(since.events.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => 140 + i));
    expect(since.events.every((e) => e.code === EventCode.BATTERY_LOW && e.arg === 10)).toBe(true);
  });

  it('gets through line noise and corrupted answers by retrying', async () => {
    const r = await env.start({ serial: 'A000003', random: seeded(7) });
    r.injectFault({ action: { kind: 'noise', bytes: 40 } });
    r.injectFault({ action: { kind: 'corrupt' }, command: Command.GET_STATUS, times: 2 });
    const { client } = await env.connect(r, { ...fast, attempts: 3 });
    expect((await client.hello()).serial).toBe('A000003');
    await client.login(LoginRole.Admin, '000000');
    expect((await client.getStatus()).battery).toBe(90);
    expect(client.stats.dropped.bad_crc).toBeGreaterThanOrEqual(2);
    expect(client.stats.dropped.noise).toBeGreaterThan(0);
    expect(r.state.faults[1]!.times).toBe(0);
  });

  it('retries an answer slower than the time-out and gives up after the last attempt', async () => {
    const r = await env.start({ serial: 'A000004' });
    const { client } = await env.connect(r, { ...fast, attempts: 2 });
    await client.login(LoginRole.User, '111111');
    r.injectFault({ action: { kind: 'delay', ms: 350 }, command: Command.GET_INFO, times: 1 });
    const before = r.state.requestCount;
    expect((await client.getInfo()).userName).toBe('张三');
    expect(r.state.requestCount - before).toBe(2);
    r.injectFault({ action: { kind: 'drop' }, command: Command.GET_TIME });
    const err = await client.getTime().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'TIMEOUT', attempts: 2 });
  });

  it('refuses a wrong password, then locks out after 5 failures', async () => {
    const r = await env.start({ serial: 'A000005' });
    const { client } = await env.connect(r);
    const e1 = await client.login(LoginRole.Admin, '999999').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ProtocolError);
    expect(e1).toMatchObject({ code: 'PROTOCOL_STATUS', status: Status.AUTH_FAILED, command: Command.LOGIN });
    for (let i = 0; i < 4; i++) await expect(client.login(LoginRole.Admin, '999999')).rejects.toMatchObject({ status: Status.AUTH_FAILED });
    await expect(client.login(LoginRole.Admin, '000000')).rejects.toMatchObject({ status: Status.LOCKED });
    expect(r.state.lockedUntil).not.toBeNull();
  });

  it('fails a request quickly with LinkClosedError when the cable is yanked mid-request', async () => {
    const r = await env.start({ serial: 'A000006' });
    const { client } = await env.connect(r);
    await client.login(LoginRole.User, '111111');
    r.injectFault({ action: { kind: 'delay', ms: 5000 }, command: Command.GET_STATUS });
    const t0 = Date.now();
    const pending = client.getStatus().catch((e: unknown) => e);
    await new Promise((res) => setTimeout(res, 50));
    await r.unplug();
    const err = await pending;
    expect(err).toBeInstanceOf(LinkClosedError);
    expect(Date.now() - t0).toBeLessThan(4000); // long before the 5 s delay the recorder was told to take
    await expect(client.hello()).rejects.toBeInstanceOf(LinkClosedError);
    expect(r.plugged).toBe(false);
  });

  it('serves again after a replug, with the login gone', async () => {
    const r = await env.start({ serial: 'A000007' });
    const first = await env.connect(r);
    await first.client.login(LoginRole.User, '111111');
    await r.unplug();
    await r.replug();
    const { client } = await env.connect(r);
    await expect(client.getStatus()).rejects.toMatchObject({ status: Status.NOT_LOGGED_IN });
    expect((await client.hello()).serial).toBe('A000007');
  });

  it('keeps FILE entries intact on the wire', async () => {
    const r = await env.start({ serial: 'A000008' });
    const [f] = await r.addRecording({ durationMs: 1000, important: true });
    const { client } = await env.connect(r);
    await client.login(LoginRole.User, '111111');
    const [e] = await client.listFiles();
    expect(e).toMatchObject({ name: f!.name, size: f!.size, startRaw: f!.start, durationMs: 1000, seq: 1, sha256: f!.sha256 });
    expect(e!.flags & FileFlags.IMPORTANT).toBeTruthy();
  });
});

function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) & 0x7fffffff;
    return a / 0x80000000;
  };
}
