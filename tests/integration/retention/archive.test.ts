import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DockingManifest } from '../../../daemon/ingest/manifest.js';
import { parseConfig } from '../../../daemon/config.js';
import { createLogger } from '../../../daemon/log.js';
import { ArchiveService } from '../../../daemon/retention/archive/service.js';
import { rotateDockKey } from '../../../daemon/run.js';
import { xorrisoTool, type IsoTool } from '../../../daemon/retention/archive/xorriso.js';
import { at, fixture, type Fixture } from '../../unit/retention/fixture.js';

let f: Fixture;
const tmp: string[] = [];
afterEach(() => {
  f?.close();
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const xorriso = (...args: string[]) => execFileSync('xorriso', ['-no_rc', '-report_about', 'FAILURE', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

async function heldCase() {
  f = await fixture(at('2026-03-02T09:00:00+08:00'));
  f.ledger.officers.upsert({ officerNo: '100001', name: '张伟', unitNo: 'U01', unitName: '环境监察大队一中队' }, f.clock.t);
  const ids = [await f.addRecording({ seq: 1, startMs: at('2026-03-01T10:00:00+08:00') }), await f.addRecording({ seq: 2, startMs: at('2026-03-01T11:00:00+08:00') }), await f.addRecording({ seq: 5, serial: 'SN000002', startMs: at('2026-03-01T12:00:00+08:00') })];
  const hold = await f.service().placeHold({ recordingIds: ids, reason: 'obstruction', caseRef: '舞环罚〔2026〕12号', note: '某厂拒绝检查' }, 'sup1');
  return { ids, hold };
}

describe('archive discs (004 §16: two identical copies, labelled)', () => {
  it('writes two byte-identical ISO 9660 images whose every file (listed with xorriso -find) hashes as the signed manifests say', async () => {
    const { ids, hold } = await heldCase();
    const archives = new ArchiveService(f.deps);
    const a = await archives.create({ holdId: hold.id }, 'sup1');
    expect(a).toMatchObject({ holdId: hold.id, caseRef: '舞环罚〔2026〕12号', title: '某厂拒绝检查', createdBy: 'sup1', files: 3 });
    expect(a.images).toHaveLength(2);
    const dir = join(f.dataDir, 'archives', a.id);
    expect(readdirSync(dir).sort()).toEqual([`${a.id}-1.iso`, `${a.id}-2.iso`]);
    const bytes = a.images.map((i) => readFileSync(join(dir, i.name)));
    expect(bytes[0]!.equals(bytes[1]!)).toBe(true);
    expect(a.images.map((i) => i.sha256)).toEqual([sha(bytes[0]!), sha(bytes[0]!)]);
    expect(statSync(join(dir, a.images[0]!.name)).mode & 0o777).toBe(0o444);

    const recs = ids.map((id) => f.ledger.recordings.get(id)!);
    const sessions = [...new Set(recs.map((r) => r.manifestSessionId!))];
    const expected = [
      'LABEL.txt', 'SHA256SUMS', 'VERIFY.txt', 'keys/dock.pub.pem',
      ...sessions.flatMap((s) => [`manifests/${s}.json`, `manifests/${s}.json.sig`]),
      ...recs.map((r) => r.storedPath),
    ].map((p) => `'/${p}'`).sort();
    for (const im of a.images) {
      const listed = xorriso('-indev', join(dir, im.name), '-find', '/', '-type', 'f').split('\n').filter(Boolean).sort();
      expect(listed).toEqual(expected);
    }
    // Extract the second copy with xorriso and check it against the signed manifests alone.
    const out = mkdtempSync(join(tmpdir(), 'bwc-disc-'));
    tmp.push(out);
    xorriso('-osirrox', 'on', '-indev', join(dir, a.images[1]!.name), '-extract', '/', out);
    for (const s of sessions) {
      const verified = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(out, 'keys/dock.pub.pem'), '-rawin', '-in', join(out, `manifests/${s}.json`), '-sigfile', join(out, `manifests/${s}.json.sig`)], { encoding: 'utf8' });
      expect(verified).toMatch(/Signature Verified Successfully/);
      const m = JSON.parse(readFileSync(join(out, `manifests/${s}.json`), 'utf8')) as DockingManifest;
      for (const file of m.files) expect(sha(readFileSync(join(out, file.storedPath)))).toBe(file.sha256);
    }
    for (const r of recs) expect(sha(readFileSync(join(out, r.storedPath)))).toBe(r.sha256);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' }).trim().split('\n')).toHaveLength(expected.length - 1);
    expect(readFileSync(join(out, 'keys/dock.pub.pem'))).toEqual(readFileSync(join(f.dataDir, 'keys/dock.pub.pem')));

    const label = readFileSync(join(out, 'LABEL.txt'), 'utf8');
    expect(label).toContain('制作单位 Producing unit:        环境监察大队一中队');
    expect(label).toContain('制作人 Producer:                sup1');
    expect(label).toContain('制作时间 Produced at:           2026-03-02T09:00:00.000+08:00');
    expect(label).toContain('执法活动或案件名称 Activity/case: 某厂拒绝检查');
    expect(label).toContain('编号 Case/activity number:      舞环罚〔2026〕12号');
    for (const r of recs) expect(label).toContain(`SHA-256 ${r.sha256}`);
    const verify = readFileSync(join(out, 'VERIFY.txt'), 'utf8');
    expect(verify).toContain('sha256sum -c SHA256SUMS');
    expect(verify).toContain(`openssl pkeyutl -verify -pubin -inkey keys/dock.pub.pem -rawin -in manifests/${sessions[0]}.json -sigfile manifests/${sessions[0]}.json.sig`);

    expect(f.ledger.archives.get(a.id)).toEqual(a);
    expect(f.ledger.audit.list({ limit: 1, action: 'archive.created' })[0]).toMatchObject({ actor: 'sup1', subject: `archive/${a.id}`, detail: expect.objectContaining({ recordingIds: ids, holdId: hold.id }) });
    expect(existsSync(join(f.dataDir, 'footage', 'archives'))).toBe(false);
  });

  it('after a key rotation, ships and names the older key that signed older manifests, and every manifest verifies with openssl', async () => {
    const { hold } = await heldCase();
    const before = readFileSync(join(f.dataDir, 'keys/dock.pub.pem'), 'utf8');
    await rotateDockKey(parseConfig({ dataDir: f.dataDir, dockId: 'dock-test', timezone: 'Asia/Shanghai' }, {}), { log: createLogger({ level: 'silent' }) });
    expect(readFileSync(join(f.dataDir, 'keys/dock.pub.pem'), 'utf8')).not.toBe(before);
    const a = await new ArchiveService(f.deps).create({ holdId: hold.id }, 'sup1'); // before: archive_failed, "does not verify"
    const out = mkdtempSync(join(tmpdir(), 'bwc-disc-'));
    tmp.push(out);
    xorriso('-osirrox', 'on', '-indev', join(f.dataDir, 'archives', a.id, a.images[0]!.name), '-extract', '/', out);
    const commands = readFileSync(join(out, 'VERIFY.txt'), 'utf8').split('\n').filter((l) => l.includes('openssl pkeyutl'));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) {
      const args = c.trim().split(/\s+/).slice(1);
      expect(args[args.indexOf('-inkey') + 1]).toMatch(/^keys\/dock-[0-9a-f]{16}\.pub\.pem$/);
      expect(execFileSync('openssl', args, { cwd: out, encoding: 'utf8' })).toMatch(/Signature Verified Successfully/);
    }
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' })).not.toMatch(/FAILED/);
  });

  it('by case number, with the label title and unit given; each export is an archive of its own; downloads are audited', async () => {
    const { hold } = await heldCase();
    const archives = new ArchiveService(f.deps);
    const a = await archives.create({ caseRef: hold.caseRef, title: '某厂环境违法案', unit: '舞钢市环境保护局' }, 'legal1');
    const b = await archives.create({ caseRef: hold.caseRef, title: '某厂环境违法案', unit: '舞钢市环境保护局' }, 'legal1');
    expect(a.title).toBe('某厂环境违法案');
    expect(a.images[0]!.sha256).not.toBe(b.images[0]!.sha256); // different archive id on the label
    expect(archives.openImage(a.id, 2, { username: 'legal1', role: 'legal' }).sha256).toBe(a.images[1]!.sha256);
    expect(f.ledger.audit.list({ limit: 1, action: 'archive.downloaded' })[0]).toMatchObject({ actor: 'legal1', detail: { image: a.images[1]!.name, sha256: a.images[1]!.sha256 } });
    expect(() => archives.openImage(a.id, 3, { username: 'legal1', role: 'legal' })).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('keeps nothing and says why when the copies differ or a stored file was altered', async () => {
    const { hold, ids } = await heldCase();
    const real = xorrisoTool();
    let n = 0;
    // A tool whose second run writes a different volume id: the images differ.
    const flaky: IsoTool = { ...real, build: (img, e, volid, d) => real.build(img, e, ++n === 2 ? `${volid}X`.slice(-32) : volid, d) };
    await expect(new ArchiveService(f.deps, flaky).create({ holdId: hold.id }, 'sup1')).rejects.toMatchObject({ code: 'archive_failed', message: expect.stringMatching(/differ/) });
    expect(readdirSync(join(f.dataDir, 'archives'))).toEqual([]);

    const p = join(f.dataDir, f.ledger.recordings.get(ids[1]!)!.storedPath);
    rmSync(p);
    execFileSync('sh', ['-c', `printf tampered > '${p}'`]);
    await expect(new ArchiveService(f.deps).create({ holdId: hold.id }, 'sup1')).rejects.toMatchObject({ code: 'archive_failed', message: expect.stringMatching(/altered/) });
    expect(readdirSync(join(f.dataDir, 'archives'))).toEqual([]);
    expect(f.ledger.archives.list({ limit: 10 })).toEqual([]);
  });

  it('refuses a released hold, an unknown case, footage that awaits its signed manifest, and a disk without room', async () => {
    const { hold } = await heldCase();
    const full = new ArchiveService({ ...f.deps, ops: { ...f.ops, freeBytes: async () => 50 << 20 } }, xorrisoTool(), 30 << 20);
    await expect(full.create({ holdId: hold.id }, 'sup1')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/not enough free space/) });
    const svc = f.service();
    const archives = new ArchiveService(f.deps);
    await expect(archives.create({ caseRef: 'nope' }, 'sup1')).rejects.toMatchObject({ code: 'not_found' });
    await expect(archives.create({}, 'sup1')).rejects.toMatchObject({ code: 'invalid' });
    const unsigned = await f.addRecording({ seq: 9, startMs: at('2026-03-01T13:00:00+08:00'), signed: false });
    const h2 = await svc.placeHold({ recordingIds: [unsigned], reason: 'sensitive', caseRef: 'C2' }, 'sup1');
    await expect(archives.create({ holdId: h2.id }, 'sup1')).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/awaits its signed manifest/) });
    await svc.releaseHold(hold.id, 'closed', 'sup1');
    await expect(archives.create({ holdId: hold.id }, 'sup1')).rejects.toMatchObject({ code: 'conflict' });
  });
});
