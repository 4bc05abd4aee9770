import type { LoginRole } from '../../firmware-protocol/codec/constants.js';
import type { DeviceTime } from '../../firmware-protocol/codec/fields.js';
import type { FileEntry, InfoBlock, RecorderStatus } from '../../firmware-protocol/codec/payloads.js';
import type { RecorderLink } from '../../daemon/dock/checkout.js';

/** An in-memory recorder behind the RecorderLink interface: records what checkout wrote into it. */
export class MemoryRecorder implements RecorderLink {
  info: InfoBlock | null = null;
  time: { time: DeviceTime; ms: number; tz: number } | null = null;
  logins: Array<{ role: LoginRole; password: string }> = [];
  detached = 0;
  failSetInfo: Error | null = null;

  constructor(
    public status: RecorderStatus,
    public files: FileEntry[] = [],
  ) {}

  async login(role: LoginRole, password: string): Promise<void> {
    this.logins.push({ role, password });
  }
  async getStatus(): Promise<RecorderStatus> {
    return this.status;
  }
  async listFiles(): Promise<FileEntry[]> {
    return this.files;
  }
  async setInfo(info: InfoBlock): Promise<void> {
    if (this.failSetInfo) throw this.failSetInfo;
    this.info = info;
  }
  async setTime(time: DeviceTime, ms: number, tz: number): Promise<void> {
    this.time = { time, ms, tz };
  }
  detach(): void {
    this.detached++;
  }
}

export const goodStatus = (): RecorderStatus => ({ battery: 95, charging: true, recording: false, totalMiB: 32_000, freeMiB: 30_000, fileCount: 0 });

export const fileEntry = (seq: number, size: number): FileEntry => ({
  name: `DCIM/SN000001_${String(seq).padStart(6, '0')}.mp4`,
  size: BigInt(size),
  startRaw: '20260302090000',
  start: { year: 2026, month: 3, day: 2, hour: 9, minute: 0, second: 0 },
  durationMs: 2000,
  seq,
  flags: 0,
  sha256: null,
});
