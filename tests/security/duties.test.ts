import { afterEach, describe, expect, it } from 'vitest';
import { addOfficers, addRecording, build, makeMp4, PASSWORD, type Harness } from '../helpers/console.js';
import { buildRetention, type RetentionHarness } from '../integration/retention/harness.js';

/**
 * Issue 13 item 6: separation of duties. The administrator sees no footage, but could create a supervisor and
 * log in as it; a hold someone else placed could be released by one person right before a purge.
 */
let h: Harness | undefined;
let r: RetentionHarness | undefined;
afterEach(async () => {
  await h?.close();
  await r?.close();
  h = r = undefined;
});

const DAY = 86_400_000;
const NEW_PASSWORD = 'a new account pass';

async function loginAs(app: Harness['app'], username: string, password: string) {
  return app.inject({ method: 'POST', url: '/api/login', payload: { username, password }, remoteAddress: '10.0.0.1' });
}

describe('grants of a role that can see footage', () => {
  it('a supervisor made by the administrator cannot log in until another supervisor confirms it', async () => {
    h = await build();
    const made = await h.req('POST', '/api/users', { as: 'admin1', body: { username: 'sup9', role: 'supervisor', password: NEW_PASSWORD } });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({ username: 'sup9', pending: { kind: 'account', role: 'supervisor', requestedBy: 'admin1' } });
    const refused = await loginAs(h.app, 'sup9', NEW_PASSWORD);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatch(/supervisor to confirm/);

    expect((await h.req('POST', '/api/users/sup9/confirm', { as: 'admin1', body: {} })).statusCode).toBe(403);
    const pending = await h.req('GET', '/api/users/pending', { as: 'sup1' });
    expect(pending.json().items.map((u: { username: string }) => u.username)).toEqual(['sup9']);
    const ok = await h.req('POST', '/api/users/sup9/confirm', { as: 'sup1', body: {} });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ username: 'sup9', role: 'supervisor', pending: null });
    // The password was the administrator's choice: it must be changed at the first login.
    const first = await loginAs(h.app, 'sup9', NEW_PASSWORD);
    expect(first.statusCode).toBe(200);
    expect(first.json().mustChangePassword).toBe(true);
    expect(h.ledger.audit.list({ limit: 1, action: 'user.grant.confirmed' })[0]).toMatchObject({ actor: 'sup1', subject: 'sup9' });
  });

  it('enabling a disabled footage account again is a grant too', async () => {
    h = await build();
    expect((await h.req('POST', '/api/users/legal1/disabled', { as: 'admin1', body: { disabled: true } })).statusCode).toBe(200);
    const enabled = await h.req('POST', '/api/users/legal1/disabled', { as: 'admin1', body: { disabled: false } });
    expect(enabled.json()).toMatchObject({ disabled: false, pending: { kind: 'account', role: 'legal', requestedBy: 'admin1' } });
    expect((await loginAs(h.app, 'legal1', PASSWORD)).statusCode).toBe(403);
    expect((await h.req('POST', '/api/users/legal1/confirm', { as: 'sup2', body: {} })).statusCode).toBe(200);
    expect((await loginAs(h.app, 'legal1', PASSWORD)).statusCode).toBe(200);
  });

  it('every role that can see footage waits; a new administrator does not', async () => {
    h = await build();
    // An officer's account needs the officer in the registry first.
    h.ledger.officers.upsert({ officerNo: '100055', name: '赵敏', unitNo: 'U01', unitName: '城管执法一中队' }, h.clock.t);
    const cases: Array<[string, string]> = [['100055', 'officer'], ['em9', 'equipment_manager'], ['legal9', 'legal'], ['aud9', 'auditor']];
    for (const [username, role] of cases) {
      expect((await h.req('POST', '/api/users', { as: 'admin1', body: { username, role, password: NEW_PASSWORD } })).statusCode).toBe(201);
      expect((await loginAs(h.app, username, NEW_PASSWORD)).statusCode, role).toBe(403);
    }
    expect((await h.req('POST', '/api/users', { as: 'admin1', body: { username: 'admin9', role: 'admin', password: NEW_PASSWORD } })).statusCode).toBe(201);
    expect((await loginAs(h.app, 'admin9', NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('a role change to one that sees footage keeps the old role until confirmed, and nobody confirms a grant to themselves', async () => {
    h = await build();
    const asked = await h.req('POST', '/api/users/sup2/role', { as: 'admin1', body: { role: 'legal' } });
    expect(asked.json()).toMatchObject({ role: 'supervisor', pending: { kind: 'role', role: 'legal' } });
    expect((await h.req('POST', '/api/users/sup2/confirm', { as: 'sup2', body: {} })).statusCode).toBe(403);
    expect((await h.req('POST', '/api/users/sup2/confirm', { as: 'sup1', body: {} })).statusCode).toBe(200);
    expect((await loginAs(h.app, 'sup2', PASSWORD)).json()).toMatchObject({ role: 'legal' });
  });

  it('an administrator resetting a footage account cannot use the temporary password until a supervisor confirms', async () => {
    h = await build();
    const temp = (await h.req('POST', '/api/users/aud1/reset', { as: 'admin1' })).json().temporaryPassword as string;
    expect((await loginAs(h.app, 'aud1', temp)).statusCode).toBe(403);
    expect((await h.req('POST', '/api/users/aud1/confirm', { as: 'sup1', body: {} })).statusCode).toBe(200);
    const res = await loginAs(h.app, 'aud1', temp);
    expect(res.statusCode).toBe(200);
    expect(res.json().mustChangePassword).toBe(true);
  });

  it("the CLI on the appliance makes accounts that take effect at once", async () => {
    h = await build();
    await h.ledger.users.add('sup7', 'supervisor', NEW_PASSWORD, h.clock.t); // what `bwc-dock user add` does
    expect((await loginAs(h.app, 'sup7', NEW_PASSWORD)).statusCode).toBe(200);
  });

  it("the daemon's own actor names are reserved usernames", async () => {
    h = await build();
    for (const username of ['dock', 'cli', 'system', 'daemon', 'retention', 'DOCK']) {
      const res = await h.req('POST', '/api/users', { as: 'admin1', body: { username, role: 'admin', password: NEW_PASSWORD } });
      expect(res.statusCode, username).toBe(400);
      expect(res.json().error).toMatch(/body\.username/);
      await expect(h.ledger.users.add(username, 'supervisor', NEW_PASSWORD, 0), username).rejects.toThrow(/own names/);
    }
  });
});

describe('releasing a hold someone else placed, when a purge would follow', () => {
  async function heldPastRetention() {
    r = await buildRetention();
    addOfficers(r.base);
    const id = addRecording(r.base, { seq: 1, officerNo: '100001', file: makeMp4() });
    await r.sign([id]);
    const hold = (await r.req('POST', '/api/holds', { as: 'legal1', body: { recordingIds: [id], reason: 'dispute', caseRef: 'C-9' } })).json();
    r.advance(301 * DAY);
    return { id, hold };
  }

  it('needs a second supervisor or legal reviewer: one person cannot release and purge', async () => {
    const { id, hold } = await heldPastRetention();
    const asked = await r!.req('POST', `/api/holds/${hold.id}/release`, { as: 'sup1', body: { reason: 'no longer disputed' } });
    expect(asked.statusCode, asked.body).toBe(202);
    expect(asked.json()).toMatchObject({ active: true, releaseRequest: { requestedBy: 'sup1', reason: 'no longer disputed' } });
    expect((await r!.req('POST', '/api/retention/purge', { as: 'sup1', body: { ids: [id], reason: 'reviewed' } })).json()).toEqual({ purged: [], refused: [{ id, reason: 'hold' }] });
    expect((await r!.req('POST', `/api/holds/${hold.id}/release/confirm`, { as: 'sup1', body: {} })).statusCode).toBe(409);
    const done = await r!.req('POST', `/api/holds/${hold.id}/release/confirm`, { as: 'legal1', body: {} });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ active: false, releasedBy: 'sup1', releaseConfirmedBy: 'legal1' });
    const entries = r!.base.ledger.audit.list({ limit: 10 }).map((e) => `${e.actor} ${e.action}`);
    expect(entries).toEqual(expect.arrayContaining(['sup1 hold.release_requested', 'legal1 hold.released']));
  });

  it('a second person may decline: the hold stays', async () => {
    const { hold } = await heldPastRetention();
    await r!.req('POST', `/api/holds/${hold.id}/release`, { as: 'sup1', body: { reason: 'no longer disputed' } });
    const declined = await r!.req('POST', `/api/holds/${hold.id}/release/decline`, { as: 'sup2', body: { reason: 'the complaint is still open' } });
    expect(declined.json()).toMatchObject({ active: true, releaseRequest: null });
  });

  it('the one who placed a hold releases it alone, and so does anyone when no purge would follow', async () => {
    const { hold } = await heldPastRetention();
    expect((await r!.req('POST', `/api/holds/${hold.id}/release`, { as: 'legal1', body: { reason: 'my own hold' } })).statusCode).toBe(200);
    const id2 = addRecording(r!.base, { seq: 2, officerNo: '100001', file: makeMp4(), startMs: r!.base.clock.t - 3_600_000 });
    await r!.sign([id2]);
    const young = (await r!.req('POST', '/api/holds', { as: 'legal1', body: { recordingIds: [id2], reason: 'sensitive', caseRef: 'C-10' } })).json();
    const rel = await r!.req('POST', `/api/holds/${young.id}/release`, { as: 'sup1', body: { reason: 'not sensitive after all' } });
    expect(rel.statusCode, rel.body).toBe(200);
    expect(rel.json()).toMatchObject({ active: false, releasedBy: 'sup1', releaseConfirmedBy: null });
  });
});
