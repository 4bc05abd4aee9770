import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegMedia } from '../../../daemon/ingest/media.js';
import { MediaProber } from '../../../daemon/ingest/prober.js';
import { createLogger } from '../../../daemon/log.js';
import { T0, addOfficers, addRecording, build, makeMp4, type Harness } from '../../helpers/console.js';

let h: Harness;
const ids: number[] = [];
beforeAll(async () => {
  h = await build();
  addOfficers(h);
  const mp4 = makeMp4();
  for (let i = 0; i < 6; i++) ids.push(addRecording(h, { seq: i + 1, officerNo: i % 2 ? '100002' : '100001', file: mp4, startMs: T0 + i * 3_600_000, flags: i === 3 ? ['late_offload'] : [] }));
  ids.push(addRecording(h, { serial: 'SN000009', seq: 1, officerNo: '100001', file: mp4, startMs: T0 + 1000 }));
});
afterAll(async () => h.close());

const list = async (q: string, as = 'sup1') => {
  const res = await h.req('GET', `/api/recordings${q}`, { as });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Array<{ id: number; serial: string; officerNo: string; flags: string[]; recordedStart: string; hold: boolean }>; next: string | null };
};

describe('GET /api/recordings', () => {
  it('answers the contract shape, newest first', async () => {
    const { items } = await list('');
    expect(items[0]).toMatchObject({ id: ids[5], serial: 'SN000001', officerNo: '100002', hold: false, recordedStart: '2026-03-02T13:00:00.000+08:00' });
    expect(Object.keys(items[0]!)).toEqual(expect.arrayContaining(['id', 'serial', 'officerNo', 'name', 'size', 'sha256', 'deviceSha256', 'seq', 'recordedStart', 'correctedStart', 'durationMs', 'offloadedAt', 'flags', 'retainUntil', 'hold']));
  });

  it('filters by serial, officer, flag and time (with and without offset)', async () => {
    expect((await list('?serial=SN000009')).items.map((r) => r.id)).toEqual([ids[6]]);
    expect((await list('?officer=100002')).items).toHaveLength(3);
    expect((await list('?flag=late_offload')).items.map((r) => r.id)).toEqual([ids[3]]);
    expect((await list('?from=2026-03-02T10:00&to=2026-03-02T12:00')).items.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect((await list('?from=2026-03-02T02:00Z&to=2026-03-02T04:00Z')).items.map((r) => r.id)).toEqual([ids[3], ids[2]]);
  });

  it('pages with limit and an opaque cursor without repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const p = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((r) => r.id));
      cursor = p.next;
    } while (cursor);
    expect(seen.sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  });

  it('officers get only their own, whatever they ask', async () => {
    const own = await list('', '100001');
    expect(own.items.every((r) => r.officerNo === '100001')).toBe(true);
    expect(own.items).toHaveLength(4);
    expect((await h.req('GET', `/api/recordings/${ids[0]}`, { as: '100001' })).statusCode).toBe(200);
  });
});

describe('audit and users', () => {
  it('lists the audit trail newest first and verifies it', async () => {
    await h.req('POST', '/api/officers', { as: 'em1', body: { officerNo: '100003', name: '王芳', unitNo: 'U01', unitName: '一中队' } });
    const a = (await h.req('GET', '/api/audit?limit=2', { as: 'aud1' })).json();
    expect(a.items).toHaveLength(2);
    expect(a.items[0].id).toBeGreaterThan(a.items[1].id);
    expect(a.next).toBeTypeOf('string');
    expect((await h.req('GET', '/api/audit?action=officer.created', { as: 'aud1' })).json().items[0]).toMatchObject({ actor: 'em1', subject: '100003' });
    expect((await h.req('GET', '/api/audit/verify', { as: 'legal1' })).json()).toMatchObject({ ok: true });
  });

  it('admins list and add users (audited)', async () => {
    // An officer's account needs the officer in the registry (issue 18).
    const unknown = await h.req('POST', '/api/users', { as: 'admin1', body: { username: '100077', role: 'officer', password: 'long-enough-1' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ field: 'username', error: expect.stringMatching(/not in the officer registry/) });
    await h.req('POST', '/api/officers', { as: 'em1', body: { officerNo: '100077', name: '赵敏', unitNo: 'U01', unitName: '一中队' } });
    const add = await h.req('POST', '/api/users', { as: 'admin1', body: { username: '100077', role: 'officer', password: 'long-enough-1' } });
    expect(add.statusCode).toBe(201);
    // An officer sees footage: the administrator's grant waits for a supervisor (issue 13 item 6).
    expect(add.json()).toMatchObject({ username: '100077', role: 'officer', disabled: false, mustChangePassword: true, pending: { kind: 'account', role: 'officer', requestedBy: 'admin1' } });
    const users = (await h.req('GET', '/api/users', { as: 'admin1' })).json();
    expect(users.items.map((u: { username: string }) => u.username)).toContain('100077');
    expect(JSON.stringify(users)).not.toMatch(/scrypt/);
    expect(h.ledger.audit.list({ limit: 1, action: 'user.added' })[0]).toMatchObject({ actor: 'admin1', subject: '100077' });
  });
});

describe("the file's own record (issue 14)", () => {
  it("answers the container's creation_time beside the drift once probed, and flags a file that does not open", async () => {
    const start = T0 + 86_400_000;
    // The recorder wrote its clock into the file 3 s after the start its catalog gives.
    const clip = join(h.dataDir, 'witness.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', makeMp4(), '-c', 'copy', '-metadata', `creation_time=${new Date(start + 3000).toISOString()}`, clip]);
    const id = addRecording(h, { serial: 'SN000010', seq: 1, officerNo: '100001', file: clip, startMs: start });
    const broken = join(h.dataDir, 'broken.mp4');
    writeFileSync(broken, Buffer.alloc(10_000, 1));
    const bad = addRecording(h, { serial: 'SN000010', seq: 2, officerNo: '100001', file: broken, startMs: start + 60_000 });

    const before = (await h.req('GET', `/api/recordings/${id}`, { as: 'sup1' })).json();
    expect(before).toMatchObject({ driftMs: 0, containerCreationTime: null, containerStartOffsetMs: null, containerDurationMs: null });
    const prober = new MediaProber({ ledger: h.ledger, media: new FfmpegMedia(), dataDir: h.dataDir, log: createLogger({ level: 'silent' }), now: () => h.clock.t });
    prober.start();
    await prober.whenIdle();
    prober.stop();
    const after = (await h.req('GET', `/api/recordings/${id}`, { as: 'sup1' })).json();
    expect(after).toMatchObject({ driftMs: 0, containerCreationTime: new Date(start + 3000).toISOString(), containerStartOffsetMs: 3000, containerDurationMs: 2000, flags: [] });
    const listed = (await list('?serial=SN000010')).items as unknown as Array<{ id: number; flags: string[]; containerCreationTime: string | null }>;
    expect(listed.find((r) => r.id === id)?.containerCreationTime).toBe(new Date(start + 3000).toISOString());
    expect(listed.find((r) => r.id === bad)?.flags).toEqual(['container_unreadable']);
    expect((await list('?flag=container_unreadable')).items.map((r) => r.id)).toEqual([bad]);
  });
});
