/**
 * Issue 13 item 9: the audit trail is anchored in the signed manifests, and the ledger answers to them.
 * An attacker with the SQLite file (root on the dock, a stolen disk put back) rewrites the trail or a recording's
 * row; `bwc-dock verify` and `/api/audit/verify` must name what was changed.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../daemon/cli.js';
import { ManifestChain } from '../../daemon/ingest/chain.js';
import { loadOrCreateDockKey } from '../../daemon/ingest/keys.js';
import { realStorage } from '../../daemon/ingest/storage.js';
import { build } from '../helpers/console.js';
import { toManifestEntry } from '../../daemon/dock/session.js';
import { verifyAuditTrail, verifyDataDir } from '../../daemon/ingest/verify.js';
import { AUDIT_GENESIS } from '../../daemon/ledger/audit.js';
import { retainUntil } from '../../daemon/policy/retention.js';
import { at, fixture, iso, ZONE, type Fixture } from '../unit/retention/fixture.js';

let f: Fixture;
afterEach(() => f?.close());

const T0 = at('2026-12-01T09:00:00+08:00');

/** A recording signed the way the dock signs it: its manifest entry made from the ledger row (session.ts). */
async function signedRecording(seq: number, startMs: number, officerNo = '100001'): Promise<number> {
  const id = await f.addRecording({ seq, startMs, signed: false, officerNo });
  const r = f.ledger.recordings.get(id)!;
  await f.chain.append(
    {
      kind: 'docking',
      dockId: 'dock-test',
      sessionId: r.sessionId,
      createdAt: iso(f.clock.t),
      result: 'ok',
      device: { serial: r.serial, idCode: 'AB123', officerNo, officerName: '张伟', unitNo: 'U01' },
      clock: { deviceTime: null, dockTime: null, driftMs: 0, dockSynced: true, clockSet: true },
      files: [toManifestEntry(r)],
    },
    'dock',
    () => f.ledger.recordings.markSigned([id], r.sessionId),
  );
  return id;
}

/** What the attacker does with the file: drop the append-only triggers, run `sql`, and recompute every hash after. */
function rewriteAudit(file: string, sql: (db: Database.Database) => void): void {
  const db = new Database(file);
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  sql(db);
  let prev = AUDIT_GENESIS;
  const rows = db.prepare('SELECT * FROM audit ORDER BY id').all() as { id: number; at_ms: number; actor: string; action: string; subject: string | null; detail: string }[];
  const upd = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?');
  for (const r of rows) {
    const hash = createHash('sha256').update(prev).update('\n').update(JSON.stringify([r.at_ms, r.actor, r.action, r.subject, r.detail])).digest('hex');
    upd.run(prev, hash, r.id);
    prev = hash;
  }
  db.close();
}

function tamper(file: string, sql: string, ...args: unknown[]): void {
  const db = new Database(file);
  db.prepare(sql).run(...args);
  db.close();
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) };
  const code = await main(args, { stdout: sink, stderr: sink });
  return { code, out };
}

const errorsOf = (r: { findings: { level: string; what: string }[] }) => r.findings.filter((x) => x.level === 'error').map((x) => x.what);
const ledgerFile = () => join(f.dataDir, 'ledger.sqlite');
const retention = { months: 10, timezone: ZONE };

