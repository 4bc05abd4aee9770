import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import pg from 'pg';
import { UpstreamError } from './errors.js';

/**
 * The agency ledger in PostgreSQL (issue 16): every dock's recordings, officers, devices, findings, holds,
 * tombstones, access-register entries and signed manifests, keyed by dock and the dock's own id, so a replay after
 * a crash upserts the same rows again and never duplicates. Versioned migrations run once each, under an advisory
 * lock, whoever connects first (a dock or an `agency` command).
 */

const MIGRATIONS: string[] = [
  // 1: docks and their enrolled keys, manifests as received and checked, objects as confirmed, the ledger's rows.
  `
  CREATE TABLE docks (
    dock_id text PRIMARY KEY,
    public_key_pem text,
    enrolled_at timestamptz,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_contact_at timestamptz,
    objects_pending integer,
    rows_pending integer,
    oldest_pending_at timestamptz,
    clock_synced boolean,
    head_seqno integer,
    head_sha256 text
  );
  CREATE TABLE manifests (
    dock_id text NOT NULL,
    session_id text NOT NULL,
    seqno integer NOT NULL,
    kind text NOT NULL,
    sha256 text NOT NULL,
    prev_sha256 text,
    created_at timestamptz,
    body bytea NOT NULL,
    sig bytea NOT NULL,
    json_key text NOT NULL,
    json_version_id text NOT NULL,
    sig_key text NOT NULL,
    sig_version_id text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','ok','broken','quarantined')),
    problem text,
    signer_key_pem text,
    received_at timestamptz NOT NULL DEFAULT now(),
    checked_at timestamptz,
    PRIMARY KEY (dock_id, session_id),
    UNIQUE (dock_id, seqno)
  );
  CREATE INDEX manifests_state ON manifests(state) WHERE state <> 'ok';
  CREATE TABLE objects (
    key text PRIMARY KEY,
    dock_id text NOT NULL,
    entity text NOT NULL,
    ref text NOT NULL,
    version_id text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    retain_until timestamptz,
    legal_hold boolean NOT NULL DEFAULT false,
    confirmed_at timestamptz NOT NULL,
    deleted_at timestamptz,
    delete_refused text
  );
  CREATE INDEX objects_ref ON objects(dock_id, entity, ref);
  CREATE TABLE recordings (
    dock_id text NOT NULL,
    local_id bigint NOT NULL,
    serial text NOT NULL,
    seq integer NOT NULL,
    name text NOT NULL,
    stored_path text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    device_sha256 text,
    officer_no text,
    unit_no text,
    evidence_no text,
    recorded_start text,
    corrected_start text,
    offloaded_at text,
    sort_at timestamptz,
    duration_ms bigint,
    retain_until timestamptz NOT NULL,
    retain_until_text text,
    flags text[] NOT NULL DEFAULT '{}',
    held boolean NOT NULL DEFAULT false,
    confidential text,
    session_id text,
    manifest_session_id text,
    purged_at timestamptz,
    data jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dock_id, local_id)
  );
  CREATE INDEX recordings_sort ON recordings(sort_at DESC);
  CREATE INDEX recordings_officer ON recordings(officer_no, sort_at DESC);
  CREATE INDEX recordings_serial ON recordings(serial, sort_at DESC);
  CREATE INDEX recordings_flags ON recordings USING gin (flags);
  CREATE TABLE officers (dock_id text NOT NULL, local_id text NOT NULL, name text, unit_no text, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE TABLE devices (dock_id text NOT NULL, local_id text NOT NULL, status text, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE TABLE checkouts (dock_id text NOT NULL, local_id text NOT NULL, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE TABLE sessions (dock_id text NOT NULL, local_id text NOT NULL, serial text, result text, drift_ms bigint, dock_synced boolean, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE TABLE findings (dock_id text NOT NULL, local_id text NOT NULL, kind text NOT NULL, state text NOT NULL, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE INDEX findings_open ON findings(dock_id) WHERE state = 'open';
  CREATE TABLE holds (dock_id text NOT NULL, local_id text NOT NULL, case_ref text, released boolean NOT NULL, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE TABLE tombstones (dock_id text NOT NULL, local_id text NOT NULL, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE TABLE access_register (dock_id text NOT NULL, local_id text NOT NULL, username text, recording_local_id bigint, kind text, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  CREATE TABLE retention_decisions (dock_id text NOT NULL, local_id text NOT NULL, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (dock_id, local_id));
  `,
  // 2: the agency console's own access register: every playback of footage from the store, with who, when, what and
  // on what ground (the Range requests of one playback within 30 minutes are one view, as on a dock).
  `
  CREATE TABLE agency_access_register (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('view')),
    dock_id text NOT NULL,
    recording_local_id bigint NOT NULL,
    username text NOT NULL,
    role text NOT NULL,
    ground text NOT NULL,
    playback_key text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    last_at timestamptz NOT NULL DEFAULT now(),
    requests integer NOT NULL DEFAULT 1
  );
  CREATE INDEX agency_access_register_playback ON agency_access_register(playback_key, dock_id, recording_local_id, last_at);
  CREATE INDEX agency_access_register_recording ON agency_access_register(dock_id, recording_local_id, at);
  `,
];

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const ts = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

