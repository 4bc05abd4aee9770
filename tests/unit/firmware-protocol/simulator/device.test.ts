import { describe, expect, it } from 'vitest';
import { RecorderClient } from '../../../../firmware-protocol/client/client.js';
import { Command, LoginRole } from '../../../../firmware-protocol/codec/constants.js';
import { SimulatedRecorder } from '../../../../firmware-protocol/simulator/device.js';
import { seededRandom } from '../../../../firmware-protocol/simulator/faults.js';
import { createRecorderState } from '../../../../firmware-protocol/simulator/state.js';
import { duplexPair } from '../../../helpers/duplex-pair.js';

function rig() {
  const { host, device } = duplexPair();
  const state = createRecorderState({ serial: 'A000001' });
  const sim = new SimulatedRecorder(device, state, { random: seededRandom(3) });
  const client = new RecorderClient(host, { timeoutMs: () => 50, attempts: 2 });
  return { host, device, state, sim, client };
}

describe('SimulatedRecorder engine, in memory', () => {
  it('SET_INFO then GET_INFO keeps GBK names', async () => {
    const { client } = rig();
    await client.login(LoginRole.Admin, '000000');
    const info = { serial: 'A000001', userNo: '654321', userName: '张三', unitNo: '410900', unitName: '濮阳市生态环境局' };
    await client.setInfo(info);
    expect(await client.getInfo()).toEqual(info);
  });

  it('carries out a request whose answer it drops', async () => {
    const { client, state } = rig();
    await client.login(LoginRole.Admin, '000000');
    state.faults.push({ action: { kind: 'drop' }, command: Command.LOGOUT, times: 1 });
    await client.logout(); // first attempt's answer lost, the retry answered
    expect(state.requestCount).toBe(3);
    expect(state.login).toBe('none');
  });

  it('does not carry out an ignored request', async () => {
    const { client, state } = rig();
    state.faults.push({ action: { kind: 'ignore' }, command: Command.LOGIN });
    await expect(client.login(LoginRole.Admin, '000000')).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(state.login).toBe('none');
  });

  it('sends noise before and a broken CRC in the answer when told', async () => {
    const { client, state, device } = rig();
    state.faults.push({ action: { kind: 'noise', bytes: 16 }, nth: 1 }, { action: { kind: 'corrupt' }, nth: 1 });
    expect((await client.hello()).serial).toBe('A000001');
    expect(device.written[0]).toHaveLength(16 + 12 + 34);
    expect(client.stats.dropped.bad_crc).toBeGreaterThan(0);
  });

  it('answers nothing after a disconnect, even a delayed answer, and the login ends', async () => {
    const { client, state, sim, device } = rig();
    await client.login(LoginRole.User, '111111');
    state.faults.push({ action: { kind: 'delay', ms: 30 } });
    const p = client.getStatus().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 5));
    const before = device.written.length;
    sim.detach();
    await sim.idle();
    await p;
    expect(device.written.length).toBe(before);
    expect(state.login).toBe('none');
  });
});
