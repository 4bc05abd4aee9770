import { afterEach, describe, expect, it } from 'vitest';
import { LoginRole } from '../../../firmware-protocol/codec/constants.js';
import { TimeoutError } from '../../../firmware-protocol/codec/errors.js';
import { Command } from '../../../firmware-protocol/codec/constants.js';
import { addOfficers, addRecording, build, dockRecorder, makeMp4, type Harness } from '../../helpers/console.js';
import { MemoryRecorder, fileEntry, goodStatus } from '../../helpers/console-recorder.js';

let h: Harness;
let recorder: MemoryRecorder | null;
afterEach(async () => h?.close());

async function setup(state = 'ready') {
  recorder = new MemoryRecorder(goodStatus());
  h = await build({ open: () => recorder, idleMinutes: 24 * 60 }); // the clock moves hours on within one login
  addOfficers(h);
  dockRecorder(h, 'SN000001', state);
}

describe('checkout and check-in over the API', () => {
  it("after a check-in and a checkout to the next officer, the previous officer's offload stays theirs, on the card and in the ledger", async () => {
    await setup();
    // Officer 100001 brought the recorder back: the docking offloaded their footage.
    h.slots.update(h.slots.bySerial('SN000001')!.port, { officer: { officerNo: '100001', name: '张伟', unitNo: 'U01' } });
    const first = h.ledger.checkouts.checkOut('SN000001', '100001', 'em1', h.clock.t - 8 * 3_600_000);
    const rec = addRecording(h, { seq: 7, officerNo: '100001', file: makeMp4(), checkoutId: first });
    expect((await h.req('POST', '/api/devices/SN000001/checkin', { as: 'em1' })).statusCode).toBe(200);
    h.clock.t += 60_000;
    const res = await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100002' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(h.slots.bySerial('SN000001')?.officer).toEqual({ officerNo: '100001', name: '张伟', unitNo: 'U01' });
    expect(h.ledger.recordings.get(rec)).toMatchObject({ officerNo: '100001', checkoutId: first });
    const periods = (await h.req('GET', '/api/devices/SN000001', { as: 'em1' })).json().checkouts as Array<{ officerNo: string; recordings: number }>;
    expect(periods.find((p) => p.officerNo === '100002')).toMatchObject({ recordings: 0 });
    expect(periods.find((p) => p.officerNo === '100001')).toMatchObject({ recordings: 1 });
  });

  it('checks readiness, writes INFO (GBK names) and the dock time, records the period with who', async () => {
    await setup();
    const res = await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().checkout).toMatchObject({ serial: 'SN000001', officerNo: '100001', officerName: '张伟', outBy: 'em1', inAt: null });
    expect(recorder!.logins).toEqual([{ role: LoginRole.Admin, password: '000000' }]);
    expect(recorder!.info).toEqual({ serial: 'SN000001', userNo: '100001', userName: '张伟', unitNo: 'U01', unitName: '城管执法一中队' });
    // 08:00 in Asia/Shanghai, zone +480 minutes
    expect(recorder!.time).toEqual({ time: { year: 2026, month: 3, day: 2, hour: 8, minute: 0, second: 0 }, ms: 0, tz: 480 });
    expect(recorder!.detached).toBe(1);
    const dev = h.ledger.devices.get('SN000001')!;
    expect(dev.status).toBe('checked_out');
    expect(dev.lastSyncAtMs).toBe(h.clock.t);
    expect(h.ledger.audit.list({ limit: 1 })[0]).toMatchObject({ action: 'device.checkout', actor: 'em1', subject: 'SN000001' });
    // The slot's card keeps the officer of the docking's offload (none here), not the new holder (issue 18).
    expect(h.slots.bySerial('SN000001')?.officer).toBeNull();
    const again = await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100002' } });
    expect(again.statusCode).toBe(409);
  });

  it('answers 409 with the readiness reasons and writes nothing into the recorder', async () => {
    await setup();
    recorder!.status = { ...goodStatus(), battery: 12, freeMiB: 100 };
    recorder!.files = [fileEntry(1, 1000)];
    h.clock.synced = false;
    const res = await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().reasons).toEqual(['battery', 'storage', 'pending_files', 'dock_unsynced']);
    expect(res.json().error).toMatch(/not ready/);
    expect(recorder!.info).toBeNull();
    expect(recorder!.time).toBeNull();
    expect(h.ledger.checkouts.open('SN000001')).toBeNull();
    expect(recorder!.detached).toBe(1);
  });

  it('files already stored (same serial, seq, size) are not pending', async () => {
    await setup();
    const mp4 = makeMp4();
    const id = addRecording(h, { seq: 4, officerNo: '100001', file: mp4 });
    recorder!.files = [fileEntry(4, h.ledger.recordings.get(id)!.size)];
    expect((await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } })).statusCode).toBe(200);
  });

  it('refuses a recorder whose docking session still works, one not in the dock, an unknown officer', async () => {
    await setup('offloading');
    const busy = await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error).toMatch(/offloading/);
    h.slots.remove('/dev/ttyBWC-SN000001');
    expect((await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } })).json().error).toMatch(/not in the dock/);
    const unknown = await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '999999' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().field).toBe('officerNo');
    expect((await h.req('POST', '/api/devices/SN999999/checkout', { as: 'em1', body: { officerNo: '100001' } })).statusCode).toBe(404);
  });

  it('a recorder that does not answer gives 502 without internals, and no checkout', async () => {
    await setup();
    recorder!.failSetInfo = new TimeoutError(Command.SET_INFO, 3);
    const res = await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } });
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toMatch(/SET_INFO got no answer/);
    expect(res.body).not.toMatch(/at .*\.ts/);
    expect(h.ledger.checkouts.open('SN000001')).toBeNull();
  });

  it('explicit check-in closes the period; the ledger shows it with its recordings and hours', async () => {
    await setup();
    await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } });
    const out = h.ledger.checkouts.open('SN000001')!;
    const mp4 = makeMp4();
    h.clock.t += 3 * 3_600_000;
    addRecording(h, { seq: 1, officerNo: '100001', file: mp4, startMs: out.outAtMs + 3_600_000, durationMs: 1_800_000, checkoutId: out.id });
    addRecording(h, { seq: 2, officerNo: '100001', file: mp4, startMs: out.outAtMs + 7_200_000, durationMs: 1_800_000 });
    const res = await h.req('POST', '/api/devices/SN000001/checkin', { as: 'em1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().checkout).toMatchObject({ inBy: 'em1', recordings: 2, hours: 1 });
    expect(h.ledger.devices.get('SN000001')!.status).toBe('in_dock');
    expect((await h.req('POST', '/api/devices/SN000001/checkin', { as: 'em1' })).statusCode).toBe(409);

    const ledger = await h.req('GET', '/api/devices/SN000001', { as: 'aud1' });
    expect(ledger.statusCode).toBe(200);
    const body = ledger.json();
    expect(body.device).toMatchObject({ serial: 'SN000001', status: 'in_dock', checkedOutTo: null });
    expect(body.checkouts).toHaveLength(1);
    expect(body.checkouts[0]).toMatchObject({ officerNo: '100001', outBy: 'em1', inBy: 'em1', recordings: 2, durationMs: 3_600_000, outAt: '2026-03-02T08:00:00.000+08:00' });
    expect(Array.isArray(body.findings)).toBe(true);
    const adminView = await h.req('GET', '/api/devices/SN000001', { as: 'admin1' });
    expect(adminView.json().findings).toBeNull();

    const officer = await h.req('GET', '/api/officers/100001', { as: 'sup1' });
    expect(officer.json().checkouts[0]).toMatchObject({ serial: 'SN000001', recordings: 2 });

    const csv = await h.req('GET', '/api/ledger/export.csv', { as: 'em1' });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines[0]).toBe('checkoutId,serial,idCode,officerNo,officerName,unitNo,unitName,outAt,outBy,leftDockAt,inAt,inBy,inSessionId,recordings,hours,bytes');
    expect(lines[1]).toMatch(/^\d+,SN000001,AB123,100001,张伟,U01,城管执法一中队,2026-03-02T08:00:00.000\+08:00,em1,,2026-03-02T11:00:00.000\+08:00,em1,,2,1,\d+$/);
    expect(h.ledger.audit.list({ limit: 1 })[0]!.action).toBe('ledger.exported');
    const none = await h.req('GET', '/api/ledger/export.csv?from=2026-04-01', { as: 'em1' });
    expect(none.body.trim().split('\r\n')).toHaveLength(1);
  });

  it('status: equipment manager sets in_repair/retired/in_dock; checked_out only by checkout; retired is never handed out', async () => {
    await setup();
    const r = await h.req('POST', '/api/devices/SN000001/status', { as: 'em1', body: { status: 'in_repair' } });
    expect(r.statusCode).toBe(200);
    expect(r.json().status).toBe('in_repair');
    expect((await h.req('POST', '/api/devices/SN000001/checkout', { as: 'em1', body: { officerNo: '100001' } })).statusCode).toBe(409);
    const co = await h.req('POST', '/api/devices/SN000001/status', { as: 'em1', body: { status: 'checked_out' } });
    expect(co.statusCode).toBe(400);
    expect(co.json().field).toBe('status');
    const bad = await h.req('POST', '/api/devices/SN000001/status', { as: 'em1', body: { status: 'lost' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/body\.status/);
    expect(h.ledger.audit.list({ limit: 10, action: 'device.status' })).toHaveLength(1);
  });

  it('lists devices with a cursor', async () => {
    await setup();
    for (const s of ['SN000002', 'SN000003', 'SN000004']) h.ledger.devices.docked({ serial: s, idCode: 'AB123', firmware: 'f', caps: 0 }, h.clock.t);
    const p1 = (await h.req('GET', '/api/devices?limit=3', { as: 'em1' })).json();
    expect(p1.items.map((d: { serial: string }) => d.serial)).toEqual(['SN000001', 'SN000002', 'SN000003']);
    const p2 = (await h.req('GET', `/api/devices?limit=3&cursor=${p1.next}`, { as: 'em1' })).json();
    expect(p2).toMatchObject({ next: null });
    expect(p2.items.map((d: { serial: string }) => d.serial)).toEqual(['SN000004']);
  });
});

