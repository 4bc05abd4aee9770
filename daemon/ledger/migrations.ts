/**
 * Versioned schema. Each entry runs once, in order, inside a transaction; never edit a shipped one,
 * add the next. Times are stored twice where they are queried: ISO text in the dock's zone for people
 * and API, epoch ms for ordering and ranges.
 */
export const MIGRATIONS: string[] = [
  // 1: the offload core
  `
  CREATE TABLE devices (
    serial TEXT PRIMARY KEY,
    id_code TEXT NOT NULL,
    firmware TEXT NOT NULL,
    caps INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'in_dock' CHECK (status IN ('in_dock','checked_out','in_repair','retired')),
    docked INTEGER NOT NULL DEFAULT 0,
    last_docked_at_ms INTEGER,
    last_undocked_at_ms INTEGER,
    last_event_index INTEGER,
    last_sync_at_ms INTEGER,
    last_battery INTEGER,
    last_free_mib INTEGER,
    last_total_mib INTEGER,
    last_file_count INTEGER,
    last_info_json TEXT,
    created_at_ms INTEGER NOT NULL
  );
  CREATE TABLE officers (
    officer_no TEXT PRIMARY KEY CHECK (length(officer_no) = 6),
    name TEXT NOT NULL,
    unit_no TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
  );
  CREATE TABLE checkouts (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL REFERENCES devices(serial),
    officer_no TEXT NOT NULL REFERENCES officers(officer_no),
    out_at_ms INTEGER NOT NULL,
    out_by TEXT NOT NULL,
    left_dock_at_ms INTEGER,
    in_at_ms INTEGER,
    in_by TEXT,
    in_session_id TEXT
  );
  CREATE INDEX checkouts_serial ON checkouts(serial, out_at_ms);
  CREATE INDEX checkouts_officer ON checkouts(officer_no, out_at_ms);
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    serial TEXT,
    port_path TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    result TEXT NOT NULL DEFAULT 'running' CHECK (result IN ('running','ok','interrupted','failed')),
    error TEXT,
    info_json TEXT,
    device_time TEXT,
    device_tz INTEGER,
    dock_time_ms INTEGER,
    drift_ms INTEGER,
    drift_uncertainty_ms INTEGER,
    dock_synced INTEGER,
    clock_set INTEGER NOT NULL DEFAULT 0,
    battery INTEGER,
    free_mib INTEGER,
    total_mib INTEGER,
    files_total INTEGER,
    files_stored INTEGER NOT NULL DEFAULT 0,
    files_skipped INTEGER NOT NULL DEFAULT 0,
    files_erased INTEGER NOT NULL DEFAULT 0,
    bytes_stored INTEGER NOT NULL DEFAULT 0,
    manifest_sha256 TEXT
  );
  CREATE INDEX sessions_serial ON sessions(serial, started_at_ms);
  CREATE INDEX sessions_started ON sessions(started_at_ms);
  CREATE TABLE recordings (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    device_path TEXT NOT NULL,
    stored_path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    device_sha256 TEXT,
    file_flags INTEGER NOT NULL DEFAULT 0,
    recorded_start TEXT,
    recorded_start_ms INTEGER,
    corrected_start TEXT,
    corrected_start_ms INTEGER,
    drift_ms INTEGER,
    drift_uncertainty_ms INTEGER,
    duration_ms INTEGER NOT NULL,
    offloaded_at TEXT NOT NULL,
    offloaded_at_ms INTEGER NOT NULL,
    delay_ms INTEGER,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    manifest_session_id TEXT,
    officer_no TEXT,
    unit_no TEXT,
    checkout_id INTEGER,
    retain_until TEXT NOT NULL,
    retain_until_ms INTEGER NOT NULL,
    erased_at_ms INTEGER,
    purged_at_ms INTEGER,
    sort_ms INTEGER GENERATED ALWAYS AS (COALESCE(corrected_start_ms, recorded_start_ms, offloaded_at_ms)) STORED
  );
  CREATE UNIQUE INDEX recordings_identity ON recordings(serial, seq, size, sha256);
  CREATE INDEX recordings_serial_seq ON recordings(serial, seq);
  CREATE INDEX recordings_officer ON recordings(officer_no, sort_ms);
  CREATE INDEX recordings_serial_sort ON recordings(serial, sort_ms);
  CREATE INDEX recordings_sort ON recordings(sort_ms);
  CREATE INDEX recordings_retain ON recordings(retain_until_ms) WHERE purged_at_ms IS NULL;
  CREATE INDEX recordings_unsigned ON recordings(serial) WHERE manifest_session_id IS NULL;
  CREATE TABLE recording_flags (
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    flag TEXT NOT NULL,
    PRIMARY KEY (recording_id, flag)
  ) WITHOUT ROWID;
  CREATE INDEX recording_flags_flag ON recording_flags(flag, recording_id);
  CREATE TABLE device_events (
    serial TEXT NOT NULL,
    idx INTEGER NOT NULL,
    time_raw TEXT NOT NULL,
    code INTEGER NOT NULL,
    arg INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    PRIMARY KEY (serial, idx)
  ) WITHOUT ROWID;
  CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    serial TEXT,
    recording_id INTEGER,
    session_id TEXT,
    seq_from INTEGER,
    seq_to INTEGER,
    from_ms INTEGER,
    to_ms INTEGER,
    officer_no TEXT,
    detail TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','justified','approved','rejected','info')),
    prefill_reason TEXT,
    prefill_evidence TEXT,
    reason TEXT,
    text TEXT,
    justified_by TEXT,
    justified_at_ms INTEGER,
    decided_by TEXT,
    decided_at_ms INTEGER,
    decision_text TEXT,
    created_at_ms INTEGER NOT NULL
  );
  CREATE INDEX findings_kind ON findings(kind, created_at_ms);
  CREATE INDEX findings_serial ON findings(serial, created_at_ms);
  CREATE INDEX findings_officer ON findings(officer_no, created_at_ms);
  CREATE TABLE manifests (
    session_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    seqno INTEGER NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    prev_sha256 TEXT
  );
  CREATE TABLE ingest_journal (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    seq INTEGER NOT NULL,
    temp_path TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('copying','renaming')),
    entry_json TEXT NOT NULL,
    sha256 TEXT,
    started_at_ms INTEGER NOT NULL
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin','equipment_manager','supervisor','legal','auditor','officer')),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
  );
  `,
  // 2: the console: login sessions, the access register (views/copies/exports of footage), declared activities
  `
  CREATE TABLE web_sessions (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
  );
  CREATE INDEX web_sessions_expiry ON web_sessions(expires_at_ms);
  CREATE TABLE access_register (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('view','copy','export')),
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    ground TEXT NOT NULL,
    request_id INTEGER,
    playback_key TEXT,
    at_ms INTEGER NOT NULL,
    at TEXT NOT NULL,
    last_at_ms INTEGER NOT NULL,
    requests INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX access_register_recording ON access_register(recording_id, at_ms);
  CREATE INDEX access_register_user ON access_register(username, at_ms);
  CREATE INDEX access_register_playback ON access_register(playback_key, recording_id, last_at_ms);
  CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    officer_no TEXT NOT NULL REFERENCES officers(officer_no),
    start TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end TEXT NOT NULL,
    end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
    case_ref TEXT,
    title TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
  );
  CREATE INDEX activities_officer ON activities(officer_no, start_ms);
  CREATE INDEX activities_case ON activities(case_ref);
  `,
  // 3: retention (004 §15): review queue and decisions, tombstones of purges; holds (004 §16) and archive discs
  `
  CREATE TABLE holds (
    id INTEGER PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('dispute','obstruction','sensitive','case')),
    case_ref TEXT NOT NULL,
    note TEXT,
    placed_by TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    placed_at_ms INTEGER NOT NULL,
    released_by TEXT,
    released_at TEXT,
    released_at_ms INTEGER,
    release_reason TEXT
  );
  CREATE INDEX holds_case ON holds(case_ref);
  CREATE INDEX holds_placed ON holds(placed_at_ms);
  CREATE TABLE hold_recordings (
    hold_id INTEGER NOT NULL REFERENCES holds(id),
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    PRIMARY KEY (hold_id, recording_id)
  ) WITHOUT ROWID;
  CREATE INDEX hold_recordings_recording ON hold_recordings(recording_id, hold_id);
  CREATE TABLE retention_queue (
    recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
    entered_at TEXT NOT NULL,
    entered_at_ms INTEGER NOT NULL,
    due_at_ms INTEGER NOT NULL
  );
  CREATE INDEX retention_queue_entered ON retention_queue(entered_at_ms);
  CREATE TABLE retention_decisions (
    id INTEGER PRIMARY KEY,
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    decision TEXT NOT NULL CHECK (decision IN ('keep','purge')),
    reason TEXT NOT NULL,
    previous_until TEXT NOT NULL,
    until TEXT,
    until_ms INTEGER,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    decided_at_ms INTEGER NOT NULL
  );
  CREATE INDEX retention_decisions_recording ON retention_decisions(recording_id, decided_at_ms);
  CREATE TABLE tombstones (
    recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
    manifest_session_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    at TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    file_removed_at_ms INTEGER
  );
  CREATE INDEX tombstones_manifest ON tombstones(manifest_session_id);
  CREATE INDEX tombstones_pending ON tombstones(recording_id) WHERE file_removed_at_ms IS NULL;
  CREATE TABLE archives (
    id TEXT PRIMARY KEY,
    hold_id INTEGER REFERENCES holds(id),
    case_ref TEXT NOT NULL,
    title TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    images_json TEXT NOT NULL
  );
  CREATE INDEX archives_hold ON archives(hold_id);
  CREATE INDEX archives_case ON archives(case_ref);
  `,
  // 4: indexes the console needs at a million recordings (issue 9, found by npm run bench). The device ledger's
  // period contents look recordings up by checkout; a flag search walks the flag's recordings newest first,
  // so each flag row carries its recording's sort key (sort_ms never changes once a recording is stored).
  `
  CREATE INDEX recordings_checkout ON recordings(checkout_id);
  ALTER TABLE recording_flags ADD COLUMN sort_ms INTEGER;
  UPDATE recording_flags SET sort_ms = (SELECT r.sort_ms FROM recordings r WHERE r.id = recording_flags.recording_id);
  CREATE INDEX recording_flags_flag_sort ON recording_flags(flag, sort_ms, recording_id);
  `,
  // 5: each stored recorder event keeps the zone offset its time was read with (GET_TIME's tz at that
  // docking), so a later docking after a zone change (DST) does not shift older events.
  `
  ALTER TABLE device_events ADD COLUMN tz INTEGER;
  `,
  // 6: accounts (issue 13). A password an administrator reset must be changed at the next login; a grant of a
  // role that can see footage made in the console waits for a supervisor other than the one who asked
  // (pending_kind 'account': the account cannot log in yet; 'role': it keeps its old role until then; 'reset':
  // the reset password works only once confirmed). A login session ends after console.idleMinutes without a
  // request (last_seen_ms). Releasing a hold someone else placed, when a purge would follow, is first a request
  // that a second supervisor or legal reviewer confirms (hold_release_requests).
  `
  ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE users ADD COLUMN password_changed_at_ms INTEGER;
  ALTER TABLE users ADD COLUMN pending_kind TEXT CHECK (pending_kind IN ('account','role','reset'));
  ALTER TABLE users ADD COLUMN pending_role TEXT CHECK (pending_role IN ('admin','equipment_manager','supervisor','legal','auditor','officer'));
  ALTER TABLE users ADD COLUMN pending_by TEXT;
  ALTER TABLE users ADD COLUMN pending_at_ms INTEGER;
  ALTER TABLE web_sessions ADD COLUMN last_seen_ms INTEGER;
  UPDATE web_sessions SET last_seen_ms = created_at_ms;
  CREATE INDEX web_sessions_user ON web_sessions(username);
  CREATE TABLE hold_release_requests (
    hold_id INTEGER PRIMARY KEY REFERENCES holds(id),
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    reason TEXT NOT NULL
  );
  ALTER TABLE holds ADD COLUMN release_confirmed_by TEXT;
  `,
  // 7: derived copies are footage too (issue 13). The access register also records thumbnails and archive-image
  // downloads (a CHECK cannot be altered in SQLite: the table is rebuilt with its rows and indexes); which
  // recordings each archive disc holds is kept as rows (backfilled from the archive.created audit entries), so a
  // purge finds every disc image that holds a purged file.
  `
  CREATE TABLE access_register_v7 (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('view','thumbnail','copy','export','archive')),
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    ground TEXT NOT NULL,
    request_id INTEGER,
    playback_key TEXT,
    at_ms INTEGER NOT NULL,
    at TEXT NOT NULL,
    last_at_ms INTEGER NOT NULL,
    requests INTEGER NOT NULL DEFAULT 1
  );
  INSERT INTO access_register_v7 (id, kind, recording_id, username, role, ground, request_id, playback_key, at_ms, at, last_at_ms, requests)
    SELECT id, kind, recording_id, username, role, ground, request_id, playback_key, at_ms, at, last_at_ms, requests FROM access_register;
  DROP TABLE access_register;
  ALTER TABLE access_register_v7 RENAME TO access_register;
  CREATE INDEX access_register_recording ON access_register(recording_id, at_ms);
  CREATE INDEX access_register_user ON access_register(username, at_ms);
  CREATE INDEX access_register_playback ON access_register(playback_key, recording_id, last_at_ms);
  CREATE TABLE archive_recordings (
    archive_id TEXT NOT NULL REFERENCES archives(id),
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    PRIMARY KEY (archive_id, recording_id)
  ) WITHOUT ROWID;
  CREATE INDEX archive_recordings_recording ON archive_recordings(recording_id);
  INSERT OR IGNORE INTO archive_recordings (archive_id, recording_id)
    SELECT a.id, j.value FROM audit t JOIN archives a ON a.id = substr(t.subject, 9), json_each(t.detail, '$.recordingIds') j
    WHERE t.action = 'archive.created' AND t.subject LIKE 'archive/%';
  `,
  // 8: evidence access (issue 15). Every recording gets an evidence number `<unit>-<year>-<serial>` that is
  // never reused (a trigger numbers new rows, counters never go back); the recorder's important mark (file
  // flags bit 0) becomes the flag `important`; cases link recordings to a matter of the catalogue (004 annex 3)
  // and an enforcement target, with notes, speakers and gist per recording (001 (二)2) and documents of the case
  // (000 (二)8); access requests and their approvals (004 annex 1); confidential marks (004 §14).
  `
  CREATE TABLE evidence_counters (prefix TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE evidence_numbers (
    recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
    evidence_no TEXT NOT NULL UNIQUE
  );
  INSERT INTO evidence_numbers (recording_id, evidence_no)
    SELECT id, p || '-' || printf('%06d', ROW_NUMBER() OVER (PARTITION BY p ORDER BY id)) FROM (
      SELECT id, COALESCE(NULLIF(unit_no, ''), 'U0') || '-' || substr(COALESCE(corrected_start, recorded_start, offloaded_at), 1, 4) AS p FROM recordings);
  INSERT INTO evidence_counters (prefix, last)
    SELECT substr(evidence_no, 1, length(evidence_no) - 7), COUNT(*) FROM evidence_numbers GROUP BY 1;
  CREATE TRIGGER recordings_evidence_no AFTER INSERT ON recordings BEGIN
    INSERT OR IGNORE INTO evidence_counters (prefix, last)
      VALUES (COALESCE(NULLIF(NEW.unit_no, ''), 'U0') || '-' || substr(COALESCE(NEW.corrected_start, NEW.recorded_start, NEW.offloaded_at), 1, 4), 0);
    UPDATE evidence_counters SET last = last + 1
      WHERE prefix = COALESCE(NULLIF(NEW.unit_no, ''), 'U0') || '-' || substr(COALESCE(NEW.corrected_start, NEW.recorded_start, NEW.offloaded_at), 1, 4);
    INSERT INTO evidence_numbers (recording_id, evidence_no)
      SELECT NEW.id, prefix || '-' || printf('%06d', last) FROM evidence_counters
      WHERE prefix = COALESCE(NULLIF(NEW.unit_no, ''), 'U0') || '-' || substr(COALESCE(NEW.corrected_start, NEW.recorded_start, NEW.offloaded_at), 1, 4);
  END;
  INSERT OR IGNORE INTO recording_flags (recording_id, flag, sort_ms) SELECT id, 'important', sort_ms FROM recordings WHERE (file_flags & 1) = 1;
  CREATE TRIGGER recordings_important AFTER INSERT ON recordings WHEN (NEW.file_flags & 1) = 1 BEGIN
    INSERT OR IGNORE INTO recording_flags (recording_id, flag, sort_ms) VALUES (NEW.id, 'important', NEW.sort_ms);
  END;
  CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    case_no TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    matter_id TEXT NOT NULL,
    category TEXT NOT NULL,
    matter TEXT NOT NULL,
    keep_with_case INTEGER NOT NULL,
    target_kind TEXT CHECK (target_kind IN ('person','company')),
    target_name TEXT,
    target_id_no TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
  );
  CREATE INDEX cases_matter ON cases(matter_id);
  CREATE INDEX cases_target_id ON cases(target_id_no);
  CREATE TABLE case_recordings (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    linked_at_ms INTEGER NOT NULL,
    hold_id INTEGER REFERENCES holds(id),
    PRIMARY KEY (case_id, recording_id)
  ) WITHOUT ROWID;
  CREATE INDEX case_recordings_recording ON case_recordings(recording_id);
  CREATE TABLE case_documents (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_at_ms INTEGER NOT NULL
  );
  CREATE INDEX case_documents_case ON case_documents(case_id);
  CREATE TABLE recording_notes (
    recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
    content_note TEXT,
    speakers TEXT,
    gist TEXT,
    target_kind TEXT CHECK (target_kind IN ('person','company')),
    target_name TEXT,
    target_id_no TEXT,
    updated_by TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
  );
  CREATE INDEX recording_notes_target_id ON recording_notes(target_id_no);
  CREATE TABLE recording_confidential (
    recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
    class TEXT NOT NULL CHECK (class IN ('state_secret','commercial_secret','privacy')),
    reason TEXT NOT NULL,
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    marked_at_ms INTEGER NOT NULL
  );
  CREATE TABLE access_requests (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('view','copy','agency','party')),
    purpose TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    filed_by_role TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    filed_at_ms INTEGER NOT NULL,
    requester TEXT,
    authority TEXT,
    other_region INTEGER NOT NULL DEFAULT 0,
    letter_ref TEXT,
    id_document TEXT,
    lawyer INTEGER NOT NULL DEFAULT 0,
    power_of_attorney TEXT,
    lawyer_licence TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','approved','denied')),
    decided_by TEXT,
    decided_by_role TEXT,
    decided_at TEXT,
    decided_at_ms INTEGER,
    decision_reason TEXT,
    documents_checked INTEGER NOT NULL DEFAULT 0,
    expires_at TEXT,
    expires_at_ms INTEGER
  );
  CREATE INDEX access_requests_filed_by ON access_requests(filed_by, id);
  CREATE INDEX access_requests_state ON access_requests(state, id);
  CREATE TABLE access_request_recordings (
    request_id INTEGER NOT NULL REFERENCES access_requests(id),
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    PRIMARY KEY (request_id, recording_id)
  ) WITHOUT ROWID;
  CREATE INDEX access_request_recordings_recording ON access_request_recordings(recording_id, request_id);
  CREATE INDEX access_register_at ON access_register(at_ms);
  CREATE INDEX IF NOT EXISTS audit_actor_action ON audit(actor, action, at_ms);
  CREATE INDEX IF NOT EXISTS audit_subject ON audit(subject, id);
  `,
  // 9: issue 14. A `remote_duty` justification of a late offload states when the officer returned to the unit
  // (004 §13: the footage is due within 24 h of the return), kept with the justification. And what ffprobe said
  // of each stored file's container, probed in the background after the file was committed: a recording without a
  // row is still to probe (those stored before this version too, one at a time after start); `creation_time` is a
  // second witness of the recorder's clock.
  `
  ALTER TABLE findings ADD COLUMN returned_at_ms INTEGER;
  CREATE TABLE media_probes (
    recording_id INTEGER PRIMARY KEY REFERENCES recordings(id),
    probed_at_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('parsed','unparsed','missing')),
    format TEXT,
    duration_ms INTEGER,
    creation_time TEXT,
    creation_time_ms INTEGER,
    error TEXT
  );
  `,
  // 10: replication to the agency store (issue 16). Every change the agency needs is queued in the outbox by a trigger,
  // so it lands in the same transaction as the change itself whoever writes it; one pending item per thing (a later
  // change bumps `gen`, so a transfer that read the older state is not taken as done). Triggers queue only once the
  // dock has been switched to replicate (the row of upstream_state: the daemon writes it, with a backfill of what was
  // stored before, when it starts with `upstream` configured). upstream_objects is what the store confirmed (HEAD
  // after upload): the retention purge of a file waits until its row is there.
  `
  CREATE TABLE upstream_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enabled_at_ms INTEGER NOT NULL,
    last_success_at_ms INTEGER,
    last_error TEXT,
    last_error_at_ms INTEGER
  );
  CREATE TABLE upstream_outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('object','row')),
    entity TEXT NOT NULL,
    ref TEXT NOT NULL,
    gen INTEGER NOT NULL DEFAULT 1,
    queued_at_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (kind, entity, ref)
  );
  CREATE INDEX upstream_outbox_due ON upstream_outbox(next_at_ms, id);
  CREATE TABLE upstream_objects (
    key TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    ref TEXT NOT NULL,
    version_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    retain_until_ms INTEGER,
    legal_hold INTEGER NOT NULL DEFAULT 0,
    confirmed_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER
  );
  CREATE INDEX upstream_objects_ref ON upstream_objects(entity, ref);
  CREATE TRIGGER upstream_recordings_ins AFTER INSERT ON recordings BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'object', 'footage', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_recordings_upd AFTER UPDATE ON recordings BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_recordings_lock AFTER UPDATE OF retain_until_ms, purged_at_ms ON recordings BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'object', 'footage', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_flags_ins AFTER INSERT ON recording_flags BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_flags_del AFTER DELETE ON recording_flags BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', OLD.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_confidential_ins AFTER INSERT ON recording_confidential BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_confidential_upd AFTER UPDATE ON recording_confidential BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_confidential_del AFTER DELETE ON recording_confidential BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', OLD.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_holds_ins AFTER INSERT ON holds BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'hold', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_holds_upd AFTER UPDATE ON holds BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'hold', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', hr.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM hold_recordings hr JOIN upstream_state s ON s.id = 1 WHERE hr.hold_id = NEW.id
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'object', 'footage', hr.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM hold_recordings hr JOIN upstream_state s ON s.id = 1 WHERE hr.hold_id = NEW.id
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_hold_recordings_ins AFTER INSERT ON hold_recordings BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'hold', NEW.hold_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'recording', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'object', 'footage', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_tombstones_ins AFTER INSERT ON tombstones BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'tombstone', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'object', 'footage', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_tombstones_upd AFTER UPDATE ON tombstones BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'tombstone', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'object', 'footage', NEW.recording_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_manifests_ins AFTER INSERT ON manifests BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'object', 'manifest', NEW.session_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_officers_ins AFTER INSERT ON officers BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'officer', NEW.officer_no, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_officers_upd AFTER UPDATE ON officers BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'officer', NEW.officer_no, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_devices_ins AFTER INSERT ON devices BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'device', NEW.serial, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_devices_upd AFTER UPDATE ON devices BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'device', NEW.serial, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_findings_ins AFTER INSERT ON findings BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'finding', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_findings_upd AFTER UPDATE ON findings BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'finding', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_access_register_ins AFTER INSERT ON access_register BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'access', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_access_register_upd AFTER UPDATE ON access_register BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'access', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_sessions_ins AFTER INSERT ON sessions BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'session', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_sessions_upd AFTER UPDATE ON sessions BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'session', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_checkouts_ins AFTER INSERT ON checkouts BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'checkout', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_checkouts_upd AFTER UPDATE ON checkouts BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'checkout', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  CREATE TRIGGER upstream_retention_decisions_ins AFTER INSERT ON retention_decisions BEGIN
  INSERT INTO upstream_outbox (kind, entity, ref, queued_at_ms) SELECT 'row', 'retention_decision', NEW.id, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM upstream_state WHERE id = 1
    ON CONFLICT (kind, entity, ref) DO UPDATE SET gen = gen + 1;
  END;
  `,
  // 11: oversight (issue 17). Spot-checks (004 §17, R13): each draw keeps its seed, the audit head and the inputs it
  // was derived from, so anyone can re-run it; the sampled recordings with the reviewer's score per checklist item.
  // The unit and officer of each sampled recording are kept as they were at the draw (a unit's last review). The
  // yearly report's exports (R14): the reminder from 1 January stops once last year's report has been exported.
  `
  CREATE TABLE spot_checks (
    id INTEGER PRIMARY KEY,
    drawn_by TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    drawn_at_ms INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    audit_head TEXT NOT NULL,
    seed TEXT NOT NULL,
    inputs_json TEXT NOT NULL,
    candidates INTEGER NOT NULL,
    candidates_sha256 TEXT NOT NULL,
    reviewer TEXT,
    completed_at_ms INTEGER
  );
  CREATE INDEX spot_checks_reviewer ON spot_checks(reviewer, id);
  CREATE TABLE spot_check_recordings (
    spot_check_id INTEGER NOT NULL REFERENCES spot_checks(id),
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    position INTEGER NOT NULL,
    officer_no TEXT,
    unit_no TEXT,
    scored_by TEXT,
    scored_at TEXT,
    scored_at_ms INTEGER,
    items_json TEXT,
    comment TEXT,
    passed INTEGER,
    failed INTEGER,
    PRIMARY KEY (spot_check_id, recording_id)
  ) WITHOUT ROWID;
  CREATE INDEX spot_check_recordings_unit ON spot_check_recordings(unit_no, scored_at_ms);
  CREATE INDEX spot_check_recordings_scored ON spot_check_recordings(scored_at_ms);
  CREATE TABLE report_exports (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('json','csv')),
    exported_by TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    exported_at_ms INTEGER NOT NULL
  );
  CREATE INDEX report_exports_year ON report_exports(year, exported_at_ms);
  `,
  // 12 (issue 18): a flag search for what a docking found (clock drift, a missing file, an interruption) finds the
  // recordings of that docking: the findings name the session, this index finds its recordings.
  `
  CREATE INDEX recordings_session ON recordings(session_id);
  `,
  // 13 (issue 19, searches at a million recordings): a search by what a docking found read every recording of every
  // docking with such a finding and sorted them all (drift on 3 % of dockings: some 30,000 recordings, 114 ms). The
  // recordings each docking's finding concerns are kept with their sort key, written by triggers whoever raises the
  // finding or stores the recording (a docking raises some before its files are stored), so the search reads them
  // newest first, as it reads a flag. The kinds are those of DOCKING_FINDINGS (daemon/ledger/recordings.ts; a test
  // holds the two together). And a recorder's or an officer's search with a flag walked all their recordings, two
  // thirds of them purged, reading each row (31 ms): these indexes hold only the live ones, in sort order.
  `
  CREATE INDEX recordings_live_serial ON recordings(serial, sort_ms) WHERE purged_at_ms IS NULL;
  CREATE INDEX recordings_live_officer ON recordings(officer_no, sort_ms) WHERE purged_at_ms IS NULL;
  CREATE TABLE docking_finding_recordings (
    kind TEXT NOT NULL,
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    sort_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, recording_id)
  ) WITHOUT ROWID;
  CREATE INDEX docking_finding_recordings_sort ON docking_finding_recordings(kind, sort_ms, recording_id);
  CREATE INDEX findings_session ON findings(session_id, kind);
  INSERT OR IGNORE INTO docking_finding_recordings (kind, recording_id, sort_ms)
    SELECT f.kind, r.id, r.sort_ms FROM findings f JOIN recordings r ON r.session_id = f.session_id OR r.id = f.recording_id
    WHERE f.kind IN ('drift', 'seq_missing', 'interrupted', 'gap');
  CREATE TRIGGER findings_docking_recordings AFTER INSERT ON findings WHEN NEW.kind IN ('drift', 'seq_missing', 'interrupted', 'gap') BEGIN
    INSERT OR IGNORE INTO docking_finding_recordings (kind, recording_id, sort_ms)
      SELECT NEW.kind, r.id, r.sort_ms FROM recordings r WHERE r.session_id = NEW.session_id OR r.id = NEW.recording_id;
  END;
  CREATE TRIGGER recordings_docking_findings AFTER INSERT ON recordings BEGIN
    INSERT OR IGNORE INTO docking_finding_recordings (kind, recording_id, sort_ms)
      SELECT f.kind, NEW.id, NEW.sort_ms FROM findings f WHERE f.session_id = NEW.session_id AND f.kind IN ('drift', 'seq_missing', 'interrupted', 'gap');
  END;
  `,
  // 14 (issue 19): whom a recorder is checked out to (every device page, each row of the recorders' list) walked all
  // of its ~1000 checkouts to find none open, about 2 ms each at a million recordings: open ones are few, indexed alone.
  `
  CREATE INDEX checkouts_open ON checkouts(serial, out_at_ms) WHERE in_at_ms IS NULL;
  `,
];
