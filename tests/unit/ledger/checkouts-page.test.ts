/**
 * A recorder's checkouts page by page (the device ledger, issue 19): newest first, each period exactly once
 * whatever the page size, periods handed out at the same instant told apart by id, other recorders' periods
 * never mixed in; and the plan walks the index checkouts_serial in order and seeks to the cursor, so a deep page
 * costs what the first does. Behaviour is checked against a plain sort of every row. The open checkout (whom the
 * recorder is out to) comes from an index of the open ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Checkout, CheckoutKey } from '../../../daemon/ledger/checkouts.js';
import { Ledger } from '../../../daemon/ledger/index.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const open = () => {
  dir = mkdtempSync(join(tmpdir(), 'bwc-checkouts-page-'));
  return Ledger.open(join(dir, 'l.sqlite'), (ms) => new Date(ms).toISOString());
};

const T0 = Date.parse('2026-03-02T00:00:00Z');
const HOUR = 3_600_000;

/** Three recorders' checkouts inserted out of time order; SN000001 gets the even slots, two to each instant. */
function seed(l: Ledger): void {
  l.tx(() => {
    l.officers.upsert({ officerNo: '100001', name: '张伟', unitNo: 'U01', unitName: '一中队' }, T0);
    for (const serial of ['SN000001', 'SN000002', 'SN000003']) l.devices.docked({ serial, idCode: 'AB1', firmware: 'fw', caps: 7 }, T0);
    for (let i = 0; i < 230; i++) {
      const serial = ['SN000001', 'SN000002', 'SN000001', 'SN000003'][i % 4]!;
      const slot = (i * 7919) % 230;
      const outMs = T0 + Math.floor(slot / 4) * HOUR;
      const id = l.checkouts.checkOut(serial, '100001', 'em1', outMs);
      l.checkouts.checkIn(id, 'dock', outMs + HOUR / 2, null);
    }
    // SN000003 is out now: its open period is its newest.
    l.checkouts.checkOut('SN000003', '100001', 'em1', T0 + 100 * HOUR);
  });
}

/** Every page, following the cursor of each page's last period as the console does. */
function allPages(l: Ledger, serial: string, limit: number): number[][] {
  const pages: number[][] = [];
  let after: CheckoutKey | undefined;
  for (;;) {
    const rows = l.checkouts.pageOfDevice(serial, limit, after);
    if (rows.length > 0) pages.push(rows.map((c) => c.id));
    if (rows.length < limit) return pages;
    const last = rows[rows.length - 1]!;
    after = { outAtMs: last.outAtMs, id: last.id };
  }
}

const newestFirst = (all: Checkout[]) => [...all].sort((a, b) => b.outAtMs - a.outAtMs || b.id - a.id).map((c) => c.id);

describe("a recorder's checkouts in pages", () => {
  it('answers every period of the recorder once, newest first, for any page size', () => {
    const l = open();
    seed(l);
    const all = l.checkouts.ofDevice('SN000001');
    expect(all.length).toBe(115);
    const want = newestFirst(all);
    // The seed really has periods at the same instant, so the id must break the tie.
    expect(new Set(all.map((c) => c.outAtMs)).size).toBeLessThan(all.length);
    for (const limit of [1, 2, 7, 50, 115, 116, 1000]) {
      const pages = allPages(l, 'SN000001', limit);
      expect(pages.flat()).toEqual(want);
      expect(pages.every((p, i) => p.length === limit || i === pages.length - 1)).toBe(true);
    }
    // The open period (not checked in yet) leads its recorder's first page.
    expect(l.checkouts.pageOfDevice('SN000003', 1)[0]).toMatchObject({ outAtMs: T0 + 100 * HOUR, inAtMs: null });
    l.close();
  });

  it('a cursor past the oldest period answers an empty page; another recorder has none of these', () => {
    const l = open();
    seed(l);
    const oldest = l.checkouts.pageOfDevice('SN000001', 1000).at(-1)!;
    expect(l.checkouts.pageOfDevice('SN000001', 10, { outAtMs: oldest.outAtMs, id: oldest.id })).toEqual([]);
    expect(l.checkouts.pageOfDevice('SN000009', 10)).toEqual([]);
    l.close();
  });

  it('walks the index checkouts_serial in order and seeks to the cursor: no scan, no sort', () => {
    const l = open();
    const { first, after, open: openOne } = l.checkouts.plans();
    expect(first.join('\n')).toMatch(/SEARCH checkouts USING INDEX checkouts_serial \(serial=\?\)/);
    expect(after.join('\n')).toMatch(/SEARCH checkouts USING INDEX checkouts_serial \(serial=\? AND out_at_ms<\?\)/);
    // Whom it is out to: the open checkouts alone (every device page asks; the walk of ~1000 periods cost 2 ms).
    expect(openOne.join('\n')).toMatch(/SEARCH checkouts USING INDEX checkouts_open \(serial=\?\)/);
    for (const plan of [first, after, openOne]) expect(plan.join('\n')).not.toMatch(/TEMP B-TREE|SCAN checkouts/);
    l.close();
  });

  it("a recorder's open checkout is found among its closed ones, and none once it is checked in", () => {
    const l = open();
    seed(l);
    expect(l.checkouts.open('SN000003')).toMatchObject({ outAtMs: T0 + 100 * HOUR, inAtMs: null });
    expect(l.checkouts.open('SN000001')).toBeNull();
    l.checkouts.checkIn(l.checkouts.open('SN000003')!.id, 'em1', T0 + 101 * HOUR, null);
    expect(l.checkouts.open('SN000003')).toBeNull();
    l.close();
  });
});