describe('the device ledger in pages (issue 19)', () => {
  type PeriodJson = { id: number; officerNo: string; outAt: string; recordings: number; durationMs: number };
  const DAY = 86_400_000;

  /** 250 closed periods of SN000001, one a day back from yesterday, with two recordings in the 150th newest. */
  async function ledgerOf250(): Promise<{ withRecordings: number }> {
    await setup();
    let withRecordings = 0;
    h.ledger.tx(() => {
      for (let d = 250; d >= 1; d--) {
        const out = h.clock.t - d * DAY;
        const id = h.ledger.checkouts.checkOut('SN000001', d % 2 ? '100001' : '100002', 'em1', out);
        h.ledger.checkouts.checkIn(id, 'dock', out + 10 * 3_600_000, null);
        if (d === 150) withRecordings = id;
      }
    });
    // 25 dockings of the recorder, each with a finding, and another recorder's: the first page answers the last 20.
    for (let k = 1; k <= 25; k++) {
      h.ledger.sessions.create(`D${k}`, '/dev/ttyACM0', h.clock.t - (30 - k) * DAY);
      h.ledger.sessions.identified(`D${k}`, 'SN000001');
      h.ledger.findings.raise({ kind: 'late_offload', detail: `docking ${k}`, serial: 'SN000001', sessionId: `D${k}` }, h.clock.t - (30 - k) * DAY);
      h.ledger.findings.raise({ kind: 'late_offload', detail: `elsewhere ${k}`, serial: 'SN000009' }, h.clock.t - (30 - k) * DAY + 1);
    }
    const mp4 = makeMp4();
    const out = h.ledger.checkouts.get(withRecordings)!.outAtMs;
    addRecording(h, { seq: 1, officerNo: '100002', file: mp4, startMs: out + 3_600_000, durationMs: 600_000, checkoutId: withRecordings });
    addRecording(h, { seq: 2, officerNo: '100002', file: mp4, startMs: out + 7_200_000, durationMs: 1_200_000 });
    return { withRecordings };
  }

  async function pageOf(query: string): Promise<{ checkouts: PeriodJson[]; nextCursor: string | null }> {
    const res = await h.req('GET', `/api/devices/SN000001${query}`, { as: 'em1' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  it('without parameters answers the device, the newest 100 periods and a cursor; the cursor walks to the oldest, each period once', async () => {
    const { withRecordings } = await ledgerOf250();
    const first = (await h.req('GET', '/api/devices/SN000001', { as: 'em1' })).json();
    expect(first.device).toMatchObject({ serial: 'SN000001' });
    expect(first.sessions.map((x: { id: string }) => x.id)).toEqual(Array.from({ length: 20 }, (_, i) => `D${25 - i}`));
    expect(first.findings.map((x: { detail: string }) => x.detail)).toEqual(Array.from({ length: 20 }, (_, i) => `docking ${25 - i}`));
    expect(first.checkouts).toHaveLength(100);
    expect(first.nextCursor).toEqual(expect.any(String));
    const seen: PeriodJson[] = [...first.checkouts];
    let cursor: string | null = first.nextCursor;
    const sizes: number[] = [];
    while (cursor) {
      const p = await pageOf(`?cursor=${cursor}`);
      // The dockings and findings come with the first page only.
      expect(Object.keys(p).sort()).toEqual(['checkouts', 'device', 'nextCursor']);
      sizes.push(p.checkouts.length);
      seen.push(...p.checkouts);
      cursor = p.nextCursor;
    }
    expect(sizes).toEqual([100, 50]);
    expect(new Set(seen.map((p) => p.id)).size).toBe(250);
    const outs = seen.map((p) => Date.parse(p.outAt));
    expect(outs).toEqual([...outs].sort((a, b) => b - a));
    // The period's figures on a later page: the linked recording and the unlinked one inside its time.
    expect(seen.find((p) => p.id === withRecordings)).toMatchObject({ officerNo: '100002', recordings: 2, durationMs: 1_800_000 });
    expect(seen.filter((p) => p.recordings > 0)).toHaveLength(1);
  });

  it('pages of any size; a checkout between two pages shifts nothing into the next', async () => {
    await ledgerOf250();
    const p1 = await pageOf('?limit=60');
    expect(p1.checkouts).toHaveLength(60);
    h.clock.t += 60_000;
    h.ledger.checkouts.checkOut('SN000001', '100001', 'em1', h.clock.t);
    const p2 = await pageOf(`?limit=60&cursor=${p1.nextCursor}`);
    expect(p2.checkouts).toHaveLength(60);
    expect(p2.checkouts.some((p) => p1.checkouts.some((q) => q.id === p.id))).toBe(false);
    expect(Date.parse(p2.checkouts[0]!.outAt)).toBeLessThan(Date.parse(p1.checkouts.at(-1)!.outAt));
    // The new period leads the first page when it is asked for again.
    expect((await pageOf('?limit=1')).checkouts[0]).toMatchObject({ outAt: expect.stringMatching(/^2026-03-02T08:01/) });
    const last = await pageOf('?limit=1000');
    expect(last).toMatchObject({ nextCursor: null });
    expect(last.checkouts).toHaveLength(251);
  });

  it('a cursor that is not one of this list, or a limit out of 1–1000, is a 400 naming the parameter', async () => {
    await ledgerOf250();
    const cursorOf = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of ['not-a-cursor', cursorOf({ outAtMs: 1, id: 2 }), cursorOf([1.5, 2]), cursorOf(['x', 2])]) {
      const res = await h.req('GET', `/api/devices/SN000001?cursor=${cursor}`, { as: 'em1' });
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json()).toMatchObject({ field: 'cursor', error: expect.stringMatching(/cursor/) });
    }
    for (const limit of ['0', '1001', 'ten', '-5']) {
      const res = await h.req('GET', `/api/devices/SN000001?limit=${limit}`, { as: 'em1' });
      expect(res.statusCode, limit).toBe(400);
      expect(res.json()).toMatchObject({ field: 'limit', error: expect.stringMatching(/limit/) });
    }
    const unknown = await h.req('GET', '/api/devices/SN000001?page=2', { as: 'em1' });
    expect(unknown.statusCode).toBe(400);
    expect((await h.req('GET', '/api/devices/SN999999', { as: 'em1' })).statusCode).toBe(404);
  });
});
