import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../daemon/ledger/migrations.js';
import { Ledger } from '../../daemon/ledger/index.js';
import { toIsoInZone } from '../../daemon/policy/time-format.js';
import { T0, ZONE, addOfficers, addRecording, makeMp4, type Harness } from '../helpers/console.js';
import { buildRetention, type RetentionHarness } from '../integration/retention/harness.js';

/**
 * Attack 8 of issue 13: derived copies are footage too. Before, a thumbnail was a look at footage that left no
 * trace, an archive image download was audited but not registered against the recordings it holds, a purge
 * left the recording's thumbnail and any archive image holding it on the dock, and the signed manifests (which
 * list recordings) were readable by the administrator, who may see no footage.
 */

const DAY = 86_400_000;
let h: RetentionHarness;
let a: number;
let b: number;
beforeEach(async () => {
  h = await buildRetention();
  addOfficers(h.base);
  const mp4 = makeMp4();
  a = addRecording(h.base, { seq: 1, officerNo: '100001', file: mp4 });
  b = addRecording(h.base, { seq: 2, officerNo: '100002', file: mp4 });
  await h.sign([a, b]);
});
afterEach(async () => h?.close());

const thumbs = () => (existsSync(join(h.base.dataDir, 'cache', 'thumbnails')) ? readdirSync(join(h.base.dataDir, 'cache', 'thumbnails')) : []);