/** Row entities other than recordings: their table and typed columns besides `data`. */
const ROW_TABLES: Record<string, { table: string; cols: Record<string, (r: Row) => unknown> }> = {
  officer: { table: 'officers', cols: { name: (r) => str(r.name), unit_no: (r) => str(r.unit_no) } },
  device: { table: 'devices', cols: { status: (r) => str(r.status) } },
  checkout: { table: 'checkouts', cols: {} },
  session: { table: 'sessions', cols: { serial: (r) => str(r.serial), result: (r) => str(r.result), drift_ms: (r) => num(r.drift_ms), dock_synced: (r) => (r.dock_synced === null || r.dock_synced === undefined ? null : r.dock_synced === 1) } },
  finding: { table: 'findings', cols: { kind: (r) => String(r.kind), state: (r) => String(r.state) } },
  hold: { table: 'holds', cols: { case_ref: (r) => str(r.case_ref), released: (r) => r.released_at_ms !== null && r.released_at_ms !== undefined } },
  tombstone: { table: 'tombstones', cols: {} },
  access: { table: 'access_register', cols: { username: (r) => str(r.username), recording_local_id: (r) => num(r.recording_id), kind: (r) => str(r.kind) } },
  retention_decision: { table: 'retention_decisions', cols: {} },
};

export interface ManifestArrival {
  dockId: string;
  sessionId: string;
  seqno: number;
  kind: string;
  sha256: string;
  prevSha256: string | null;
  createdAtMs: number;
  body: Buffer;
  sig: Buffer;
  jsonKey: string;
  jsonVersionId: string;
  sigKey: string;
  sigVersionId: string;
}

export interface AgencyObject {
  key: string;
  dockId: string;
  entity: string;
  ref: string;
  versionId: string;
  size: number;
  sha256: string;
  retainUntilMs: number | null;
  legalHold: boolean;
}

export interface DockReport {
  dockId: string;
  objectsPending: number;
  rowsPending: number;
  oldestPendingAtMs: number | null;
  clockSynced: boolean;
  headSeqno: number | null;
  headSha256: string | null;
}

/** Whether an ed25519 signature of `body` verifies with an SPKI PEM key. */
export function signatureValid(pem: string, body: Buffer, sig: Buffer): boolean {
  try {
    return verifySignature(null, body, createPublicKey(pem), sig);
  } catch {
    return false;
  }
}

export class AgencyLedger {
  readonly pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Connect and bring the schema up to date. */
  static async open(connectionString: string, opts: { max?: number } = {}): Promise<AgencyLedger> {
    const pool = new pg.Pool({ connectionString, max: opts.max ?? 4, connectionTimeoutMillis: 5000 });
    pool.on('error', () => undefined); // an idle client's error (server restart): the next query reconnects
    const a = new AgencyLedger(pool);
    try {
      await a.migrate();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new UpstreamError('agency_ledger', `agency ledger: ${(e as Error).message}`);
    }
    return a;
  }

