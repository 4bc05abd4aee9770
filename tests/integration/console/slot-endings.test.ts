import { afterEach, describe, expect, it } from 'vitest';
import { addOfficers, build, dockRecorder, type Harness } from '../../helpers/console.js';

/** Issue 18: a docking that ended badly stays on the screen until someone has seen it; the dock's own screen. */
let h: Harness;
afterEach(async () => h?.close());

const offloading = (h: Harness, serial: string) => {
  const v = dockRecorder(h, serial, 'offloading');
  h.slots.update(v.port, {
    officer: { officerNo: '100001', name: '张伟', unitNo: 'U01' },
    progress: { filesDone: 1, filesTotal: 2, bytesDone: 10, bytesTotal: 20, rate: 5 },
    findings: ['seq_missing'],
  });
  return v;
};

describe('a docking that ended badly', () => {
  it('an unplug mid-offload leaves the slot listed as ended (with its flags) until someone logged in has seen it', async () => {
    h = await build();
    const v = offloading(h, 'SN000001');
    h.slots.remove(v.port);
    // The contract's /api/slots drops the slot as before ...
    expect((await h.req('GET', '/api/slots', { as: '100001' })).json().items).toEqual([]);
    // ... and the ending stays, with what it had done and its flags.
    const ended = (await h.req('GET', '/api/slots/ended', { as: '100001' })).json().items;
    expect(ended).toEqual([expect.objectContaining({ sessionId: v.sessionId, serial: 'SN000001', lastState: 'offloading', findings: ['seq_missing'], progress: expect.objectContaining({ filesDone: 1, filesTotal: 2 }) })]);
    const seen = await h.req('POST', `/api/slots/ended/${v.sessionId}/seen`, { as: 'em1' });
    expect(seen.statusCode).toBe(200);
    expect((await h.req('GET', '/api/slots/ended', { as: 'em1' })).json().items).toEqual([]);
    expect(h.ledger.audit.list({ limit: 5 }).map((e: { action: string }) => e.action)).toContain('slot.ending_seen');
    expect((await h.req('POST', `/api/slots/ended/${v.sessionId}/seen`, { as: 'em1' })).statusCode).toBe(404);
  });

  it('a docking that ends ready leaves nothing behind', async () => {
    h = await build();
    const v = dockRecorder(h, 'SN000002', 'ready');
    h.slots.remove(v.port);
    expect((await h.req('GET', '/api/slots/ended', { as: 'em1' })).json().items).toEqual([]);
  });

  it('the re-docked card keeps the flag its earlier docking raised and nobody answered (missing file)', async () => {
    h = await build();
    addOfficers(h);
    const first = offloading(h, 'SN000003');
    h.ledger.findings.raise({ kind: 'seq_missing', detail: 'file 3 missing', serial: 'SN000003', sessionId: first.sessionId, officerNo: '100001' }, h.clock.t);
    h.slots.remove(first.port);
    const again = dockRecorder(h, 'SN000003', 'offloading');
    h.slots.update(again.port, { sessionId: 'second', progress: { filesDone: 1, filesTotal: 2, bytesDone: 10, bytesTotal: 20, rate: 5 } });
    const [slot] = (await h.req('GET', '/api/slots', { as: 'em1' })).json().items;
    expect(slot.findings).toContain('seq_missing');
  });
});

describe("the dock's own screen, without a login", () => {
  it('shows slot state, progress and serial, endings and the disk; never an officer, a file or a finding detail', async () => {
    h = await build();
    const v = offloading(h, 'SN000004');
    const gone = offloading(h, 'SN000005');
    h.slots.remove(gone.port);
    const res = await h.app.inject({ method: 'GET', url: '/api/kiosk' });
    expect(res.statusCode).toBe(200);
    const k = res.json();
    expect(k.slots).toEqual([expect.objectContaining({ port: v.port, serial: 'SN000004', state: 'offloading', flagged: true })]);
    expect(k.ended).toEqual([expect.objectContaining({ serial: 'SN000005', lastState: 'offloading' })]);
    expect(k.disk).toEqual({ freeBytes: expect.any(Number), low: expect.any(Boolean) });
    expect(res.body).not.toMatch(/100001|张伟|officer|seq_missing/);
  });

  it('says the disk runs low below twice the offload floor', async () => {
    h = await build({ diskFree: async () => 1024 });
    expect((await h.app.inject({ method: 'GET', url: '/api/kiosk' })).json().disk).toEqual({ freeBytes: 1024, low: true });
  });
});
