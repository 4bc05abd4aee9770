/**
 * The recordings search and the device ledger's period contents at scale: a flag search walks the flag's
 * own index newest first (a rare flag must not scan the whole table), paging seeks to its cursor, and period
 * contents find recordings by checkout through an index. Behaviour is checked against a plain filter over
 * every row; the plans are checked with EXPLAIN QUERY PLAN, so a lost index fails here, not in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../../daemon/ledger/index.js';
import { MIGRATIONS } from '../../../daemon/ledger/migrations.js';
import { PERIOD_WHERE } from '../../../daemon/ledger/periods.js';
import { sortMsOf, type NewRecording, type Recording } from '../../../daemon/ledger/recordings.js';

let dir: string;
const file = () => join(dir, 'l.sqlite');
const open = () => Ledger.open(file(), (ms) => new Date(ms).toISOString());
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-search-'));
};

const T0 = Date.parse('2026-03-02T00:00:00Z');
const FLAGS = ['late_offload', 'hash_mismatch', 'no_checkout'];

/** Recording i: start times shuffled against ids (so id order is not time order), some without a corrected time. */
function rec(i: number, sessionId: string): NewRecording & { flags: string[] } {
  const start = T0 + ((i * 7919) % 97) * 60_000;
  const corrected = i % 5 === 0 ? null : start;
  const flags = FLAGS.filter((_, k) => (i + k) % (k + 2) === 0 && (k !== 1 || i % 13 === 0));
  return {
    serial: `SN00000${i % 3}`,
    seq: i,
    name: `f${i}.mp4`,
    devicePath: `DCIM/f${i}.mp4`,
    storedPath: `footage/f${i}.mp4`,
    size: 1000 + i,
    sha256: i.toString(16).padStart(64, '0'),
    deviceSha256: null,
    fileFlags: 0,
    recordedStart: null,
    recordedStartMs: i % 10 === 0 ? null : start + 500,
    correctedStart: null,
    correctedStartMs: corrected,
    driftMs: null,
    driftUncertaintyMs: null,
    durationMs: 1000,
    offloadedAt: 'x',
    offloadedAtMs: T0 + 86_400_000 + (i % 4) * 1000,
    delayMs: null,
    sessionId,
    officerNo: i % 2 ? '100001' : '100002',
    unitNo: null,
    checkoutId: null,
    retainUntil: 'x',
    retainUntilMs: T0 + 1e10,
    flags,
  };
}

function seed(l: Ledger, n: number): Recording[] {
  l.tx(() => {
    l.sessions.create('S1', '/dev/x', T0);
    for (let i = 1; i <= n; i++) l.recordings.insert(rec(i, 'S1'));
    // Purged recordings never show.
    l.rawForTests().prepare('UPDATE recordings SET purged_at_ms = 1 WHERE seq % 11 = 0').run();
  });
  return l.recordings.all();
}

/** What a search must answer: the plain definition over every row. */
const expected = (all: Recording[], pred: (r: Recording) => boolean) =>
  all
    .filter((r) => r.purgedAtMs === null && pred(r))
    .sort((a, b) => sortMsOf(b) - sortMsOf(a) || b.id - a.id)
    .map((r) => r.id);

/** Every page of a search, following the cursor as the console does. */
function allPages(l: Ledger, q: Parameters<Ledger['recordings']['query']>[0]): number[] {
  const out: number[] = [];
  let after: { sortMs: number; id: number } | undefined;
  for (;;) {
    const rows = l.recordings.query({ ...q, ...(after ? { after } : {}) });
    out.push(...rows.map((r) => r.id));
    if (rows.length < q.limit) return out;
    const last = rows[rows.length - 1]!;
    after = { sortMs: sortMsOf(last), id: last.id };
  }
}

