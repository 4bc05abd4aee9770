import type { Db } from './db.js';

export interface ManifestRecord {
  sessionId: string;
  kind: string;
  seqno: number;
  createdAtMs: number;
  sha256: string;
  prevSha256: string | null;
}

interface Row {
  session_id: string;
  kind: string;
  seqno: number;
  created_at_ms: number;
  sha256: string;
  prev_sha256: string | null;
}

const toRecord = (r: Row): ManifestRecord => ({ sessionId: r.session_id, kind: r.kind, seqno: r.seqno, createdAtMs: r.created_at_ms, sha256: r.sha256, prevSha256: r.prev_sha256 });

export class ManifestRepo {
  constructor(private readonly db: Db) {}

  head(): ManifestRecord | null {
    const r = this.db.prepare('SELECT * FROM manifests ORDER BY seqno DESC LIMIT 1').get() as Row | undefined;
    return r ? toRecord(r) : null;
  }

  get(sessionId: string): ManifestRecord | null {
    const r = this.db.prepare('SELECT * FROM manifests WHERE session_id = ?').get(sessionId) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  add(m: ManifestRecord): void {
    this.db.prepare('INSERT INTO manifests (session_id, kind, seqno, created_at_ms, sha256, prev_sha256) VALUES (?,?,?,?,?,?)').run(m.sessionId, m.kind, m.seqno, m.createdAtMs, m.sha256, m.prevSha256);
  }
}