describe('attack: derived copies of footage', () => {
  it('a thumbnail is a look on the access register and in the audit trail', async () => {
    const res = await h.req('GET', `/api/recordings/${a}/thumbnail`, { as: 'sup1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    const entries = h.base.ledger.access.list({ recordingId: a, limit: 10 });
    expect(entries.map((e) => [e.kind, e.username, e.ground])).toEqual([['thumbnail', 'sup1', 'oversight']]);
    expect(h.base.ledger.audit.list({ limit: 5, action: 'recording.thumbnail_viewed' }).map((e) => e.subject)).toEqual([String(a)]);
    // The thumbnails of one page view are one look, as a playback's Range requests are one view.
    await h.req('GET', `/api/recordings/${a}/thumbnail`, { as: 'sup1' });
    expect(h.base.ledger.access.list({ recordingId: a, limit: 10 })).toHaveLength(1);
  });

  it('an archive image download is a copy of every recording it holds, registered on the ground of the hold', async () => {
    const hold = (await h.req('POST', '/api/holds', { as: 'legal1', body: { recordingIds: [a, b], reason: 'dispute', caseRef: 'C-7' } })).json();
    const arc = (await h.req('POST', `/api/holds/${hold.id}/archive`, { as: 'legal1', body: { title: 'disc' } })).json();
    expect((await h.req('GET', `/api/archives/${arc.id}/1`, { as: 'sup1' })).statusCode).toBe(200);
    const copies = h.base.ledger.access.list({ kind: 'archive', limit: 10 });
    expect(copies.map((e) => [e.recordingId, e.username, e.ground]).sort()).toEqual([
      [a, 'sup1', `hold/${hold.id}`],
      [b, 'sup1', `hold/${hold.id}`],
    ]);
    const audit = h.base.ledger.audit.list({ limit: 1, action: 'archive.downloaded' })[0]!;
    expect((audit.detail as { accessIds: number[] }).accessIds.sort()).toEqual(copies.map((c) => c.id).sort());
  });

  it('a purge removes every derived copy on the dock: thumbnails and the archive images holding the file', async () => {
    const hold = (await h.req('POST', '/api/holds', { as: 'legal1', body: { recordingIds: [a], reason: 'dispute', caseRef: 'C-8' } })).json();
    const arc = (await h.req('POST', `/api/holds/${hold.id}/archive`, { as: 'legal1', body: { title: 'disc' } })).json();
    expect((await h.req('GET', `/api/recordings/${a}/thumbnail`, { as: 'sup1' })).statusCode).toBe(200);
    expect((await h.req('GET', `/api/recordings/${b}/thumbnail`, { as: 'sup1' })).statusCode).toBe(200);
    expect(thumbs()).toHaveLength(2);
    const thumbA = thumbs().find((n) => n.startsWith(`${a}-`))!;
    const images = arc.images.map((i: { name: string }) => join(h.base.dataDir, 'archives', arc.id, i.name));
    for (const p of images) expect(existsSync(p)).toBe(true);

    expect((await h.req('POST', `/api/holds/${hold.id}/release`, { as: 'legal1', body: { reason: 'case closed' } })).statusCode).toBeLessThan(300);
    h.advance(400 * DAY);
    const res = await h.req('POST', '/api/retention/purge', { as: 'em1', body: { ids: [a], reason: 'past retention' } });
    expect(res.json()).toEqual({ purged: [a], refused: [] });

    expect(thumbs().filter((n) => n.startsWith(`${a}-`))).toEqual([]);
    expect(thumbs().filter((n) => n.startsWith(`${b}-`))).toHaveLength(1); // b's stays: b was not purged
    for (const p of images) expect(existsSync(p), p).toBe(false);
    const purged = h.base.ledger.audit.list({ limit: 1, action: 'recording.purged' })[0]!;
    expect((purged.detail as { derivedCopiesRemoved: string[] }).derivedCopiesRemoved.sort()).toEqual(
      [join('archives', arc.id, `${arc.id}-1.iso`), join('archives', arc.id, `${arc.id}-2.iso`), join('cache', 'thumbnails', thumbA)].sort(),
    );
    expect((await h.req('GET', `/api/archives/${arc.id}/1`, { as: 'sup1' })).statusCode).toBe(404);
  });

  it('the signed manifests are recording metadata: searchers read them, the administrator does not, an officer only their own', async () => {
    const own = h.base.ledger.recordings.get(a)!.manifestSessionId!;
    for (const [who, status] of [
      ['admin1', 403],
      ['aud1', 200],
      ['em1', 200],
      ['sup1', 200],
    ] as const) {
      expect((await h.req('GET', `/api/manifests/${own}`, { as: who })).statusCode, who).toBe(status);
      expect((await h.req('GET', `/api/manifests/${own}/sig`, { as: who })).statusCode, who).toBe(status);
    }
    // The manifest signed both officers' recordings: neither officer reads it alone.
    expect((await h.req('GET', `/api/manifests/${own}`, { as: '100001' })).statusCode).toBe(403);
    const mine = addRecording(h.base, { seq: 3, officerNo: '100001', file: makeMp4() });
    await h.sign([mine]);
    const session = h.base.ledger.recordings.get(mine)!.manifestSessionId!;
    expect((await h.req('GET', `/api/manifests/${session}`, { as: '100001' })).statusCode).toBe(200);
    expect((await h.req('GET', `/api/manifests/${session}`, { as: '100002' })).statusCode).toBe(403);
    expect((await h.req('GET', '/api/keys/dock.pub.pem', { as: 'admin1' })).statusCode).toBe(200);
  });
});

describe('ledger migration 7 on a populated ledger of the version before it', () => {
  it('keeps every register row, finds the recordings of archives made before it, and takes the new kinds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwc-mig7-'));
    const file = join(dir, 'ledger.sqlite');
    const iso = (ms: number) => toIsoInZone(ms, ZONE);
    const seven = MIGRATIONS.findIndex((m) => m.includes('access_register_v7'));
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    MIGRATIONS.slice(0, seven).forEach((m, v) => {
      db.exec(m);
      db.pragma(`user_version = ${v + 1}`);
    });
    const old = new Ledger(db, iso);
    const fake = { ledger: old, clock: { t: T0 }, dataDir: dir } as unknown as Harness;
    addOfficers(fake);
    const mp4 = makeMp4();
    const r1 = addRecording(fake, { seq: 1, officerNo: '100001', file: mp4 });
    const r2 = addRecording(fake, { seq: 2, officerNo: '100002', file: mp4 });
    old.access.recordView({ recordingId: r1, username: 'sup1', role: 'supervisor', ground: 'oversight', playbackKey: 'k', atMs: T0, at: iso(T0), windowMs: 1000 });
    db.prepare("INSERT INTO archives (id, hold_id, case_ref, title, created_by, created_at, created_at_ms, files, bytes, images_json) VALUES ('ARC1', NULL, 'C-1', 't', 'legal1', ?, ?, 2, 10, '[]')").run(iso(T0), T0);
    old.tx(() => old.audit.append(T0, 'legal1', 'archive.created', 'archive/ARC1', { recordingIds: [r1, r2] }));
    const before = old.access.list({ limit: 10 });
    db.close();

    const now = Ledger.open(file, iso);
    try {
      expect(now.rawForTests().pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(now.access.list({ limit: 10 })).toEqual(before);
      expect(now.archives.recordingIds('ARC1')).toEqual([r1, r2]);
      expect(now.archives.holding(r2).map((x) => x.id)).toEqual(['ARC1']);
      expect(now.access.recordView({ kind: 'thumbnail', recordingId: r2, username: 'sup1', role: 'supervisor', ground: 'oversight', playbackKey: 'k', atMs: T0, at: iso(T0), windowMs: 1000 }).created).toBe(true);
      expect(now.access.recordCopy({ kind: 'archive', recordingId: r2, username: 'sup1', role: 'supervisor', ground: 'hold/1', atMs: T0, at: iso(T0) }).kind).toBe('archive');
      expect(now.rawForTests().pragma('foreign_key_check')).toEqual([]);
    } finally {
      now.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
