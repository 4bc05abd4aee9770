import type { Db } from './db.js';

export type SessionResult = 'running' | 'ok' | 'interrupted' | 'failed';

export interface DockingSession {
  id: string;
  serial: string | null;
  portPath: string;
  startedAtMs: number;
  endedAtMs: number | null;
  result: SessionResult;
  error: string | null;
  info: unknown;
  deviceTime: string | null;
  deviceTz: number | null;
  dockTimeMs: number | null;
  driftMs: number | null;
  driftUncertaintyMs: number | null;
  dockSynced: boolean | null;
  clockSet: boolean;
  battery: number | null;
  freeMiB: number | null;
  totalMiB: number | null;
  filesTotal: number | null;
  filesStored: number;
  filesSkipped: number;
  filesErased: number;
  bytesStored: number;
  manifestSha256: string | null;
}

interface Row {
  id: string;
  serial: string | null;
  port_path: string;
  started_at_ms: number;
  ended_at_ms: number | null;
  result: SessionResult;
  error: string | null;
  info_json: string | null;
  device_time: string | null;
  device_tz: number | null;
  dock_time_ms: number | null;
  drift_ms: number | null;
  drift_uncertainty_ms: number | null;
  dock_synced: number | null;
  clock_set: number;
  battery: number | null;
  free_mib: number | null;
  total_mib: number | null;
  files_total: number | null;
  files_stored: number;
  files_skipped: number;
  files_erased: number;
  bytes_stored: number;
  manifest_sha256: string | null;
}

const toSession = (r: Row): DockingSession => ({
  id: r.id,
  serial: r.serial,
  portPath: r.port_path,
  startedAtMs: r.started_at_ms,
  endedAtMs: r.ended_at_ms,
  result: r.result,
  error: r.error,
  info: r.info_json ? JSON.parse(r.info_json) : null,
  deviceTime: r.device_time,
  deviceTz: r.device_tz,
  dockTimeMs: r.dock_time_ms,
  driftMs: r.drift_ms,
  driftUncertaintyMs: r.drift_uncertainty_ms,
  dockSynced: r.dock_synced === null ? null : r.dock_synced === 1,
  clockSet: r.clock_set === 1,
  battery: r.battery,
  freeMiB: r.free_mib,
  totalMiB: r.total_mib,
  filesTotal: r.files_total,
  filesStored: r.files_stored,
  filesSkipped: r.files_skipped,
  filesErased: r.files_erased,
  bytesStored: r.bytes_stored,
  manifestSha256: r.manifest_sha256,
});

export class SessionRepo {
  constructor(private readonly db: Db) {}

  create(id: string, portPath: string, atMs: number): void {
    this.db.prepare('INSERT INTO sessions (id, port_path, started_at_ms) VALUES (?,?,?)').run(id, portPath, atMs);
  }

  get(id: string): DockingSession | null {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Row | undefined;
    return r ? toSession(r) : null;
  }

  list(opts: { limit: number; beforeStartedAtMs?: number; beforeId?: string; serial?: string }): DockingSession[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.serial) (where.push('serial = ?'), args.push(opts.serial));
    if (opts.beforeStartedAtMs !== undefined) {
      where.push('(started_at_ms < ? OR (started_at_ms = ? AND id < ?))');
      args.push(opts.beforeStartedAtMs, opts.beforeStartedAtMs, opts.beforeId ?? '');
    }
    const sql = `SELECT * FROM sessions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at_ms DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, opts.limit) as Row[]).map(toSession);
  }

  identified(id: string, serial: string): void {
    this.db.prepare('UPDATE sessions SET serial = ? WHERE id = ?').run(serial, id);
  }

  recordReadings(
    id: string,
    r: { info: unknown; battery: number; freeMiB: number; totalMiB: number; filesTotal: number },
  ): void {
    this.db
      .prepare('UPDATE sessions SET info_json=?, battery=?, free_mib=?, total_mib=?, files_total=? WHERE id=?')
      .run(JSON.stringify(r.info), r.battery, r.freeMiB, r.totalMiB, r.filesTotal, id);
  }

  recordClock(
    id: string,
    c: { deviceTime: string; deviceTz: number; dockTimeMs: number; driftMs: number | null; driftUncertaintyMs: number | null; dockSynced: boolean },
  ): void {
    this.db
      .prepare('UPDATE sessions SET device_time=?, device_tz=?, dock_time_ms=?, drift_ms=?, drift_uncertainty_ms=?, dock_synced=? WHERE id=?')
      .run(c.deviceTime, c.deviceTz, c.dockTimeMs, c.driftMs, c.driftUncertaintyMs, c.dockSynced ? 1 : 0, id);
  }

  /** The last other docking of this recorder that set its clock: the drift it measured before setting it. */
  lastClockSet(serial: string, exceptId: string): { dockTimeMs: number | null; driftMs: number | null } | null {
    const r = this.db
      .prepare('SELECT dock_time_ms, drift_ms FROM sessions WHERE serial = ? AND clock_set = 1 AND id != ? ORDER BY started_at_ms DESC LIMIT 1')
      .get(serial, exceptId) as { dock_time_ms: number | null; drift_ms: number | null } | undefined;
    return r ? { dockTimeMs: r.dock_time_ms, driftMs: r.drift_ms } : null;
  }

  markClockSet(id: string): void {
    this.db.prepare('UPDATE sessions SET clock_set = 1 WHERE id = ?').run(id);
  }

  countStored(id: string, bytes: number): void {
    this.db.prepare('UPDATE sessions SET files_stored = files_stored + 1, bytes_stored = bytes_stored + ? WHERE id = ?').run(bytes, id);
  }

  countSkipped(id: string, n: number): void {
    this.db.prepare('UPDATE sessions SET files_skipped = ? WHERE id = ?').run(n, id);
  }

  countErased(id: string, n: number): void {
    this.db.prepare('UPDATE sessions SET files_erased = files_erased + ? WHERE id = ?').run(n, id);
  }

  setManifest(id: string, sha256: string): void {
    this.db.prepare('UPDATE sessions SET manifest_sha256 = ? WHERE id = ?').run(sha256, id);
  }

  end(id: string, result: Exclude<SessionResult, 'running'>, atMs: number, error: string | null = null): void {
    this.db.prepare("UPDATE sessions SET result=?, ended_at_ms=?, error=? WHERE id=? AND result='running'").run(result, atMs, error, id);
  }

  /** At start-up: every session still 'running' was cut off by a stop, crash or power loss. */
  interruptRunning(atMs: number): string[] {
    const ids = (this.db.prepare("SELECT id FROM sessions WHERE result = 'running'").all() as Array<{ id: string }>).map((r) => r.id);
    this.db.prepare("UPDATE sessions SET result='interrupted', ended_at_ms=COALESCE(ended_at_ms, ?), error=COALESCE(error, 'daemon stopped before the session ended') WHERE result='running'").run(atMs);
    return ids;
  }
}
