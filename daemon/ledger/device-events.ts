import type { Db } from './db.js';

/** One entry of a recorder's event log as the ledger keeps it (raw time, the zone it was read in). */
export interface StoredDeviceEvent {
  index: number;
  timeRaw: string;
  code: number;
  arg: number;
  /** Minutes east of UTC the recorder reported when the event was read; null for rows older than migration 5. */
  tz: number | null;
}

/** The recorders' event logs (GET_EVENTS), kept across dockings for the drift model and gap finding. */
export class DeviceEventRepo {
  constructor(private readonly db: Db) {}

  /** Every event of a recorder read so far, in index order. */
  list(serial: string): StoredDeviceEvent[] {
    return (
      this.db.prepare('SELECT idx, time_raw, code, arg, tz FROM device_events WHERE serial = ? ORDER BY idx').all(serial) as Array<{
        idx: number;
        time_raw: string;
        code: number;
        arg: number;
        tz: number | null;
      }>
    ).map((r) => ({ index: r.idx, timeRaw: r.time_raw, code: r.code, arg: r.arg, tz: r.tz }));
  }

  /** Record events read in a docking session; an index already kept is left as it was. */
  add(serial: string, sessionId: string, tz: number, events: ReadonlyArray<{ index: number; timeRaw: string; code: number; arg: number }>): void {
    const ins = this.db.prepare('INSERT OR IGNORE INTO device_events (serial, idx, time_raw, code, arg, session_id, tz) VALUES (?,?,?,?,?,?,?)');
    for (const e of events) ins.run(serial, e.index, e.timeRaw, e.code, e.arg, sessionId, tz);
  }
}
