import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_GENESIS } from '../../../daemon/ledger/audit.js';
import { Ledger } from '../../../daemon/ledger/index.js';

let dir: string;
const open = () => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-audit-'));
  return Ledger.open(join(dir, 'l.sqlite'), (ms) => new Date(ms).toISOString());
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('audit trail', () => {
  it('chains every entry to the one before', () => {
    const l = open();
    const a = l.audit.append(1000, 'alice', 'x.did', 's1', { n: 1 });
    const b = l.audit.append(2000, 'bob', 'y.did', null, { n: 2 });
    expect(a.prevHash).toBe(AUDIT_GENESIS);
    expect(b.prevHash).toBe(a.hash);
    expect(l.audit.head()).toBe(b.hash);
    expect(l.audit.verify()).toMatchObject({ ok: true, entries: 2, head: b.hash });
    l.close();
  });

  it('refuses updates and deletes at the database level', () => {
    const l = open();
    l.audit.append(1000, 'alice', 'x.did', 's1');
    expect(() => l.rawForTests().prepare("UPDATE audit SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => l.rawForTests().prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    l.close();
  });

  it('names the first altered entry', () => {
    const l = open();
    l.audit.append(1000, 'alice', 'a', null);
    const second = l.audit.append(2000, 'alice', 'b', null, { amount: 1 });
    l.audit.append(3000, 'alice', 'c', null);
    // An attacker with the file drops the trigger and edits an entry.
    l.rawForTests().exec('DROP TRIGGER audit_no_update');
    l.rawForTests().prepare('UPDATE audit SET detail = ? WHERE id = ?').run(JSON.stringify({ amount: 2 }), second.id);
    const v = l.audit.verify();
    expect(v.ok).toBe(false);
    expect(v.brokenAt).toBe(second.id);
    l.close();
  });
});
