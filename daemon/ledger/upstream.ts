import type { Db } from './db.js';

/**
 * The replication outbox (issue 16) and what the agency store has confirmed. Items are queued by triggers
 * (migration 10) in the transaction of the change they carry; this repository only drains them.
 */

export type OutboxKind = 'object' | 'row';
/** What an outbox item carries: `footage` and `manifest` are objects; the rest are rows of the agency ledger. */
export type OutboxEntity =
  | 'footage'
  | 'manifest'
  | 'recording'
  | 'hold'
  | 'tombstone'
  | 'officer'
  | 'device'
  | 'finding'
  | 'access'
  | 'session'
  | 'checkout'
  | 'retention_decision';

export interface OutboxItem {
  id: number;
  kind: OutboxKind;
  entity: OutboxEntity;
  ref: string;
  gen: number;
  queuedAtMs: number;
  attempts: number;
}

export interface UpstreamState {
  enabledAtMs: number | null;
  lastSuccessAtMs: number | null;
  lastError: string | null;
  lastErrorAtMs: number | null;
}

export interface Backlog {
  objects: number;
  rows: number;
  /** When the oldest item still pending was queued (the replication lag starts there), or null. */
  oldestQueuedAtMs: number | null;
}

/** A recording as the footage object needs it. */
export interface FootageSource {
  id: number;
  storedPath: string;
  size: number;
  sha256: string;
  retainUntilMs: number;
  held: boolean;
  purgedAtMs: number | null;
  /** Set once the dock removed its file under a signed tombstone. */
  fileRemovedAtMs: number | null;
}

export interface ConfirmedObject {
  key: string;
  entity: 'footage' | 'manifest' | 'manifest_sig';
  ref: string;
  versionId: string;
  size: number;
  sha256: string;
  retainUntilMs: number | null;
  legalHold: boolean;
  confirmedAtMs: number;
  deletedAtMs: number | null;
}

interface ObjectRow {
  key: string;
  entity: ConfirmedObject['entity'];
  ref: string;
  version_id: string;
  size: number;
  sha256: string;
  retain_until_ms: number | null;
  legal_hold: number;
  confirmed_at_ms: number;
  deleted_at_ms: number | null;
}

const toObject = (r: ObjectRow): ConfirmedObject => ({
  key: r.key,
  entity: r.entity,
  ref: r.ref,
  versionId: r.version_id,
  size: r.size,
  sha256: r.sha256,
  retainUntilMs: r.retain_until_ms,
  legalHold: r.legal_hold === 1,
  confirmedAtMs: r.confirmed_at_ms,
  deletedAtMs: r.deleted_at_ms,
});

/** The tables a row entity is read from, and its key column. */
const ROW_SOURCES: Record<Exclude<OutboxEntity, 'footage' | 'manifest' | 'recording' | 'hold'>, { table: string; key: string }> = {
  tombstone: { table: 'tombstones', key: 'recording_id' },
  officer: { table: 'officers', key: 'officer_no' },
  device: { table: 'devices', key: 'serial' },
  finding: { table: 'findings', key: 'id' },
  access: { table: 'access_register', key: 'id' },
  session: { table: 'sessions', key: 'id' },
  checkout: { table: 'checkouts', key: 'id' },
  retention_decision: { table: 'retention_decisions', key: 'id' },
};

/** Every source of the backfill when a dock starts replicating: what the triggers would have queued. */
const BACKFILL: Array<[OutboxKind, OutboxEntity, string]> = [
  ['row', 'officer', 'SELECT officer_no AS k FROM officers'],
  ['row', 'device', 'SELECT serial AS k FROM devices'],
  ['row', 'checkout', 'SELECT id AS k FROM checkouts'],
  ['row', 'session', 'SELECT id AS k FROM sessions'],
  ['row', 'recording', 'SELECT id AS k FROM recordings'],
  ['object', 'footage', 'SELECT id AS k FROM recordings'],
  ['object', 'manifest', 'SELECT session_id AS k FROM manifests'],
  ['row', 'hold', 'SELECT id AS k FROM holds'],
  ['row', 'tombstone', 'SELECT recording_id AS k FROM tombstones'],
  ['row', 'finding', 'SELECT id AS k FROM findings'],
  ['row', 'access', 'SELECT id AS k FROM access_register'],
  ['row', 'retention_decision', 'SELECT id AS k FROM retention_decisions'],
];

