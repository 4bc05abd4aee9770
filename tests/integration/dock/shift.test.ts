import { afterEach, describe, expect, it } from 'vitest';
import { consoleFor } from '../../helpers/api.js';
import { testDock, waitFor, type TestDock } from '../../helpers/dock.js';

let t: TestDock;
let closeConsole: (() => Promise<void>) | null = null;
afterEach(async () => {
  await closeConsole?.();
  closeConsole = null;
  await t?.stop();
});

describe('a full shift through the device ledger', () => {
  it('checkout (readiness, INFO and clock written) → undock → recordings → re-dock → check-in, and the ledger shows the period', async () => {
    t = await testDock();
    await t.start();
    const c = await consoleFor(t);
    closeConsole = c.close;
    const mgr = await c.as('manager');
    expect((await mgr.post('/api/officers', { officerNo: '200001', name: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局' })).status).toBeLessThan(300);

    const r = await t.recorder('A000050', { plugged: false, info: { userNo: '', userName: '', unitNo: '', unitName: '' } });
    r.state.clock.offsetMs = 60_000;
    r.setBattery(12);
    await r.replug();
    await t.slot('A000050');

    // Not ready: the battery is low. 409 with the reason; nothing written to the recorder.
    const refused = await mgr.post('/api/devices/A000050/checkout', { officerNo: '200001' });
    expect(refused.status).toBe(409);
    expect(refused.body.reasons).toEqual(['battery']);
    expect(r.state.info.userNo).toBe('');

    r.setBattery(95);
    const out = await mgr.post('/api/devices/A000050/checkout', { officerNo: '200001' });
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    expect(r.state.info).toMatchObject({ userNo: '200001', userName: '张三', unitNo: '410900000001', unitName: '濮阳市生态环境局' });
    expect(Math.abs(r.state.clock.offsetMs)).toBeLessThan(1000);

    // The officer takes it: undock, record during the shift, come back.
    await r.unplug();
    await waitFor('undocked', () => t.daemon!.ctx.ledger.checkouts.open('A000050')?.leftDockAtMs != null);
    // Recorder times have whole seconds: record after the checkout's second has passed.
    await new Promise((res) => setTimeout(res, 2100));
    await r.addRecording({ durationMs: 1000 });
    await new Promise((res) => setTimeout(res, 1100));
    await r.addRecording({ durationMs: 1000 });
    await r.replug();
    await t.slot('A000050', (s) => s.state === 'ready' && s.progress.filesTotal === 2);

    const dev = (await mgr.get('/api/devices/A000050')).body;
    expect(dev.checkouts).toHaveLength(1);
    const period = dev.checkouts[0];
    expect(period).toMatchObject({ officerNo: '200001', officerName: '张三', outBy: 'manager', inBy: 'dock', recordings: 2 });
    expect(period.leftDockAt).not.toBeNull();
    expect(period.inAt).not.toBeNull();
    expect(period.durationMs).toBeGreaterThanOrEqual(2000);
    const recs = (await mgr.get('/api/recordings?serial=A000050')).body.items;
    expect(recs.map((x: { officerNo: string }) => x.officerNo)).toEqual(['200001', '200001']);
    expect(recs.every((x: { flags: string[] }) => !x.flags.includes('no_checkout') && !x.flags.includes('wrong_officer'))).toBe(true);

    // A daemon restart with the recorder still docked does not check it in twice.
    await closeConsole!();
    await t.restart();
    await t.slot('A000050');
    const c2 = await consoleFor(t);
    closeConsole = c2.close;
    const again = (await (await c2.as('manager')).get('/api/devices/A000050')).body.checkouts;
    expect(again).toHaveLength(1);
    expect(again[0].inAt).toBe(period.inAt);
  });

  it("a recorder carrying another officer's INFO block: its recordings are flagged wrong_officer", async () => {
    t = await testDock();
    await t.start();
    const c = await consoleFor(t);
    closeConsole = c.close;
    const mgr = await c.as('manager');
    await mgr.post('/api/officers', { officerNo: '200002', name: '李四', unitNo: 'U1', unitName: '一中队' });
    const r = await t.recorder('A000051', { plugged: false });
    await r.replug();
    await t.slot('A000051');
    expect((await mgr.post('/api/devices/A000051/checkout', { officerNo: '200002' })).status).toBe(200);
    await r.unplug();
    await waitFor('undocked', () => t.daemon!.ctx.ledger.checkouts.open('A000051')?.leftDockAtMs != null);
    // Someone re-programmed the recorder with another officer's number.
    r.state.info.userNo = '299999';
    await new Promise((res) => setTimeout(res, 2100));
    await r.addRecording({ durationMs: 1000 });
    await r.replug();
    await t.slot('A000051', (s) => s.state === 'ready' && s.progress.filesTotal === 1);
    const rec = (await mgr.get('/api/recordings?serial=A000051')).body.items[0];
    expect(rec.officerNo).toBe('200002');
    expect(rec.flags).toContain('wrong_officer');
    const f = (await mgr.get('/api/findings?kind=wrong_officer')).body.items;
    expect(f).toHaveLength(1);
  });
});

describe('docked, restarted, taken while down', () => {
  it('a checked-out recorder still docked across a restart is not checked in; its later return is', async () => {
    t = await testDock();
    await t.start({ startGraceMs: 300 });
    const c = await consoleFor(t);
    closeConsole = c.close;
    await (await c.as('manager')).post('/api/officers', { officerNo: '200003', name: '王五', unitNo: 'U1', unitName: '一中队' });
    const r = await t.recorder('A000052', { plugged: false });
    await r.replug();
    await t.slot('A000052');
    expect((await (await c.as('manager')).post('/api/devices/A000052/checkout', { officerNo: '200003' })).status).toBe(200);
    await closeConsole!();
    closeConsole = null;
    await t.restart({ startGraceMs: 300 });
    await t.slot('A000052');
    await new Promise((res) => setTimeout(res, 600));
    const { ledger } = t.daemon!.ctx;
    expect(ledger.checkouts.open('A000052')).toMatchObject({ leftDockAtMs: null, inAtMs: null });
    await r.unplug();
    await waitFor('left', () => ledger.checkouts.open('A000052')?.leftDockAtMs != null);
    await r.replug();
    await t.slot('A000052');
    expect(ledger.checkouts.open('A000052')).toBeNull();
    expect(ledger.checkouts.forDevice('A000052')).toHaveLength(1);
  });

  it('a checked-out recorder taken while the daemon was down is checked in when it returns', async () => {
    t = await testDock();
    await t.start({ startGraceMs: 300 });
    const c = await consoleFor(t);
    closeConsole = c.close;
    await (await c.as('manager')).post('/api/officers', { officerNo: '200004', name: '赵六', unitNo: 'U1', unitName: '一中队' });
    const r = await t.recorder('A000053', { plugged: false });
    await r.replug();
    await t.slot('A000053');
    expect((await (await c.as('manager')).post('/api/devices/A000053/checkout', { officerNo: '200004' })).status).toBe(200);
    await closeConsole!();
    closeConsole = null;
    await t.daemon!.stop();
    await r.unplug();
    await t.start({ startGraceMs: 300 });
    const { ledger } = t.daemon!.ctx;
    await waitFor('left while down', () => ledger.checkouts.open('A000053')?.leftDockAtMs != null, 5000);
    await r.replug();
    await t.slot('A000053');
    expect(ledger.checkouts.open('A000053')).toBeNull();
  });

  it('two globs matching one recorder (by-id link and its tty) make one session', async () => {
    t = await testDock();
    const { symlinkSync } = await import('node:fs');
    const { join } = await import('node:path');
    const byId = join(t.dir, 'by-id');
    (await import('node:fs')).mkdirSync(byId);
    t.config.detect.serialGlobs = [join(t.devDir, 'bwc-*'), join(byId, 'usb-*')];
    await t.start();
    const r = await t.recorder('A000054', { plugged: false });
    await r.addRecording({ durationMs: 1000 });
    await r.replug();
    symlinkSync(r.devPath, join(byId, 'usb-A000054'));
    const s = await t.slot('A000054');
    expect(s.state).toBe('ready');
    await new Promise((res) => setTimeout(res, 1500));
    expect(t.daemon!.ctx.slots.list()).toHaveLength(1);
    expect(t.daemon!.ctx.ledger.sessions.list({ limit: 10 })).toHaveLength(1);
  });
});