describe('the audit trail is anchored in the signed manifests', () => {
  it('a trail rewritten with every hash recomputed passes the chain check, and is named by its anchors', async () => {
    f = await fixture(T0);
    await signedRecording(1, at('2026-11-01T10:00:00+08:00'));
    f.ledger.audit.append(T0, 'admin1', 'user.added', 'mallory', { role: 'supervisor' });
    const second = await signedRecording(2, at('2026-11-02T10:00:00+08:00'));
    const secondSession = f.ledger.recordings.get(second)!.sessionId;
    await signedRecording(3, at('2026-11-03T10:00:00+08:00'));
    expect((await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention })).ok).toBe(true);

    // Hide who made mallory a supervisor.
    rewriteAudit(ledgerFile(), (db) => db.prepare("UPDATE audit SET actor = 'dock', detail = ? WHERE action = 'user.added'").run(JSON.stringify({ role: 'auditor' })));
    expect(f.ledger.audit.verify().ok).toBe(true); // the chain alone cannot see it

    const api = verifyAuditTrail(f.dataDir, f.ledger.audit);
    expect(api.ok).toBe(false);
    expect(api.anchorProblems).toEqual(expect.arrayContaining([expect.stringContaining(`manifest ${secondSession}`)]));

    const report = await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention });
    expect(report.ok).toBe(false);
    expect(errorsOf(report)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`audit trail: manifest ${secondSession}: its auditHead .* is no entry`))]));

    const r = await cli(['verify', '--data', f.dataDir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`FAIL  audit trail: manifest ${secondSession}`));
  });

  it('a trail cut short (entries deleted, the rest rechained) is named', async () => {
    f = await fixture(T0);
    await signedRecording(1, at('2026-11-01T10:00:00+08:00'));
    await signedRecording(2, at('2026-11-02T10:00:00+08:00'));
    rewriteAudit(ledgerFile(), (db) => db.prepare('DELETE FROM audit WHERE id = (SELECT MIN(id) FROM audit)').run());
    expect(f.ledger.audit.verify().ok).toBe(true);
    const report = await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention });
    expect(errorsOf(report).some((e) => /audit trail: manifest .*: its auditHead/.test(e))).toBe(true);
    expect(verifyAuditTrail(f.dataDir, f.ledger.audit).ok).toBe(false);
  });

  it('an untouched trail with entries after the last manifest passes, and says how much is anchored', async () => {
    f = await fixture(T0);
    await signedRecording(1, at('2026-11-01T10:00:00+08:00'));
    f.ledger.audit.append(T0, 'sup1', 'hold.placed', '1', {});
    await signedRecording(2, at('2026-11-02T10:00:00+08:00'));
    f.ledger.audit.append(T0, 'sup1', 'hold.released', '1', {});
    const api = verifyAuditTrail(f.dataDir, f.ledger.audit);
    expect(api).toMatchObject({ ok: true, anchors: 2, anchorProblems: [] });
    expect(api.anchoredEntries).toBe(api.entries - 2); // the last manifest.signed and the release are not yet anchored
    const r = await cli(['verify', '--data', f.dataDir]);
    expect(r.out).toMatch(/^OK: 2 manifests/m);
    expect(r.code).toBe(0);
  });
});

describe('GET /api/audit/verify checks the anchors', () => {
  it('names the manifest whose anchor a rewritten trail lost', async () => {
    const h = await build();
    try {
      const { key } = await loadOrCreateDockKey(realStorage, h.dataDir);
      const chain = new ManifestChain(h.dataDir, h.ledger, realStorage, key);
      const sign = (sessionId: string) => chain.append({ kind: 'purge', dockId: 'dock-test', sessionId, createdAt: iso(T0), tombstones: [] }, 'dock', () => undefined);
      await sign('purge-1');
      h.ledger.audit.append(T0, 'admin1', 'user.added', 'mallory', { role: 'supervisor' });
      await sign('purge-2');
      let v = (await h.req('GET', '/api/audit/verify', { as: 'aud1' })).json();
      expect(v).toMatchObject({ ok: true, anchors: 2, anchorProblems: [] });

      rewriteAudit(join(h.dataDir, 'ledger.sqlite'), (db) => db.prepare("UPDATE audit SET actor = 'dock' WHERE action = 'user.added'").run());
      expect(h.ledger.audit.verify().ok).toBe(true);
      const res = await h.req('GET', '/api/audit/verify', { as: 'aud1' });
      expect(res.statusCode).toBe(200);
      v = res.json();
      expect(v.ok).toBe(false);
      expect(v.anchorProblems).toEqual([expect.stringMatching(/^manifest purge-2: its auditHead .* is no entry of the audit trail/)]);
    } finally {
      await h.close();
    }
  });
});

