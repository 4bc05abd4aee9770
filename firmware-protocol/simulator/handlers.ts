import { Caps, Command, EventCode, GET_EVENTS_MAX, INFO_BLOCK_SIZE, LIST_FILES_MAX, LoginRole, Status } from '../codec/constants.js';
import { LinkError } from '../codec/errors.js';
import { deviceTimeFromEpoch, parseDeviceTime, readAscii, readGbk } from '../codec/fields.js';
import {
  decodeLogin,
  decodePageRequest,
  encodeEventPage,
  encodeFilePage,
  encodeHello,
  encodeInfo,
  encodeMsc,
  encodeStatus,
  encodeTime,
} from '../codec/payloads.js';
import { deviceEpoch, setDeviceClock } from './clock.js';
import { eventPage, logEvent } from './events.js';
import { freeMiB, type RecorderState } from './state.js';

/** The recorder's mass-storage side, as the command handlers need it. */
export interface MscControl {
  /** Start exposing the storage as a volume (it appears a little later). */
  expose(): void;
  /** Take the volume away (the host's deletions are then reflected in the catalog). */
  withdraw(): Promise<void>;
  /**
   * Resolves once the catalog reflects the host's deletions, where `withdraw` leaves that for later (a storage that
   * is slow to take back): LIST_FILES and GET_STATUS wait for it.
   */
  settled?(): Promise<void>;
}

export interface HandlerContext {
  state: RecorderState;
  /** Host clock now, ms since the epoch. */
  now: number;
  msc: MscControl;
}

export interface Answer {
  status: Status;
  payload: Buffer;
}

const LOCKOUT_FAILURES = 5;
const LOCKOUT_MS = 60_000;

type Access = '-' | 'U' | 'A';
interface Spec {
  access: Access;
  /** Exact request payload length. */
  length: number;
  run: (ctx: HandlerContext, p: Buffer) => Answer | Promise<Answer>;
}

const ok = (payload: Buffer = Buffer.alloc(0)): Answer => ({ status: Status.OK, payload });
const fail = (status: Status): Answer => ({ status, payload: Buffer.alloc(0) });

const SPECS: Record<Command, Spec> = {
  [Command.HELLO]: { access: '-', length: 0, run: ({ state }) => ok(encodeHello({ proto: 1, ...state.identity })) },
  [Command.LOGIN]: { access: '-', length: 7, run: login },
  [Command.LOGOUT]: {
    access: '-',
    length: 0,
    run: ({ state }) => {
      state.login = 'none';
      return ok();
    },
  },
  [Command.GET_INFO]: { access: 'U', length: 0, run: ({ state }) => ok(encodeInfo({ ...state.info, serial: state.identity.serial })) },
  [Command.SET_INFO]: { access: 'A', length: INFO_BLOCK_SIZE, run: setInfo },
  [Command.GET_TIME]: { access: 'U', length: 0, run: getTime },
  [Command.SET_TIME]: { access: 'A', length: 18, run: setTime },
  [Command.GET_STATUS]: {
    access: 'U',
    length: 0,
    run: async ({ state, msc }) => {
      await msc.settled?.();
      return ok(
        encodeStatus({
          battery: state.battery,
          charging: state.charging,
          recording: state.recording,
          totalMiB: state.totalMiB,
          freeMiB: freeMiB(state),
          fileCount: state.files.length,
        }),
      );
    },
  },
  [Command.LIST_FILES]: { access: 'U', length: 6, run: listFiles },
  [Command.GET_EVENTS]: { access: 'U', length: 6, run: getEvents },
  [Command.ENTER_MSC]: { access: 'A', length: 0, run: enterMsc },
  [Command.EXIT_MSC]: { access: 'A', length: 0, run: exitMsc },
};

/**
 * Answer one request as the reference recorder does. Checks, in order: known command (UNKNOWN_CMD),
 * payload length (BAD_PAYLOAD), login (NOT_LOGGED_IN), then the command's own checks.
 */
export async function handleRequest(ctx: HandlerContext, command: number, payload: Buffer): Promise<Answer> {
  const spec = SPECS[command as Command] as Spec | undefined;
  if (!spec) return fail(Status.UNKNOWN_CMD);
  if (payload.length !== spec.length) return fail(Status.BAD_PAYLOAD);
  const role = ctx.state.login;
  if (spec.access === 'U' && role === 'none') return fail(Status.NOT_LOGGED_IN);
  if (spec.access === 'A' && role !== 'admin') return fail(Status.NOT_LOGGED_IN);
  return spec.run(ctx, payload);
}