  private async migrate(): Promise<void> {
    const { c, done } = await this.checkout();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(1616161616)');
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      const current = rows[0]?.v ?? 0;
      if (current > MIGRATIONS.length) throw new Error(`agency ledger schema ${current} is newer than this software (${MIGRATIONS.length})`);
      for (let v = current; v < MIGRATIONS.length; v++) {
        await c.query(MIGRATIONS[v]!);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      done();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * A client out of the pool, with an error listener while it is out: PostgreSQL ending the connection between two
   * queries of a transaction (a restart) must fail that transaction, not crash the dock as an unhandled 'error'.
   */
  private async checkout(): Promise<{ c: pg.PoolClient; done(): void }> {
    const c = await this.pool.connect();
    let lost: Error | null = null;
    const onError = (e: Error) => {
      lost = e;
    };
    c.on('error', onError);
    return {
      c,
      done: () => {
        c.off('error', onError);
        c.release(lost ?? undefined);
      },
    };
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const { c, done } = await this.checkout();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      done();
    }
  }

  /** A recording's row, keyed by dock and local id (idempotent). */
  async upsertRecording(dockId: string, r: Row): Promise<void> {
    const sortMs = r.sort_ms ?? r.corrected_start_ms ?? r.recorded_start_ms ?? r.offloaded_at_ms;
    const v = [
      dockId,
      Number(r.id),
      String(r.serial),
      Number(r.seq),
      String(r.name),
      String(r.stored_path),
      Number(r.size),
      String(r.sha256),
      str(r.device_sha256),
      str(r.officer_no),
      str(r.unit_no),
      str(r.evidence_no),
      str(r.recorded_start),
      str(r.corrected_start),
      str(r.offloaded_at),
      ts(sortMs),
      num(r.duration_ms),
      ts(r.retain_until_ms),
      str(r.retain_until),
      (r.flags as string[]) ?? [],
      r.held === true,
      str(r.confidential),
      str(r.session_id),
      str(r.manifest_session_id),
      ts(r.purged_at_ms),
      JSON.stringify(r),
    ];
    await this.pool.query(
      `INSERT INTO recordings (dock_id, local_id, serial, seq, name, stored_path, size, sha256, device_sha256, officer_no, unit_no, evidence_no, recorded_start, corrected_start,
         offloaded_at, sort_at, duration_ms, retain_until, retain_until_text, flags, held, confidential, session_id, manifest_session_id, purged_at, data, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26, now())
       ON CONFLICT (dock_id, local_id) DO UPDATE SET serial = $3, seq = $4, name = $5, stored_path = $6, size = $7, sha256 = $8, device_sha256 = $9, officer_no = $10, unit_no = $11,
         evidence_no = $12, recorded_start = $13, corrected_start = $14, offloaded_at = $15, sort_at = $16, duration_ms = $17, retain_until = $18, retain_until_text = $19, flags = $20,
         held = $21, confidential = $22, session_id = $23, manifest_session_id = $24, purged_at = $25, data = $26, updated_at = now()`,
      v,
    );
  }

  /** Any other row of a dock's ledger (officer, device, finding, hold, tombstone, access entry…), idempotent. */
  async upsertRow(dockId: string, entity: string, ref: string, r: Row): Promise<void> {
    const t = ROW_TABLES[entity];
    if (!t) throw new UpstreamError('agency_ledger', `no agency table for "${entity}"`);
    const cols = Object.keys(t.cols);
    const vals = cols.map((c) => t.cols[c]!(r));
    const names = ['dock_id', 'local_id', ...cols, 'data'];
    const params = names.map((_, i) => `$${i + 1}`);
    const set = [...cols, 'data'].map((c) => `${c} = excluded.${c}`).concat('updated_at = now()');
    await this.pool.query(`INSERT INTO ${t.table} (${names.join(', ')}) VALUES (${params.join(', ')}) ON CONFLICT (dock_id, local_id) DO UPDATE SET ${set.join(', ')}`, [
      dockId,
      ref,
      ...vals,
      JSON.stringify(r),
    ]);
  }

  /** What the store confirmed for an object (its version id above all). */
  async upsertObject(o: AgencyObject): Promise<void> {
    await this.pool.query(
      `INSERT INTO objects (key, dock_id, entity, ref, version_id, size, sha256, retain_until, legal_hold, confirmed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, now())
       ON CONFLICT (key) DO UPDATE SET version_id = $5, size = $6, sha256 = $7, retain_until = $8, legal_hold = $9, confirmed_at = now(), deleted_at = NULL, delete_refused = NULL`,
      [o.key, o.dockId, o.entity, o.ref, o.versionId, o.size, o.sha256, ts(o.retainUntilMs), o.legalHold],
    );
  }

  async objectDeleted(key: string): Promise<void> {
    await this.pool.query('UPDATE objects SET deleted_at = now(), delete_refused = NULL WHERE key = $1', [key]);
  }

  async objectDeleteRefused(key: string, why: string): Promise<void> {
    await this.pool.query('UPDATE objects SET delete_refused = $2 WHERE key = $1', [key, why]);
  }

  /** A dock's heartbeat: last contact, backlog, clock, newest manifest. Creates the dock (unenrolled) on first contact. */
  async report(r: DockReport): Promise<void> {
    await this.pool.query(
      `INSERT INTO docks (dock_id, last_contact_at, objects_pending, rows_pending, oldest_pending_at, clock_synced, head_seqno, head_sha256) VALUES ($1, now(), $2, $3, $4, $5, $6, $7)
       ON CONFLICT (dock_id) DO UPDATE SET last_contact_at = now(), objects_pending = $2, rows_pending = $3, oldest_pending_at = $4, clock_synced = $5, head_seqno = $6, head_sha256 = $7`,
      [r.dockId, r.objectsPending, r.rowsPending, ts(r.oldestPendingAtMs), r.clockSynced, r.headSeqno, r.headSha256],
    );
  }

  /**
   * A signed manifest arrives: stored as received (idempotent), then the dock's chain is checked from there, with
   * the dock's enrolled key (following its key rotations). Returns the manifest's state after the check.
   */
  async receiveManifest(m: ManifestArrival): Promise<string> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [m.dockId]);
      await c.query('INSERT INTO docks (dock_id) VALUES ($1) ON CONFLICT DO NOTHING', [m.dockId]);
      await c.query(
        `INSERT INTO manifests (dock_id, session_id, seqno, kind, sha256, prev_sha256, created_at, body, sig, json_key, json_version_id, sig_key, sig_version_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
         ON CONFLICT (dock_id, session_id) DO UPDATE SET json_version_id = $11, sig_version_id = $13,
           state = CASE WHEN manifests.body = $8 AND manifests.sig = $9 THEN manifests.state ELSE 'pending' END, body = $8, sig = $9`,
        [m.dockId, m.sessionId, m.seqno, m.kind, m.sha256, m.prevSha256, ts(m.createdAtMs), m.body, m.sig, m.jsonKey, m.jsonVersionId, m.sigKey, m.sigVersionId],
      );
      await this.checkChain(c, m.dockId);
      const { rows } = await c.query<{ state: string }>('SELECT state FROM manifests WHERE dock_id = $1 AND session_id = $2', [m.dockId, m.sessionId]);
      return rows[0]!.state;
    });
  }

  /** Register a dock's public key; what it sent before waits in quarantine and is checked now. */
  async enroll(dockId: string, publicKeyPem: string): Promise<{ checked: number; states: Record<string, number> }> {
    createPublicKey(publicKeyPem); // refuses what is not a key
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [dockId]);
      await c.query(
        `INSERT INTO docks (dock_id, public_key_pem, enrolled_at) VALUES ($1, $2, now()) ON CONFLICT (dock_id) DO UPDATE SET public_key_pem = $2, enrolled_at = now()`,
        [dockId, publicKeyPem],
      );
      await c.query(`UPDATE manifests SET state = 'pending' WHERE dock_id = $1 AND state = 'quarantined'`, [dockId]);
      const checked = await this.checkChain(c, dockId);
      const { rows } = await c.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM manifests WHERE dock_id = $1 GROUP BY state', [dockId]);
      return { checked, states: Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) };
    });
  }

  /**
   * Walk a dock's manifests that are not yet `ok`, in chain order, from the last good one: each must follow its
   * predecessor (seqno and `prevManifestSha256`), hash to its recorded SHA-256 and verify with the dock's key at that
   * point of the chain (the enrolled key, then each key a verified `key_rotation` announces). A gap leaves the rest
   * `pending` (a predecessor is still on its way); no enrolled key or a signature that does not verify is
   * `quarantined`; a wrong link or hash is `broken` (recorded, and the walk goes on from it).
   */
  private async checkChain(c: pg.PoolClient, dockId: string): Promise<number> {
    const dock = (await c.query<{ public_key_pem: string | null }>('SELECT public_key_pem FROM docks WHERE dock_id = $1', [dockId])).rows[0];
    const todo = (
      await c.query<{ session_id: string; seqno: number; kind: string; sha256: string; body: Buffer; sig: Buffer }>(
        `SELECT session_id, seqno, kind, sha256, body, sig FROM manifests WHERE dock_id = $1 AND state <> 'ok' ORDER BY seqno`,
        [dockId],
      )
    ).rows;
    if (todo.length === 0) return 0;
    const first = todo[0]!.seqno;
    const before = (
      await c.query<{ seqno: number; sha256: string; kind: string; body: Buffer; signer_key_pem: string | null; state: string }>(
        `SELECT seqno, sha256, kind, body, signer_key_pem, state FROM manifests WHERE dock_id = $1 AND seqno < $2 ORDER BY seqno DESC LIMIT 1`,
        [dockId, first],
      )
    ).rows[0];
    let prev: { seqno: number; sha256: string } | null = before ? { seqno: before.seqno, sha256: before.sha256 } : null;
    let key: string | null = before?.signer_key_pem ? keyAfter(before.kind, before.body, before.signer_key_pem) : (dock?.public_key_pem ?? null);
    let blocked: string | null = null;
    const set = (sessionId: string, state: string, problem: string | null, signer: string | null) =>
      c.query('UPDATE manifests SET state = $3, problem = $4, signer_key_pem = $5, checked_at = now() WHERE dock_id = $1 AND session_id = $2', [dockId, sessionId, state, problem, signer]);
    for (const m of todo) {
      if (blocked) {
        await set(m.session_id, blocked === 'gap' ? 'pending' : 'quarantined', blocked === 'gap' ? 'waiting for the manifest before it' : `after a quarantined manifest`, null);
        continue;
      }
      if ((prev === null && m.seqno !== 1) || (prev !== null && m.seqno !== prev.seqno + 1)) {
        blocked = 'gap';
        await set(m.session_id, 'pending', 'waiting for the manifest before it', null);
        continue;
      }
      if (key === null) {
        blocked = 'quarantine';
        await set(m.session_id, 'quarantined', 'the dock is not enrolled: no public key to check its signature with', null);
        continue;
      }
      if (!signatureValid(key, m.body, m.sig)) {
        blocked = 'quarantine';
        await set(m.session_id, 'quarantined', 'the signature does not verify with the enrolled key of the dock (an unknown key)', null);
        continue;
      }
      const problems: string[] = [];
      const actual = createHash('sha256').update(m.body).digest('hex');
      if (actual !== m.sha256) problems.push(`its bytes hash to ${actual}, not the ${m.sha256} the dock recorded`);
      let parsed: { prevManifestSha256?: string | null; dockId?: string; sessionId?: string } = {};
      try {
        parsed = JSON.parse(m.body.toString('utf8')) as typeof parsed;
      } catch {
        problems.push('not JSON');
      }
      const wantPrev = prev?.sha256 ?? null;
      if ((parsed.prevManifestSha256 ?? null) !== wantPrev) problems.push(`chain break: prevManifestSha256 ${parsed.prevManifestSha256 ?? 'null'} is not ${wantPrev ?? 'null'} (manifest ${prev?.seqno ?? 0} of the dock)`);
      if (parsed.dockId !== undefined && parsed.dockId !== dockId) problems.push(`signed for dock ${parsed.dockId}`);
      await set(m.session_id, problems.length ? 'broken' : 'ok', problems.length ? problems.join('; ') : null, key);
      key = keyAfter(m.kind, m.body, key);
      prev = { seqno: m.seqno, sha256: actual };
    }
    return todo.length;
  }

  /** Manifests of a dock not `ok`, for the fleet page and `agency verify`. */
  async manifestProblems(): Promise<Array<{ dockId: string; sessionId: string; seqno: number; state: string; problem: string | null }>> {
    const { rows } = await this.pool.query<{ dock_id: string; session_id: string; seqno: number; state: string; problem: string | null }>(
      `SELECT dock_id, session_id, seqno, state, problem FROM manifests WHERE state <> 'ok' ORDER BY dock_id, seqno`,
    );
    return rows.map((r) => ({ dockId: r.dock_id, sessionId: r.session_id, seqno: r.seqno, state: r.state, problem: r.problem }));
  }
}