export class UpstreamRepo {
  constructor(private readonly db: Db) {}

  enabled(): boolean {
    return this.db.prepare('SELECT 1 FROM upstream_state WHERE id = 1').get() !== undefined;
  }

  /**
   * Switch the dock to replicate: from now on the triggers queue every change, and what the ledger already holds is
   * queued now, in this same transaction. Returns how many items the backfill queued (0 when already enabled).
   */
  enable(nowMs: number): number {
    return this.db.transaction(() => {
      if (this.enabled()) return 0;
      this.db.prepare('INSERT INTO upstream_state (id, enabled_at_ms) VALUES (1, ?)').run(nowMs);
      let n = 0;
      for (const [kind, entity, select] of BACKFILL) {
        n += this.db
          .prepare(`INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT ?, ?, k, ? FROM (${select}) WHERE true ON CONFLICT (kind, entity, ref) DO NOTHING`)
          .run(kind, entity, nowMs).changes;
      }
      return n;
    })();
  }

  state(): UpstreamState {
    const r = this.db.prepare('SELECT * FROM upstream_state WHERE id = 1').get() as
      | { enabled_at_ms: number; last_success_at_ms: number | null; last_error: string | null; last_error_at_ms: number | null }
      | undefined;
    return { enabledAtMs: r?.enabled_at_ms ?? null, lastSuccessAtMs: r?.last_success_at_ms ?? null, lastError: r?.last_error ?? null, lastErrorAtMs: r?.last_error_at_ms ?? null };
  }

  /**
   * A transfer succeeded: the last error is over, except a store error after a row went through (rows do not touch the
   * store: its error stays shown until footage or a manifest goes through).
   */
  noteSuccess(atMs: number, kind: OutboxKind = 'object'): void {
    this.db
      .prepare(
        `UPDATE upstream_state SET last_success_at_ms = ?,
           last_error = CASE WHEN ? = 'row' AND last_error LIKE 'store:%' THEN last_error ELSE NULL END,
           last_error_at_ms = CASE WHEN ? = 'row' AND last_error LIKE 'store:%' THEN last_error_at_ms ELSE NULL END
         WHERE id = 1`,
      )
      .run(atMs, kind, kind);
  }

  noteError(atMs: number, error: string): void {
    this.db.prepare('UPDATE upstream_state SET last_error = ?, last_error_at_ms = ? WHERE id = 1').run(error.slice(0, 500), atMs);
  }

  backlog(): Backlog {
    const r = this.db
      .prepare("SELECT COALESCE(SUM(kind = 'object'), 0) AS objects, COALESCE(SUM(kind = 'row'), 0) AS rows, MIN(queued_at_ms) AS oldest FROM upstream_outbox")
      .get() as { objects: number; rows: number; oldest: number | null };
    return { objects: r.objects, rows: r.rows, oldestQueuedAtMs: r.oldest };
  }

  /** Items due at `nowMs`, oldest first, leaving out those in flight (and objects, with `rowsOnly`). */
  due(nowMs: number, limit: number, inFlight: readonly number[], rowsOnly = false): OutboxItem[] {
    const rows = this.db
      .prepare(
        `SELECT id, kind, entity, ref, gen, queued_at_ms, attempts FROM upstream_outbox WHERE next_at_ms <= ? AND id NOT IN (SELECT value FROM json_each(?)) ${rowsOnly ? "AND kind = 'row'" : ''} ORDER BY next_at_ms, id LIMIT ?`,
      )
      .all(nowMs, JSON.stringify(inFlight), limit) as Array<{ id: number; kind: OutboxKind; entity: OutboxEntity; ref: string; gen: number; queued_at_ms: number; attempts: number }>;
    return rows.map((r) => ({ id: r.id, kind: r.kind, entity: r.entity, ref: r.ref, gen: r.gen, queuedAtMs: r.queued_at_ms, attempts: r.attempts }));
  }

