import { describe, expect, it } from 'vitest';
import { Caps, Command, EventCode, Status } from '../../../../firmware-protocol/codec/constants.js';
import { encodeInfo, encodeLogin, encodePageRequest } from '../../../../firmware-protocol/codec/payloads.js';
import { handleRequest, type MscControl } from '../../../../firmware-protocol/simulator/handlers.js';
import { createRecorderState, type RecorderState } from '../../../../firmware-protocol/simulator/state.js';

function rig(state: RecorderState = createRecorderState({ serial: 'A000001' })) {
  const calls: string[] = [];
  const msc: MscControl = { expose: () => void calls.push('expose'), withdraw: async () => void calls.push('withdraw') };
  let now = 1_700_000_000_000;
  return {
    state,
    calls,
    tick: (ms: number) => (now += ms),
    send: (cmd: number, payload: Buffer = Buffer.alloc(0)) => handleRequest({ state, now, msc }, cmd, payload),
  };
}

const loginAdmin = (r: ReturnType<typeof rig>) => r.send(Command.LOGIN, encodeLogin({ role: 1, password: '000000' }));
const timeBytes = (s: string, ms: number, tz: number) => {
  const b = Buffer.alloc(18);
  b.write(s, 0, 'latin1');
  b.writeUInt16LE(ms, 14);
  b.writeInt16LE(tz, 16);
  return b;
};