/** A recording as agency search shows it. */
export interface AgencyRecording {
  dockId: string;
  id: number;
  serial: string;
  officerNo: string | null;
  unitNo: string | null;
  evidenceNo: string | null;
  name: string;
  size: number;
  sha256: string;
  deviceSha256: string | null;
  recordedStart: string | null;
  correctedStart: string | null;
  offloadedAt: string | null;
  durationMs: number | null;
  flags: string[];
  retainUntil: string | null;
  hold: boolean;
  confidential: string | null;
  purged: boolean;
  /** The store's key and version of its footage, null until replicated. */
  objectKey: string;
  versionId: string | null;
}

export interface RecordingSearch {
  dock?: string;
  serial?: string;
  officer?: string;
  flag?: string;
  fromMs?: number;
  toMs?: number;
  /** Keyset: strictly after this (sort time, dock, id) in newest-first order. */
  after?: { sortAtMs: number; dockId: string; id: number };
  /** Confidential recordings shown only when true, or when their officer is `own`. */
  seesConfidential: boolean;
  own?: string;
  limit: number;
}

export interface FleetDock {
  dockId: string;
  enrolled: boolean;
  lastContactAt: string | null;
  objectsPending: number | null;
  rowsPending: number | null;
  /** Seconds since the oldest change the dock has not sent yet was made (0 with nothing pending). */
  lagSeconds: number | null;
  clockSynced: boolean | null;
  openFindings: number;
  manifestProblems: number;
  recordings: number;
}