  /** When the next item falls due, or null with an empty outbox. */
  nextDueAtMs(): number | null {
    const r = this.db.prepare('SELECT MIN(next_at_ms) AS t FROM upstream_outbox').get() as { t: number | null };
    return r.t;
  }

  /** Done: the item leaves the outbox unless a change came in meanwhile (then it runs again at once). */
  complete(item: OutboxItem): boolean {
    return this.db.transaction(() => {
      if (this.db.prepare('DELETE FROM upstream_outbox WHERE id = ? AND gen = ?').run(item.id, item.gen).changes === 1) return true;
      this.db.prepare('UPDATE upstream_outbox SET attempts = 0, next_at_ms = 0, last_error = NULL WHERE id = ?').run(item.id);
      return false;
    })();
  }

  /** Failed: try again at `nextAtMs`. */
  fail(item: OutboxItem, error: string, nextAtMs: number): void {
    this.db.prepare('UPDATE upstream_outbox SET attempts = attempts + 1, next_at_ms = ?, last_error = ? WHERE id = ?').run(nextAtMs, error.slice(0, 500), item.id);
  }

  footageSource(recordingId: number): FootageSource | null {
    const r = this.db
      .prepare(
        `SELECT r.id, r.stored_path, r.size, r.sha256, r.retain_until_ms, r.purged_at_ms, t.file_removed_at_ms,
           EXISTS (SELECT 1 FROM hold_recordings hr JOIN holds h ON h.id = hr.hold_id WHERE hr.recording_id = r.id AND h.released_at_ms IS NULL) AS held
         FROM recordings r LEFT JOIN tombstones t ON t.recording_id = r.id WHERE r.id = ?`,
      )
      .get(recordingId) as
      | { id: number; stored_path: string; size: number; sha256: string; retain_until_ms: number; purged_at_ms: number | null; file_removed_at_ms: number | null; held: number }
      | undefined;
    if (!r) return null;
    return {
      id: r.id,
      storedPath: r.stored_path,
      size: r.size,
      sha256: r.sha256,
      retainUntilMs: r.retain_until_ms,
      held: r.held === 1,
      purgedAtMs: r.purged_at_ms,
      fileRemovedAtMs: r.file_removed_at_ms,
    };
  }

  /** A manifest's place in the chain, for the agency ledger. */
  manifestRecord(sessionId: string): { sessionId: string; kind: string; seqno: number; sha256: string; prevSha256: string | null; createdAtMs: number } | null {
    const r = this.db.prepare('SELECT session_id, kind, seqno, sha256, prev_sha256, created_at_ms FROM manifests WHERE session_id = ?').get(sessionId) as
      | { session_id: string; kind: string; seqno: number; sha256: string; prev_sha256: string | null; created_at_ms: number }
      | undefined;
    return r ? { sessionId: r.session_id, kind: r.kind, seqno: r.seqno, sha256: r.sha256, prevSha256: r.prev_sha256, createdAtMs: r.created_at_ms } : null;
  }