describe('simulated recorder status codes', () => {
  it('answers UNKNOWN_CMD to a command it does not know', async () => {
    expect((await rig().send(0x42)).status).toBe(Status.UNKNOWN_CMD);
  });

  it.each([Command.HELLO, Command.GET_INFO, Command.GET_TIME, Command.GET_STATUS, Command.ENTER_MSC, Command.EXIT_MSC, Command.LOGOUT])(
    'answers BAD_PAYLOAD to command %s given a payload it does not take',
    async (cmd) => {
      const r = rig();
      await loginAdmin(r);
      expect(await r.send(cmd, Buffer.from([0]))).toEqual({ status: Status.BAD_PAYLOAD, payload: Buffer.alloc(0) });
    },
  );

  it.each([
    [Command.LOGIN, 6],
    [Command.SET_INFO, 93],
    [Command.SET_TIME, 17],
    [Command.LIST_FILES, 7],
    [Command.GET_EVENTS, 0],
  ])('answers BAD_PAYLOAD to command %s with %s bytes', async (cmd, n) => {
    const r = rig();
    await loginAdmin(r);
    expect((await r.send(cmd, Buffer.alloc(n))).status).toBe(Status.BAD_PAYLOAD);
  });

  it('needs a login for U commands and an admin login for A commands', async () => {
    const r = rig();
    expect((await r.send(Command.GET_STATUS)).status).toBe(Status.NOT_LOGGED_IN);
    expect((await r.send(Command.HELLO)).status).toBe(Status.OK);
    await r.send(Command.LOGIN, encodeLogin({ role: 0, password: '111111' }));
    expect((await r.send(Command.GET_STATUS)).status).toBe(Status.OK);
    expect((await r.send(Command.SET_TIME, timeBytes('20240101000000', 0, 0))).status).toBe(Status.NOT_LOGGED_IN);
    expect((await r.send(Command.ENTER_MSC)).status).toBe(Status.NOT_LOGGED_IN);
  });

  it.each([
    ['an unknown role', Buffer.from('02303030303030', 'hex')],
    ['a password that is not 6 digits', Buffer.from('01303030303041', 'hex')],
  ])('answers INVALID_ARG to LOGIN with %s', async (_n, p) => {
    expect((await rig().send(Command.LOGIN, p)).status).toBe(Status.INVALID_ARG);
  });

  it.each([
    ['not a date', timeBytes('20230229000000', 0, 480)],
    ['ms of 1000', timeBytes('20240101000000', 1000, 480)],
  ])('answers INVALID_ARG to SET_TIME with %s', async (_n, p) => {
    const r = rig();
    await loginAdmin(r);
    expect((await r.send(Command.SET_TIME, p)).status).toBe(Status.INVALID_ARG);
  });

  it.each([
    [Command.LIST_FILES, 0],
    [Command.LIST_FILES, 32],
    [Command.GET_EVENTS, 0],
    [Command.GET_EVENTS, 65],
  ])('answers INVALID_ARG to command %s with max %s', async (cmd, max) => {
    const r = rig();
    await loginAdmin(r);
    expect((await r.send(cmd, encodePageRequest({ start: 0, max }))).status).toBe(Status.INVALID_ARG);
  });

  it('locks LOGIN for 60 s after 5 consecutive failures, then lets a good one in', async () => {
    const r = rig();
    const bad = encodeLogin({ role: 1, password: '999999' });
    for (let i = 0; i < 5; i++) expect((await r.send(Command.LOGIN, bad)).status).toBe(Status.AUTH_FAILED);
    expect((await loginAdmin(r)).status).toBe(Status.LOCKED);
    r.tick(59_000);
    expect((await loginAdmin(r)).status).toBe(Status.LOCKED);
    r.tick(1_001);
    expect((await loginAdmin(r)).status).toBe(Status.OK);
    expect(r.state.failedLogins).toBe(0);
  });

  it('forgets failures after a good login', async () => {
    const r = rig();
    const bad = encodeLogin({ role: 1, password: '999999' });
    for (let i = 0; i < 4; i++) await r.send(Command.LOGIN, bad);
    await loginAdmin(r);
    for (let i = 0; i < 4; i++) expect((await r.send(Command.LOGIN, bad)).status).toBe(Status.AUTH_FAILED);
    expect((await loginAdmin(r)).status).toBe(Status.OK);
  });

  it('answers BUSY to ENTER_MSC while recording and WRONG_MODE when already there', async () => {
    const r = rig();
    await loginAdmin(r);
    r.state.recording = true;
    expect((await r.send(Command.ENTER_MSC)).status).toBe(Status.BUSY);
    r.state.recording = false;
    expect((await r.send(Command.EXIT_MSC)).status).toBe(Status.WRONG_MODE);
    const a = await r.send(Command.ENTER_MSC);
    expect(a.status).toBe(Status.OK);
    expect(a.payload.subarray(0, 12).toString('latin1')).toBe('BWCA000001\0\0');
    expect((await r.send(Command.ENTER_MSC)).status).toBe(Status.WRONG_MODE);
    expect((await r.send(Command.EXIT_MSC)).status).toBe(Status.OK);
    expect(r.calls).toEqual(['expose', 'withdraw']);
    expect(r.state.mode).toBe('normal');
  });

  it('answers STORAGE_ERROR when the volume cannot be withdrawn', async () => {
    const r = rig();
    await loginAdmin(r);
    await r.send(Command.ENTER_MSC);
    const msc: MscControl = { expose: () => undefined, withdraw: () => Promise.reject(new Error('EBUSY')) };
    expect((await handleRequest({ state: r.state, now: 0, msc }, Command.EXIT_MSC, Buffer.alloc(0))).status).toBe(Status.STORAGE_ERROR);
  });

  it('keeps its own serial on SET_INFO and logs INFO_CHANGED', async () => {
    const r = rig();
    await loginAdmin(r);
    const a = await r.send(Command.SET_INFO, encodeInfo({ serial: 'B999999', userNo: '123456', userName: '李四', unitNo: '1', unitName: '某单位' }));
    expect(a.status).toBe(Status.OK);
    expect(r.state.info).toMatchObject({ serial: 'A000001', userNo: '123456', userName: '李四', unitName: '某单位' });
    expect(r.state.events.map((e) => e.code)).toEqual([EventCode.INFO_CHANGED]);
    expect((await r.send(Command.SET_INFO, encodeInfo({ serial: '', userNo: '12345', userName: '', unitNo: '', unitName: '' }))).status).toBe(Status.INVALID_ARG);
  });

  it('answers GET_EVENTS with total 0 without the EVENT_LOG capability', async () => {
    const state = createRecorderState({ serial: 'A000002', caps: Caps.COMPOSITE_MSC });
    const r = rig(state);
    await loginAdmin(r);
    await r.send(Command.SET_TIME, timeBytes('20240101000000', 0, 480));
    const a = await r.send(Command.GET_EVENTS, encodePageRequest({ start: 0, max: 64 }));
    expect(a.payload.toString('hex')).toBe('000000000000');
  });
});
