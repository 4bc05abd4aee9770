/** Numbers fixed by firmware-protocol.md, version 1. */
export const MAGIC0 = 0xa5;
export const MAGIC1 = 0x5a;
export const PROTOCOL_VERSION = 0x01;
export const HEADER_SIZE = 10;
export const CRC_SIZE = 2;
export const MAX_PAYLOAD = 4096;
export const MAX_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE;

export enum FrameKind {
  Request = 0x01,
  Response = 0x02,
}

export enum Command {
  HELLO = 0x01,
  LOGIN = 0x02,
  GET_INFO = 0x03,
  SET_INFO = 0x04,
  GET_TIME = 0x05,
  SET_TIME = 0x06,
  GET_STATUS = 0x07,
  LIST_FILES = 0x08,
  GET_EVENTS = 0x09,
  ENTER_MSC = 0x0a,
  EXIT_MSC = 0x0b,
  LOGOUT = 0x0c,
}

export enum Status {
  OK = 0x00,
  UNKNOWN_CMD = 0x01,
  BAD_PAYLOAD = 0x02,
  NOT_LOGGED_IN = 0x04,
  AUTH_FAILED = 0x05,
  LOCKED = 0x06,
  BUSY = 0x07,
  INVALID_ARG = 0x08,
  STORAGE_ERROR = 0x09,
  WRONG_MODE = 0x0a,
}

export enum LoginRole {
  User = 0,
  Admin = 1,
}

/** HELLO `caps` bits. */
export const Caps = {
  CAPTURE_HASH: 1 << 0,
  EVENT_LOG: 1 << 1,
  COMPOSITE_MSC: 1 << 2,
  SEGMENTED: 1 << 3,
} as const;

/** FILE entry `flags` bits. */
export const FileFlags = {
  IMPORTANT: 1 << 0,
  PHOTO: 1 << 1,
  AUDIO_ONLY: 1 << 2,
  CONTINUES: 1 << 3,
} as const;

export enum EventCode {
  POWER_ON = 0x01,
  POWER_OFF = 0x02,
  REC_START = 0x03,
  REC_STOP = 0x04,
  BATTERY_LOW = 0x05,
  STORAGE_FULL = 0x06,
  CLOCK_SET = 0x07,
  CLOCK_LOST = 0x08,
  FILE_DELETED = 0x09,
  MARK_IMPORTANT = 0x0a,
  DEVICE_FAULT = 0x0b,
  INFO_CHANGED = 0x0c,
}

/** Host-side answer time-outs (ms). */
export function responseTimeoutMs(cmd: Command): number {
  return cmd === Command.LIST_FILES || cmd === Command.GET_EVENTS ? 2000 : 1000;
}

export const LIST_FILES_MAX = 31;
export const GET_EVENTS_MAX = 64;
export const FILE_ENTRY_SIZE = 130;
export const EVENT_ENTRY_SIZE = 24;
export const INFO_BLOCK_SIZE = 94;