type RecRow = {
  dock_id: string;
  local_id: string;
  serial: string;
  officer_no: string | null;
  unit_no: string | null;
  evidence_no: string | null;
  name: string;
  size: string;
  sha256: string;
  device_sha256: string | null;
  recorded_start: string | null;
  corrected_start: string | null;
  offloaded_at: string | null;
  duration_ms: string | null;
  flags: string[];
  retain_until_text: string | null;
  held: boolean;
  confidential: string | null;
  purged_at: Date | null;
  stored_path: string;
  version_id: string | null;
  sort_at: Date | null;
};

const toAgencyRecording = (r: RecRow): AgencyRecording & { sortAtMs: number } => ({
  dockId: r.dock_id,
  id: Number(r.local_id),
  serial: r.serial,
  officerNo: r.officer_no,
  unitNo: r.unit_no,
  evidenceNo: r.evidence_no,
  name: r.name,
  size: Number(r.size),
  sha256: r.sha256,
  deviceSha256: r.device_sha256,
  recordedStart: r.recorded_start,
  correctedStart: r.corrected_start,
  offloadedAt: r.offloaded_at,
  durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
  flags: r.flags,
  retainUntil: r.retain_until_text,
  hold: r.held,
  confidential: r.confidential,
  purged: r.purged_at !== null,
  objectKey: `${r.dock_id}/${r.stored_path}`,
  versionId: r.version_id,
  sortAtMs: r.sort_at ? r.sort_at.getTime() : 0,
});

