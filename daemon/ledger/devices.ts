import type { Db } from './db.js';

export type DeviceStatus = 'in_dock' | 'checked_out' | 'in_repair' | 'retired';

export interface Device {
  serial: string;
  idCode: string;
  firmware: string;
  caps: number;
  status: DeviceStatus;
  docked: boolean;
  lastDockedAtMs: number | null;
  lastUndockedAtMs: number | null;
  lastEventIndex: number | null;
  lastSyncAtMs: number | null;
  lastBattery: number | null;
  lastFreeMiB: number | null;
  lastTotalMiB: number | null;
  lastFileCount: number | null;
  lastInfo: unknown;
}

interface Row {
  serial: string;
  id_code: string;
  firmware: string;
  caps: number;
  status: DeviceStatus;
  docked: number;
  last_docked_at_ms: number | null;
  last_undocked_at_ms: number | null;
  last_event_index: number | null;
  last_sync_at_ms: number | null;
  last_battery: number | null;
  last_free_mib: number | null;
  last_total_mib: number | null;
  last_file_count: number | null;
  last_info_json: string | null;
}

const toDevice = (r: Row): Device => ({
  serial: r.serial,
  idCode: r.id_code,
  firmware: r.firmware,
  caps: r.caps,
  status: r.status,
  docked: r.docked === 1,
  lastDockedAtMs: r.last_docked_at_ms,
  lastUndockedAtMs: r.last_undocked_at_ms,
  lastEventIndex: r.last_event_index,
  lastSyncAtMs: r.last_sync_at_ms,
  lastBattery: r.last_battery,
  lastFreeMiB: r.last_free_mib,
  lastTotalMiB: r.last_total_mib,
  lastFileCount: r.last_file_count,
  lastInfo: r.last_info_json ? JSON.parse(r.last_info_json) : null,
});

export class DeviceRepo {
  constructor(private readonly db: Db) {}

  get(serial: string): Device | null {
    const r = this.db.prepare('SELECT * FROM devices WHERE serial = ?').get(serial) as Row | undefined;
    return r ? toDevice(r) : null;
  }

  list(opts: { limit: number; after?: string }): Device[] {
    return (this.db.prepare('SELECT * FROM devices WHERE serial > ? ORDER BY serial LIMIT ?').all(opts.after ?? '', opts.limit) as Row[]).map(toDevice);
  }

  /** A recorder said HELLO: create it or refresh its identity, and mark it docked. */
  docked(d: { serial: string; idCode: string; firmware: string; caps: number }, atMs: number): void {
    this.db
      .prepare(
        `INSERT INTO devices (serial, id_code, firmware, caps, docked, last_docked_at_ms, created_at_ms) VALUES (@serial,@idCode,@firmware,@caps,1,@atMs,@atMs)
         ON CONFLICT(serial) DO UPDATE SET id_code=@idCode, firmware=@firmware, caps=@caps, docked=1, last_docked_at_ms=@atMs`,
      )
      .run({ ...d, atMs });
  }

  undocked(serial: string, atMs: number): void {
    this.db.prepare('UPDATE devices SET docked = 0, last_undocked_at_ms = ? WHERE serial = ?').run(atMs, serial);
  }

  /** Recorders the ledger holds as docked (at start: docked when the daemon last stopped). */
  dockedSerials(): string[] {
    return (this.db.prepare('SELECT serial FROM devices WHERE docked = 1').all() as Array<{ serial: string }>).map((r) => r.serial);
  }

  recordHealth(serial: string, h: { battery: number; freeMiB: number; totalMiB: number; fileCount: number; info: unknown }): void {
    this.db
      .prepare('UPDATE devices SET last_battery=?, last_free_mib=?, last_total_mib=?, last_file_count=?, last_info_json=? WHERE serial=?')
      .run(h.battery, h.freeMiB, h.totalMiB, h.fileCount, JSON.stringify(h.info), serial);
  }

  setLastEventIndex(serial: string, index: number): void {
    this.db.prepare('UPDATE devices SET last_event_index = ? WHERE serial = ?').run(index, serial);
  }

  setLastSync(serial: string, atMs: number): void {
    this.db.prepare('UPDATE devices SET last_sync_at_ms = ? WHERE serial = ?').run(atMs, serial);
  }

  setStatus(serial: string, status: DeviceStatus): void {
    this.db.prepare('UPDATE devices SET status = ? WHERE serial = ?').run(status, serial);
  }
}