  /**
   * The current ledger row of a row entity as plain data (column names as in the ledger), or null when it is gone.
   * A recording carries its flags, whether a hold keeps it, its confidential class and evidence number; a hold its
   * recordings.
   */
  row(entity: Exclude<OutboxEntity, 'footage' | 'manifest'>, ref: string): Record<string, unknown> | null {
    if (entity === 'recording') {
      const r = this.db
        .prepare(
          `SELECT r.*, (SELECT json_group_array(flag) FROM recording_flags f WHERE f.recording_id = r.id) AS flags_json,
             EXISTS (SELECT 1 FROM hold_recordings hr JOIN holds h ON h.id = hr.hold_id WHERE hr.recording_id = r.id AND h.released_at_ms IS NULL) AS held,
             (SELECT class FROM recording_confidential c WHERE c.recording_id = r.id) AS confidential,
             (SELECT evidence_no FROM evidence_numbers e WHERE e.recording_id = r.id) AS evidence_no
           FROM recordings r WHERE r.id = ?`,
        )
        .get(Number(ref)) as Record<string, unknown> | undefined;
      if (!r) return null;
      const { flags_json, ...rest } = r;
      return { ...rest, flags: JSON.parse(String(flags_json)) as string[], held: r.held === 1 };
    }
    if (entity === 'hold') {
      const h = this.db.prepare('SELECT * FROM holds WHERE id = ?').get(Number(ref)) as Record<string, unknown> | undefined;
      if (!h) return null;
      const ids = (this.db.prepare('SELECT recording_id FROM hold_recordings WHERE hold_id = ? ORDER BY recording_id').all(Number(ref)) as Array<{ recording_id: number }>).map((x) => x.recording_id);
      return { ...h, recording_ids: ids };
    }
    const src = ROW_SOURCES[entity];
    const r = this.db.prepare(`SELECT * FROM ${src.table} WHERE ${src.key} = ?`).get(src.key === 'id' && entity !== 'session' ? Number(ref) : ref) as Record<string, unknown> | undefined;
    return r ?? null;
  }

  object(key: string): ConfirmedObject | null {
    const r = this.db.prepare('SELECT * FROM upstream_objects WHERE key = ?').get(key) as ObjectRow | undefined;
    return r ? toObject(r) : null;
  }

  /** What a HEAD of the store confirmed after an upload, a retention or a legal hold change. */
  confirmObject(o: Omit<ConfirmedObject, 'deletedAtMs'>): void {
    this.db
      .prepare(
        `INSERT INTO upstream_objects (key, entity, ref, version_id, size, sha256, retain_until_ms, legal_hold, confirmed_at_ms) VALUES (?,?,?,?,?,?,?,?,?)
         ON CONFLICT (key) DO UPDATE SET version_id = excluded.version_id, size = excluded.size, sha256 = excluded.sha256, retain_until_ms = excluded.retain_until_ms,
           legal_hold = excluded.legal_hold, confirmed_at_ms = excluded.confirmed_at_ms, deleted_at_ms = NULL`,
      )
      .run(o.key, o.entity, o.ref, o.versionId, o.size, o.sha256, o.retainUntilMs, o.legalHold ? 1 : 0, o.confirmedAtMs);
  }

  markObjectDeleted(key: string, atMs: number): void {
    this.db.prepare('UPDATE upstream_objects SET deleted_at_ms = ? WHERE key = ?').run(atMs, key);
  }

  /**
   * Whether the retention purge of a recording's file must wait: the dock replicates and the store has not
   * confirmed the footage object. A dock that does not replicate never waits.
   */
  awaitsReplication(recordingId: number): boolean {
    if (!this.enabled()) return false;
    return this.db.prepare("SELECT 1 FROM upstream_objects WHERE entity = 'footage' AND ref = ? AND deleted_at_ms IS NULL").get(String(recordingId)) === undefined;
  }

  /**
   * The retention purge's check: true when the file must stay because the agency does not hold it yet, and then a
   * `not_replicated` finding is raised (once per recording), so a file that never reached the agency is not purged
   * silently.
   */
  purgeMustWait(recordingId: number, nowMs: number): boolean {
    if (!this.awaitsReplication(recordingId)) return false;
    const r = this.db.prepare('SELECT serial, officer_no FROM recordings WHERE id = ?').get(recordingId) as { serial: string; officer_no: string | null } | undefined;
    this.db
      .prepare(`INSERT OR IGNORE INTO findings (kind, serial, recording_id, officer_no, detail, dedupe_key, state, created_at_ms) VALUES ('not_replicated', ?, ?, ?, ?, ?, 'open', ?)`)
      .run(r?.serial ?? null, recordingId, r?.officer_no ?? null, 'due for purge, but the agency store has not confirmed its copy: the file stays until it has', `not_replicated:${recordingId}`, nowMs);
    return true;
  }
}