function login({ state, now }: HandlerContext, p: Buffer): Answer {
  const req = decodeLogin(p)!;
  if (state.lockedUntil !== null) {
    if (now < state.lockedUntil) return fail(Status.LOCKED);
    state.lockedUntil = null;
    state.failedLogins = 0;
  }
  if (req.role !== LoginRole.User && req.role !== LoginRole.Admin) return fail(Status.INVALID_ARG);
  if (!/^\d{6}$/.test(req.password)) return fail(Status.INVALID_ARG);
  const expected = req.role === LoginRole.Admin ? state.passwords.admin : state.passwords.user;
  if (req.password !== expected) {
    state.login = 'none';
    state.failedLogins++;
    if (state.failedLogins >= LOCKOUT_FAILURES) state.lockedUntil = now + LOCKOUT_MS;
    return fail(Status.AUTH_FAILED);
  }
  state.failedLogins = 0;
  state.login = req.role === LoginRole.Admin ? 'admin' : 'user';
  return ok();
}

function setInfo({ state, now }: HandlerContext, p: Buffer): Answer {
  const userNo = readAscii(p, 8, 7);
  const unitNo = readAscii(p, 48, 13);
  if (!/^(\d{6})?$/.test(userNo) || !/^[\x20-\x7e]*$/.test(unitNo)) return fail(Status.INVALID_ARG);
  state.info = { serial: state.identity.serial, userNo, userName: readGbk(p, 15, 33), unitNo, unitName: readGbk(p, 61, 33) };
  logEvent(state, now, EventCode.INFO_CHANGED);
  return ok();
}

function getTime({ state, now }: HandlerContext): Answer {
  const epoch = deviceEpoch(state, now);
  const ms = ((epoch % 1000) + 1000) % 1000;
  return ok(encodeTime({ time: deviceTimeFromEpoch(epoch - ms, state.clock.tz), ms, tz: state.clock.tz }));
}

function setTime({ state, now }: HandlerContext, p: Buffer): Answer {
  const time = parseDeviceTime(p.subarray(0, 14).toString('latin1'));
  const ms = p.readUInt16LE(14);
  const tz = p.readInt16LE(16);
  if (!time || ms >= 1000 || tz < -720 || tz > 840) return fail(Status.INVALID_ARG);
  setDeviceClock(state, now, time, ms, tz);
  return ok();
}

async function listFiles({ state, msc }: HandlerContext, p: Buffer): Promise<Answer> {
  const { start, max } = decodePageRequest(p)!;
  if (max < 1 || max > LIST_FILES_MAX) return fail(Status.INVALID_ARG);
  await msc.settled?.();
  const page = state.files.slice(start, start + max);
  return guard(() => encodeFilePage(state.files.length, page.map((f) => ({ ...f, startRaw: f.start }))));
}

function getEvents({ state }: HandlerContext, p: Buffer): Answer {
  const { start, max } = decodePageRequest(p)!;
  if (max < 1 || max > GET_EVENTS_MAX) return fail(Status.INVALID_ARG);
  if ((state.identity.caps & Caps.EVENT_LOG) === 0) return ok(encodeEventPage(0, []));
  const page = eventPage(state, start, max).map((e) => ({ index: e.index, timeRaw: e.time, code: e.code, arg: e.arg }));
  return ok(encodeEventPage(state.nextEventIndex, page));
}

function enterMsc({ state, msc }: HandlerContext): Answer {
  if (state.mode === 'msc') return fail(Status.WRONG_MODE);
  if (state.recording) return fail(Status.BUSY);
  state.mode = 'msc';
  msc.expose();
  return ok(encodeMsc({ label: state.label, volumeId: state.volumeId }));
}

async function exitMsc({ state, msc }: HandlerContext): Promise<Answer> {
  if (state.mode !== 'msc') return fail(Status.WRONG_MODE);
  try {
    await msc.withdraw();
  } catch {
    return fail(Status.STORAGE_ERROR);
  }
  state.mode = 'normal';
  return ok();
}

/** A catalog that cannot be put on the wire (a bad name or hash someone put in the state) is a storage error. */
function guard(encode: () => Buffer): Answer {
  try {
    return ok(encode());
  } catch (e) {
    if (e instanceof LinkError) return fail(Status.STORAGE_ERROR);
    throw e;
  }
}