describe('recordings search by flag', () => {
  it('answers the flagged live recordings newest first, page by page, with and without a time range', () => {
    fresh();
    const l = open();
    const all = seed(l, 200);
    for (const flag of FLAGS) {
      const want = expected(all, (r) => r.flags.includes(flag));
      expect(want.length).toBeGreaterThan(0);
      expect(l.recordings.query({ flag, limit: 1000 }).map((r) => r.id)).toEqual(want);
      expect(allPages(l, { flag, limit: 3 })).toEqual(want);
      const fromMs = T0 + 20 * 60_000;
      const toMs = T0 + 60 * 60_000;
      expect(allPages(l, { flag, fromMs, toMs, limit: 4 })).toEqual(expected(all, (r) => r.flags.includes(flag) && sortMsOf(r) >= fromMs && sortMsOf(r) < toMs));
      // With an officer the officer's index leads; the answer is the same definition.
      expect(allPages(l, { flag, officerNo: '100001', limit: 5 })).toEqual(expected(all, (r) => r.flags.includes(flag) && r.officerNo === '100001'));
    }
    // Paging without a flag seeks to the cursor and still returns every live recording once.
    expect(allPages(l, { limit: 7 })).toEqual(expected(all, () => true));
    l.close();
  });

  it('finds a flag added after the recording was stored, in its place by time', () => {
    fresh();
    const l = open();
    const all = seed(l, 40);
    const target = all.find((r) => r.purgedAtMs === null && !r.flags.includes('wrong_officer'))!;
    l.recordings.addFlag(target.id, 'wrong_officer');
    l.recordings.addFlag(all[0]!.id, 'wrong_officer');
    const again = l.recordings.all();
    expect(l.recordings.query({ flag: 'wrong_officer', limit: 10 }).map((r) => r.id)).toEqual(expected(again, (r) => r.flags.includes('wrong_officer')));
    l.close();
  });

  it('walks the flag index in order: no scan of recordings, no sort', () => {
    fresh();
    const l = open();
    seed(l, 20);
    for (const q of [{ flag: 'hash_mismatch', limit: 101 }, { flag: 'hash_mismatch', limit: 101, fromMs: 1, toMs: 2 }, { flag: 'hash_mismatch', limit: 101, after: { sortMs: 5, id: 3 } }]) {
      const plan = l.recordings.planOf(q).join('\n');
      expect(plan).toMatch(/SEARCH fl USING COVERING INDEX recording_flags_flag_sort \(flag=\?/);
      expect(plan).not.toMatch(/SCAN r\b/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
    expect(l.recordings.planOf({ limit: 101, after: { sortMs: 5, id: 3 } }).join('\n')).toMatch(/SEARCH r USING INDEX recordings_sort \(sort_ms<\?\)/);
    l.close();
  });

  it("with a recorder or an officer, walks only their live recordings (issue 19: two thirds of a ledger's rows are purged), and answers as the plain definition", () => {
    fresh();
    const l = open();
    const all = seed(l, 200);
    for (const flag of FLAGS) {
      expect(allPages(l, { flag, serial: 'SN000001', limit: 4 })).toEqual(expected(all, (r) => r.flags.includes(flag) && r.serial === 'SN000001'));
      expect(allPages(l, { flag, officerNo: '100002', limit: 4 })).toEqual(expected(all, (r) => r.flags.includes(flag) && r.officerNo === '100002'));
    }
    for (const [q, index] of [
      [{ serial: 'SN000001' }, 'recordings_live_serial'],
      [{ officerNo: '100001' }, 'recordings_live_officer'],
    ] as const) {
      for (const extra of [{ flag: 'hash_mismatch' }, { flag: 'drift' }, { fromMs: 1, toMs: 2 }, { after: { sortMs: 5, id: 3 } }]) {
        const plan = l.recordings.planOf({ ...q, ...extra, limit: 101 }).join('\n');
        expect(plan, JSON.stringify(extra)).toMatch(new RegExp(`SEARCH r USING INDEX ${index} \\((serial|officer_no)=\\?`));
        expect(plan).not.toMatch(/TEMP B-TREE/);
      }
      // A search that asks for purged recordings too walks the index of them all.
      expect(l.recordings.planOf({ ...q, includePurged: true, limit: 101 }).join('\n')).not.toMatch(/recordings_live_/);
    }
    l.close();
  });

  it('fills the sort key of flags stored before migration 4', () => {
    fresh();
    const db = new Database(file());
    for (let v = 0; v < 3; v++) db.exec(MIGRATIONS[v]!);
    db.pragma('user_version = 3');
    db.prepare("INSERT INTO sessions (id, port_path, started_at_ms) VALUES ('S1', '/dev/x', 0)").run();
    const ins = db.prepare(
      `INSERT INTO recordings (serial, seq, name, device_path, stored_path, size, sha256, duration_ms, offloaded_at, offloaded_at_ms, corrected_start_ms, session_id, retain_until, retain_until_ms)
       VALUES ('SN1', ?, 'n', 'd', ?, 1, ?, 1, 'x', 5, ?, 'S1', 'x', 9)`,
    );
    for (let i = 1; i <= 3; i++) {
      const id = ins.run(i, `p${i}`, String(i), i === 2 ? null : 1000 * i).lastInsertRowid;
      db.prepare("INSERT INTO recording_flags (recording_id, flag) VALUES (?, 'late_offload')").run(id);
    }
    db.close();
    const l = open();
    expect(l.rawForTests().prepare('SELECT recording_id AS id, sort_ms AS s FROM recording_flags ORDER BY recording_id').all()).toEqual([
      { id: 1, s: 1000 },
      { id: 2, s: 5 },
      { id: 3, s: 3000 },
    ]);
    expect(l.recordings.query({ flag: 'late_offload', limit: 10 }).map((r) => r.id)).toEqual([3, 1, 2]);
    l.close();
  });
});

describe('checkout period contents', () => {
  it('look recordings up by checkout through its index, never scanning the table', () => {
    fresh();
    const l = open();
    const plan = (l.rawForTests().prepare(`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM recordings r WHERE ${PERIOD_WHERE}`).all({ id: 1, serial: 'SN1', outMs: 0, inMs: 1 }) as { detail: string }[])
      .map((r) => r.detail)
      .join('\n');
    expect(plan).toMatch(/recordings_checkout \(checkout_id=\?\)/);
    expect(plan).not.toMatch(/SCAN r\b/);
    l.close();
  });
});