const REC_SELECT = `SELECT r.dock_id, r.local_id, r.serial, r.officer_no, r.unit_no, r.evidence_no, r.name, r.size, r.sha256, r.device_sha256, r.recorded_start, r.corrected_start,
  r.offloaded_at, r.duration_ms, r.flags, r.retain_until_text, r.held, r.confidential, r.purged_at, r.stored_path, o.version_id, r.sort_at
  FROM recordings r LEFT JOIN objects o ON o.key = r.dock_id || '/' || r.stored_path AND o.deleted_at IS NULL`;

/** Agency-wide search, newest first, keyset-paged. */
export async function searchRecordings(a: AgencyLedger, q: RecordingSearch): Promise<Array<AgencyRecording & { sortAtMs: number }>> {
  const where: string[] = [];
  const p: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    p.push(v);
    where.push(sql.replace('?', `$${p.length}`));
  };
  if (q.dock) add('r.dock_id = ?', q.dock);
  if (q.serial) add('r.serial = ?', q.serial);
  if (q.officer) add('r.officer_no = ?', q.officer);
  if (q.own) add('r.officer_no = ?', q.own);
  if (q.flag) add('? = ANY (r.flags)', q.flag);
  if (q.fromMs !== undefined) add('r.sort_at >= ?', new Date(q.fromMs).toISOString());
  if (q.toMs !== undefined) add('r.sort_at < ?', new Date(q.toMs).toISOString());
  // An officer (`own`) sees their own recordings, confidential or not; other roles only when they see confidential ones.
  if (!q.seesConfidential && !q.own) where.push('r.confidential IS NULL');
  if (q.after) {
    p.push(new Date(q.after.sortAtMs).toISOString(), q.after.dockId, q.after.id);
    const n = p.length;
    where.push(`(r.sort_at < $${n - 2}::timestamptz OR (r.sort_at = $${n - 2}::timestamptz AND (r.dock_id, r.local_id) > ($${n - 1}::text, $${n}::bigint)))`);
  }
  p.push(q.limit);
  const sql = `${REC_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.sort_at DESC, r.dock_id, r.local_id LIMIT $${p.length}`;
  const { rows } = await a.pool.query<RecRow>(sql, p);
  return rows.map(toAgencyRecording);
}