describe('the ledger answers to the manifests', () => {
  it('an officer changed in the ledger file is named', async () => {
    f = await fixture(T0);
    const id = await signedRecording(1, at('2026-11-01T10:00:00+08:00'), '100001');
    tamper(ledgerFile(), 'UPDATE recordings SET officer_no = ? WHERE id = ?', '100002', id);
    const report = await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention });
    expect(errorsOf(report)).toEqual([expect.stringMatching(new RegExp(`ledger recording ${id} \\(SN000001/1\\): officer is "100002" in the ledger, manifest .* signed "100001"`))]);
    const r = await cli(['verify', '--data', f.dataDir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('officer is "100002" in the ledger');
  });

  it.each([
    ['serial', 'UPDATE recordings SET serial = ? WHERE id = ?', 'SN999999', /serial is "SN999999"/],
    ['seq', 'UPDATE recordings SET seq = ? WHERE id = ?', 77, /seq is 77/],
    ['sha256', 'UPDATE recordings SET sha256 = ? WHERE id = ?', 'ab'.repeat(32), /sha256 is "abab/],
    ['size', 'UPDATE recordings SET size = ? WHERE id = ?', 5, /size is 5 in the ledger/],
    ['recorded time', 'UPDATE recordings SET recorded_start = ? WHERE id = ?', '2026-10-01T10:00:00.000+08:00', /recordedStart is "2026-10-01/],
    ['corrected time (number only)', 'UPDATE recordings SET corrected_start_ms = corrected_start_ms - ? WHERE id = ?', 86_400_000, /correctedStart \(as a number\)/],
    ['stored path', 'UPDATE recordings SET stored_path = ? WHERE id = ?', 'footage/elsewhere.mp4', /stored path footage\/elsewhere\.mp4, manifest .* signed footage\/SN000001/],
    ['retention date, shortened', "UPDATE recordings SET retain_until = '2026-12-01T10:00:00.000+08:00', retain_until_ms = ? WHERE id = ?", at('2026-12-01T10:00:00+08:00'), /retention date 2026-12-01T10:00:00\.000\+08:00 is earlier than the signed/],
  ])('a changed %s is named', async (_what, sql, value, message) => {
    f = await fixture(T0);
    const id = await signedRecording(1, at('2026-11-01T10:00:00+08:00'));
    tamper(ledgerFile(), sql, value, id);
    const report = await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention });
    expect(report.ok).toBe(false);
    expect(errorsOf(report).join('\n')).toMatch(message);
  });

  it('a retention date moved later without a "keep longer" decision is named; one set by keep is not', async () => {
    f = await fixture(T0);
    const a = await signedRecording(1, at('2026-11-01T10:00:00+08:00'));
    const b = await signedRecording(2, at('2026-11-02T10:00:00+08:00'));
    const later = at('2030-01-01T00:00:00+08:00');
    f.service().keep([a], 'court case pending', later, 'sup1');
    tamper(ledgerFile(), 'UPDATE recordings SET retain_until = ?, retain_until_ms = ? WHERE id = ?', iso(later), later, b);
    const report = await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention });
    expect(errorsOf(report)).toEqual([expect.stringMatching(new RegExp(`ledger recording ${b} .*no "keep longer" decision sets it`))]);
    expect(report.findings.some((x) => x.level === 'note' && x.what.includes(`ledger recording ${a}`) && x.what.includes('kept longer'))).toBe(true);
  });

  it('for a manifest that does not sign the retention date, the date is derived from the signed start by the rule', async () => {
    f = await fixture(T0);
    const id = await f.addRecording({ seq: 1, startMs: at('2026-01-31T10:00:00+08:00') }); // the fixture's manifest signs no retainUntil
    expect((await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention })).ok).toBe(true);
    const shorter = retainUntil(at('2026-01-31T10:00:00+08:00'), 6, ZONE);
    tamper(ledgerFile(), 'UPDATE recordings SET retain_until = ?, retain_until_ms = ? WHERE id = ?', shorter.iso, shorter.epochMs, id);
    const report = await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention });
    expect(errorsOf(report).join('\n')).toMatch(/retention date 2026-07-31T10:00:00\.000\+08:00 is earlier than the 2026-11-30T10:00:00\.000\+08:00, 10 months from/);
  });

  it('a row a manifest signed, deleted from the ledger, is named', async () => {
    f = await fixture(T0);
    const id = await signedRecording(1, at('2026-11-01T10:00:00+08:00'));
    const r = f.ledger.recordings.get(id)!;
    const db = new Database(ledgerFile());
    db.pragma('foreign_keys = OFF');
    db.prepare('DELETE FROM recording_flags WHERE recording_id = ?').run(id);
    db.prepare('DELETE FROM recordings WHERE id = ?').run(id);
    db.close();
    const report = await verifyDataDir(f.dataDir, { ledgerFile: ledgerFile(), retention });
    expect(errorsOf(report)).toEqual(expect.arrayContaining([`manifest ${r.sessionId} signed ${r.storedPath}, but the ledger has no recording at that path (row deleted, or its path altered)`]));
  });

  it('verify reads the ledger while the daemon has it open (read-only, WAL)', async () => {
    f = await fixture(T0);
    await signedRecording(1, at('2026-11-01T10:00:00+08:00'));
    f.ledger.audit.append(T0, 'sup1', 'x.y', null); // the fixture's connection stays open, with WAL
    const r = await cli(['verify', '--data', f.dataDir]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 ledger rows held to their manifests/);
  });
});
