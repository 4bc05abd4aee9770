import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../../../daemon/ingest/verify.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

let t: TestDock;
afterEach(async () => t?.stop());

const kinds = (t: TestDock) => t.daemon!.ctx.ledger.findings.query({ limit: 1000 }).map((f) => f.kind).sort();
const footageFiles = (t: TestDock): string[] => {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : out.push(join(d, e.name));
  };
  walk(join(t.config.dataDir, 'footage'));
  return out;
};

describe('offload faults', () => {
  it('a capture hash that disagrees: stored, flagged, listed with both hashes, never erased, no second finding on re-dock', async () => {
    t = await testDock();
    await t.start();
    const r = await t.recorder('A000010', { plugged: false });
    const [bad] = await r.addRecording({ durationMs: 2000, badHashSegments: [0] });
    await r.addRecording({ durationMs: 2000 });
    await r.replug();
    const s1 = await t.slot('A000010');
    expect(s1.state).toBe('ready');
    expect(s1.findings).toContain('hash_mismatch');
    const { ledger } = t.daemon!.ctx;
    const rec = ledger.recordings.all().find((x) => x.seq === bad!.seq)!;
    expect(rec.flags).toContain('hash_mismatch');
    expect(rec.sha256).not.toBe(rec.deviceSha256);
    expect(rec.erasedAtMs).toBeNull();
    expect(r.state.files.map((f) => f.seq)).toEqual([bad!.seq]);
    await r.unplug();
    await waitFor('slot gone', () => !t.daemon!.ctx.slots.list().length);
    await r.replug();
    await t.slot('A000010', (s) => s.sessionId !== s1.sessionId && s.state === 'ready');
    expect(kinds(t).filter((k) => k === 'hash_mismatch')).toHaveLength(1);
    expect(ledger.recordings.all()).toHaveLength(2);
    expect(r.state.files.map((f) => f.seq)).toEqual([bad!.seq]);
  });

  it('never follows a symlink or a traversal name, and keeps serving the rest', async () => {
    t = await testDock();
    // A plain folder that never holds every catalogued file is read at the volume time-out (what is there is offloaded).
    t.config.detect.volumeTimeoutMs = 1_500;
    await t.start();
    const r = await t.recorder('A000011', { plugged: false });
    const [good] = await r.addRecording({ durationMs: 2000 });
    const linkName = 'DCIM/100BWC/A000011_000001_20261124080000_0900.MP4';
    mkdirSync(dirname(r.pathOf(linkName)), { recursive: true });
    symlinkSync('/etc/passwd', r.pathOf(linkName));
    r.state.files.push({ name: linkName, size: 10n, start: '20261124080000', durationMs: 1000, seq: 900, flags: 0, sha256: null });
    r.state.files.push({ name: '../../../../etc/shadow', size: 10n, start: '20261124080000', durationMs: 1000, seq: 901, flags: 0, sha256: null });
    r.state.files.push({ name: 'DCIM/100BWC/ghost_0902.MP4', size: 10n, start: '20261124080000', durationMs: 1000, seq: 902, flags: 0, sha256: null });
    await r.replug();
    const s = await t.slot('A000011');
    expect(s.state).toBe('ready');
    const recs = t.daemon!.ctx.ledger.recordings.all();
    expect(recs.map((x) => x.seq)).toEqual([good!.seq]);
    expect(kinds(t)).toEqual(expect.arrayContaining(['bad_name', 'unreadable']));
    const bad = t.daemon!.ctx.ledger.findings.query({ limit: 100, kind: 'bad_name' });
    expect(bad.map((f) => f.seqFrom)).toContain(901);
    const unreadable = t.daemon!.ctx.ledger.findings.query({ limit: 100, kind: 'unreadable' }).map((f) => f.seqFrom);
    expect(unreadable).toEqual(expect.arrayContaining([900, 902]));
    // Only the good file was stored; the recorder still holds the odd entries.
    expect(footageFiles(t)).toHaveLength(1);
    // The ghost entry (no file on the volume) drops out of the recorder's catalog after EXIT_MSC.
    expect(r.state.files.map((f) => f.seq).sort()).toEqual([900, 901]);
    expect((await verifyDataDir(t.config.dataDir)).ok).toBe(true);
  });

  it('below the free-space floor: a disk_low finding, nothing partial, the session failed, nothing erased', async () => {
    t = await testDock({ offload: { minFreeBytes: Number.MAX_SAFE_INTEGER } });
    await t.start();
    const r = await t.recorder('A000012', { plugged: false });
    await r.addRecording({ durationMs: 2000 });
    await r.replug();
    const s = await t.slot('A000012');
    expect(s.state).toBe('failed');
    expect(s.error).toMatch(/floor/);
    expect(kinds(t)).toContain('disk_low');
    expect(footageFiles(t)).toEqual([]);
    expect(t.daemon!.ctx.ledger.recordings.all()).toEqual([]);
    expect(r.state.files).toHaveLength(1);
  });

  it('a wrong admin password fails that slot only; the other recorder is offloaded', async () => {
    t = await testDock();
    await t.start();
    const a = await t.recorder('A000013', { plugged: false, adminPassword: '123123' });
    const b = await t.recorder('A000014', { plugged: false });
    await a.addRecording({ durationMs: 2000 });
    await b.addRecording({ durationMs: 2000 });
    await Promise.all([a.replug(), b.replug()]);
    const [sa, sb] = await Promise.all([t.slot('A000013'), t.slot('A000014')]);
    expect(sa.state).toBe('failed');
    expect(sa.error).toMatch(/refused the admin password.*recorders\.passwords\.A000013/);
    // The slot speaks to the equipment manager first (the error catalogue's words), the detail after.
    expect(sa.error).toMatch(/^the recorder refused the dock's password: the administrator sets it in the dock's configuration \(/);
    expect(sb.state).toBe('ready');
    expect(t.daemon!.ctx.ledger.recordings.all().map((x) => x.serial)).toEqual(['A000014']);
  });

  it('unplugged mid-offload: interrupted, nothing partial; the re-dock completes and signs what the first stored', async () => {
    t = await testDock();
    await t.start();
    const r = await t.recorder('A000015', { plugged: false });
    for (let i = 0; i < 10; i++) await r.addRecording({ durationMs: 2000, segmentBytes: 24 * 1024 * 1024 });
    const total = r.state.files.length;
    await r.replug();
    const { ledger } = t.daemon!.ctx;
    await waitFor('first file stored', () => ledger.recordings.all().length >= 1, 30_000, 5);
    await r.unplug();
    const s1 = await waitFor('session ended', () => ledger.sessions.list({ limit: 5 }).find((x) => x.result !== 'running'), 30_000);
    expect(s1, s1.error ?? '').toMatchObject({ result: 'interrupted' });
    const storedFirst = ledger.recordings.all();
    expect(storedFirst.length).toBeLessThan(total);
    expect(storedFirst.every((x) => x.manifestSessionId === null && x.erasedAtMs === null)).toBe(true);
    expect(readdirSync(join(t.config.dataDir, 'tmp'))).toEqual([]);
    expect(footageFiles(t)).toHaveLength(storedFirst.length);
    expect(existsSync(join(t.config.dataDir, 'manifests', `${s1.id}.json`))).toBe(false);

    await r.replug();
    const s2 = await t.slot('A000015', (s) => s.sessionId !== s1.id && s.state === 'ready', 60_000);
    const all = ledger.recordings.all();
    expect(all).toHaveLength(total);
    expect(all.every((x) => x.manifestSessionId === s2.sessionId && x.erasedAtMs !== null)).toBe(true);
    expect(r.state.files).toEqual([]);
    expect((await verifyDataDir(t.config.dataDir)).ok).toBe(true);
  });
});

describe('odd catalog entries', () => {
  it('an invalid start time, a size the volume contradicts, a duplicate seq and an absurd size: handled one by one, nothing lost', async () => {
    t = await testDock();
    // A plain folder that never holds every catalogued file is read at the volume time-out (what is there is offloaded).
    t.config.detect.volumeTimeoutMs = 1_500;
    await t.start();
    const r = await t.recorder('A000016', { plugged: false });
    const [a] = await r.addRecording({ durationMs: 2000 });
    const [b] = await r.addRecording({ durationMs: 2000 });
    const [c] = await r.addRecording({ durationMs: 2000 });
    a!.start = '20261399999999';
    b!.size += 10n;
    // A second entry with c's seq under another name (a recorder bug): both are distinct files.
    const dupName = c!.name.replace(/\.MP4$/, '.copy.MP4');
    const { copyFileSync } = await import('node:fs');
    copyFileSync(r.pathOf(c!.name), r.pathOf(dupName));
    r.state.files.push({ ...c!, name: dupName, size: c!.size, sha256: null });
    r.state.files.push({ ...c! }); // and the very same entry listed twice
    r.state.files.push({ name: 'DCIM/100BWC/huge_0950.MP4', size: 1n << 60n, start: '20261124080000', durationMs: 1000, seq: 950, flags: 0, sha256: null });
    await r.replug();
    const s = await t.slot('A000016');
    expect(s.state).toBe('ready');
    const recs = t.daemon!.ctx.ledger.recordings.all();
    const bySeq = (seq: number) => recs.filter((x) => x.seq === seq);
    expect(bySeq(a!.seq)[0]).toMatchObject({ recordedStart: null, correctedStart: null });
    expect(bySeq(a!.seq)[0]!.flags).toContain('clock_reset');
    expect(bySeq(b!.seq)[0]!.flags).toContain('size_mismatch');
    expect(bySeq(c!.seq)).toHaveLength(1); // same content under two names: stored once
    expect(kinds(t)).toEqual(expect.arrayContaining(['size_mismatch']));
    // Kept on the recorder: the file whose size disagrees and the absurd entry.
    const left = r.state.files.map((f) => f.seq).sort((x, y) => x - y);
    expect(left).toContain(b!.seq);
    expect(left).not.toContain(a!.seq);
    // The contradicted file is stored (under the size the volume held): docking again copies nothing more
    // and it does not count as a file left to offload.
    expect(t.daemon!.ctx.ledger.recordings.findStored('A000016', b!.seq, Number(b!.size), b!.sha256, b!.name)).not.toBeNull();
    expect(r.state.files.map((f) => f.name)).toContain(dupName); // only the stored path's file is erased
    expect((await verifyDataDir(t.config.dataDir)).ok).toBe(true);
  });
});

describe('erase only what was stored', () => {
  it('a volume file that changed since it was stored (no capture hash, same size) is never erased', async () => {
    t = await testDock({ offload: { minFreeBytes: 0, eraseAfterCommit: false } });
    await t.start();
    const r = await t.recorder('A000017', { plugged: false, caps: 0b0110 });
    const [f] = await r.addRecording({ durationMs: 2000 });
    expect(f!.sha256).toBeNull();
    await r.replug();
    const first = await t.slot('A000017');
    await r.unplug();
    await waitFor('slot gone', () => !t.daemon!.ctx.slots.list().length);
    // Now erasing is on, but the recorder's file has other bytes under the same name and size.
    t.config.offload.eraseAfterCommit = true;
    const { readFileSync, writeFileSync } = await import('node:fs');
    const p = r.pathOf(f!.name);
    const b = readFileSync(p);
    b[b.length - 1]! ^= 0xff;
    writeFileSync(p, b);
    await r.replug();
    await t.slot('A000017', (s) => s.sessionId !== first.sessionId && s.state === 'ready');
    expect(r.state.files.map((x) => x.seq)).toEqual([f!.seq]);
    expect(t.daemon!.ctx.ledger.recordings.all()[0]!.erasedAtMs).toBeNull();
  });

  it('two recorders answering the same volume label: each waits its turn, each offloads only its own', async () => {
    t = await testDock();
    await t.start();
    const a = await t.recorder('A000018', { plugged: false, label: 'BWCSAME' });
    const b = await t.recorder('A000019', { plugged: false, label: 'BWCSAME' });
    for (const r of [a, b]) for (let i = 0; i < 3; i++) await r.addRecording({ durationMs: 2000, segmentBytes: 8 * 1024 * 1024 });
    await Promise.all([a.replug(), b.replug()]);
    const [sa, sb] = await Promise.all([t.slot('A000018', undefined, 60_000), t.slot('A000019', undefined, 60_000)]);
    expect([sa.state, sb.state]).toEqual(['ready', 'ready']);
    const recs = t.daemon!.ctx.ledger.recordings.all();
    expect(recs.filter((x) => x.serial === 'A000018')).toHaveLength(3);
    expect(recs.filter((x) => x.serial === 'A000019')).toHaveLength(3);
    for (const x of recs) expect(x.storedPath).toContain(`footage/${x.serial}/`);
    expect(recs.every((x) => x.sha256 === x.deviceSha256 && x.erasedAtMs !== null)).toBe(true);
    expect([a.state.files, b.state.files]).toEqual([[], []]);
  });
});