export async function getRecording(a: AgencyLedger, dockId: string, id: number): Promise<(AgencyRecording & { sortAtMs: number }) | null> {
  const { rows } = await a.pool.query<RecRow>(`${REC_SELECT} WHERE r.dock_id = $1 AND r.local_id = $2`, [dockId, id]);
  return rows[0] ? toAgencyRecording(rows[0]) : null;
}

/** A view of footage at the agency, coalesced per playback (one login session, one recording, 30 minutes). */
export async function registerView(a: AgencyLedger, v: { dockId: string; id: number; username: string; role: string; ground: string; playbackKey: string }): Promise<void> {
  const r = await a.pool.query(
    `UPDATE agency_access_register SET last_at = now(), requests = requests + 1
     WHERE id = (SELECT id FROM agency_access_register WHERE playback_key = $1 AND dock_id = $2 AND recording_local_id = $3 AND last_at > now() - interval '30 minutes' ORDER BY id DESC LIMIT 1)`,
    [v.playbackKey, v.dockId, v.id],
  );
  if (r.rowCount === 0) {
    await a.pool.query(`INSERT INTO agency_access_register (kind, dock_id, recording_local_id, username, role, ground, playback_key) VALUES ('view', $1, $2, $3, $4, $5, $6)`, [
      v.dockId,
      v.id,
      v.username,
      v.role,
      v.ground,
      v.playbackKey,
    ]);
  }
}

/** Every dock the agency knows: last contact, backlog, lag, clock, open findings, manifests not ok. */
export async function fleet(a: AgencyLedger): Promise<FleetDock[]> {
  const { rows } = await a.pool.query<{
    dock_id: string;
    enrolled: boolean;
    last_contact_at: Date | null;
    objects_pending: number | null;
    rows_pending: number | null;
    lag: number | null;
    clock_synced: boolean | null;
    open_findings: string;
    manifest_problems: string;
    recordings: string;
  }>(
    `SELECT d.dock_id, d.public_key_pem IS NOT NULL AS enrolled, d.last_contact_at, d.objects_pending, d.rows_pending,
       CASE WHEN d.oldest_pending_at IS NULL THEN 0 ELSE extract(epoch FROM now() - d.oldest_pending_at)::integer END AS lag, d.clock_synced,
       (SELECT count(*) FROM findings f WHERE f.dock_id = d.dock_id AND f.state = 'open') AS open_findings,
       (SELECT count(*) FROM manifests m WHERE m.dock_id = d.dock_id AND m.state <> 'ok') AS manifest_problems,
       (SELECT count(*) FROM recordings r WHERE r.dock_id = d.dock_id) AS recordings
     FROM docks d ORDER BY d.dock_id`,
  );
  return rows.map((r) => ({
    dockId: r.dock_id,
    enrolled: r.enrolled,
    lastContactAt: r.last_contact_at ? r.last_contact_at.toISOString() : null,
    objectsPending: r.objects_pending,
    rowsPending: r.rows_pending,
    lagSeconds: r.last_contact_at === null ? null : r.lag,
    clockSynced: r.clock_synced,
    openFindings: Number(r.open_findings),
    manifestProblems: Number(r.manifest_problems),
    recordings: Number(r.recordings),
  }));
}

/** The key that signs the manifest after this one: a verified key_rotation hands over to its new key. */
function keyAfter(kind: string, body: Buffer, key: string): string {
  if (kind !== 'key_rotation') return key;
  try {
    const m = JSON.parse(body.toString('utf8')) as { newPublicKeyPem?: string };
    return m.newPublicKeyPem ?? key;
  } catch {
    return key;
  }
}
