import type { Db } from './db.js';

/**
 * What ffprobe said of each stored file's container (issue 14, ledger migration 9): written once per
 * recording, in the background after the file was committed; a recording without a row is still to probe.
 */
export type ProbeOutcomeKind = 'parsed' | 'unparsed' | 'missing';

export interface MediaProbeRecord {
  recordingId: number;
  probedAtMs: number;
  outcome: ProbeOutcomeKind;
  /** ffprobe's format name; null unless parsed. */
  format: string | null;
  /** The container's duration, ms; null unless it states one. */
  durationMs: number | null;
  /** The container's `creation_time` (ISO 8601 UTC, the recorder's clock), the second witness of that clock. */
  creationTime: string | null;
  creationTimeMs: number | null;
  /** ffprobe's complaint when the container did not parse. */
  error: string | null;
}

/** A stored recording waiting for its probe. */
export interface ProbeTarget {
  id: number;
  serial: string;
  seq: number;
  name: string;
  storedPath: string;
  durationMs: number;
}

interface Row {
  recording_id: number;
  probed_at_ms: number;
  outcome: ProbeOutcomeKind;
  format: string | null;
  duration_ms: number | null;
  creation_time: string | null;
  creation_time_ms: number | null;
  error: string | null;
}

const toRecord = (r: Row): MediaProbeRecord => ({
  recordingId: r.recording_id,
  probedAtMs: r.probed_at_ms,
  outcome: r.outcome,
  format: r.format,
  durationMs: r.duration_ms,
  creationTime: r.creation_time,
  creationTimeMs: r.creation_time_ms,
  error: r.error,
});

export class MediaProbeRepo {
  constructor(private readonly db: Db) {}

  /** Stored, unpurged recordings with no probe yet, after `afterId`, oldest first (a cursor over the primary key). */
  pending(afterId: number, limit: number): ProbeTarget[] {
    return this.db
      .prepare(
        `SELECT r.id, r.serial, r.seq, r.name, r.stored_path AS storedPath, r.duration_ms AS durationMs FROM recordings r
         WHERE r.id > ? AND r.purged_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM media_probes p WHERE p.recording_id = r.id)
         ORDER BY r.id LIMIT ?`,
      )
      .all(afterId, limit) as ProbeTarget[];
  }

  /** Keep a probe's outcome (once: a recording is probed again only if its row is gone). */
  record(p: MediaProbeRecord): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO media_probes (recording_id, probed_at_ms, outcome, format, duration_ms, creation_time, creation_time_ms, error)
         VALUES (?,?,?,?,?,?,?,?)`,
      )
      .run(p.recordingId, p.probedAtMs, p.outcome, p.format, p.durationMs, p.creationTime, p.creationTimeMs, p.error);
  }

  get(recordingId: number): MediaProbeRecord | null {
    const r = this.db.prepare('SELECT * FROM media_probes WHERE recording_id = ?').get(recordingId) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  /** The probes of these recordings (a page of search results), by recording id. */
  forRecordings(ids: readonly number[]): Map<number, MediaProbeRecord> {
    const out = new Map<number, MediaProbeRecord>();
    if (ids.length === 0) return out;
    const rows = this.db.prepare(`SELECT * FROM media_probes WHERE recording_id IN (${ids.map(() => '?').join(',')})`).all(...ids) as Row[];
    for (const r of rows) out.set(r.recording_id, toRecord(r));
    return out;
  }
}
