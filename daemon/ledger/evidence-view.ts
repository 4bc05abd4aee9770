import Database from 'better-sqlite3';
import { AuditLog } from './audit.js';

/** A recording row as `bwc-dock verify` holds it to the manifest that signed it (the ledger's own column names). */
export interface RecordingEvidenceRow {
  id: number;
  serial: string;
  seq: number;
  device_path: string;
  stored_path: string;
  size: number;
  sha256: string;
  device_sha256: string | null;
  recorded_start: string | null;
  recorded_start_ms: number | null;
  corrected_start: string | null;
  corrected_start_ms: number | null;
  duration_ms: number;
  offloaded_at: string;
  offloaded_at_ms: number;
  session_id: string;
  manifest_session_id: string | null;
  officer_no: string | null;
  retain_until: string;
  retain_until_ms: number;
}

export interface KeepDecisionRow {
  recording_id: number;
  until_ms: number;
  decided_by: string;
  decided_at: string;
}

/**
 * The ledger file opened read-only, for `bwc-dock verify`: what it compares with the signed manifests. Opens no
 * write transaction and runs no migration, so it works beside a running daemon (WAL) and on a copied file.
 */
export class LedgerEvidenceView {
  private constructor(private readonly db: Database.Database) {}

  static open(file: string): LedgerEvidenceView {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return new LedgerEvidenceView(db);
  }

  /** The audit trail (its verify() only reads). */
  audit(): AuditLog {
    return new AuditLog(this.db, () => '');
  }

  manifests(): { session_id: string; sha256: string }[] {
    return this.db.prepare('SELECT session_id, sha256 FROM manifests ORDER BY seqno').all() as { session_id: string; sha256: string }[];
  }

  recordings(): RecordingEvidenceRow[] {
    return this.db.prepare('SELECT * FROM recordings ORDER BY id').all() as RecordingEvidenceRow[];
  }

  /** Stored paths of recordings not yet listed in a signed manifest (awaiting the recorder's next docking). */
  unsignedPaths(): Set<string> {
    return new Set((this.db.prepare('SELECT stored_path FROM recordings WHERE manifest_session_id IS NULL').all() as { stored_path: string }[]).map((r) => r.stored_path));
  }

  /** "Keep longer" decisions (empty for a ledger from before retention decisions). */
  keepDecisions(): KeepDecisionRow[] {
    try {
      return this.db.prepare("SELECT recording_id, until_ms, decided_by, decided_at FROM retention_decisions WHERE decision = 'keep' ORDER BY id").all() as KeepDecisionRow[];
    } catch {
      return [];
    }
  }

  /**
   * What each archive holds, as recording ids: those its `archive.created` audit entry names, else its hold's
   * recordings (empty for a ledger from before archives).
   */
  archiveContents(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    try {
      for (const a of this.db.prepare('SELECT id, hold_id FROM archives').all() as { id: string; hold_id: number | null }[]) {
        const entry = this.db.prepare("SELECT detail FROM audit WHERE action = 'archive.created' AND subject = ?").get(`archive/${a.id}`) as { detail: string } | undefined;
        const ids: unknown = entry ? (JSON.parse(entry.detail) as { recordingIds?: unknown }).recordingIds : undefined;
        out.set(
          a.id,
          Array.isArray(ids)
            ? (ids as number[])
            : a.hold_id !== null
              ? (this.db.prepare('SELECT recording_id FROM hold_recordings WHERE hold_id = ?').all(a.hold_id) as { recording_id: number }[]).map((x) => x.recording_id)
              : [],
        );
      }
    } catch {
      // no archives table yet
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}
