import { describe, expect, it } from 'vitest';
import { parseDeviceTime } from '../../../firmware-protocol/codec/fields.js';
import type { EventEntry, FileEntry } from '../../../firmware-protocol/codec/payloads.js';
import { catalogKey, coveringCheckout, identityConflict, planDocking, type LedgerFacts, type PlanEnv, type PlanInput } from '../../../daemon/dock/plan.js';
import { toIsoInZone } from '../../../daemon/policy/time-format.js';

// The dock's clock: 2026-11-24 10:00:00 in Shanghai (UTC+8); the recorder reads the same time.
const NOW = Date.parse('2026-11-24T10:00:00+08:00');
const SERIAL = 'A000201';
const env = (o: Partial<PlanEnv> = {}): PlanEnv => ({
  nowMs: NOW,
  synced: true,
  timezone: 'Asia/Shanghai',
  retentionMonths: 6,
  driftWarnMs: 5_000,
  driftFaultMs: 60_000,
  iso: (ms) => toIsoInZone(ms, 'Asia/Shanghai'),
  ...o,
});
const file = (seq: number, o: Partial<FileEntry> = {}): FileEntry => {
  const startRaw = o.startRaw ?? '20261124080000';
  return { name: `DCIM/100BWC/${SERIAL}_000001_${startRaw}_${String(seq).padStart(4, '0')}.MP4`, size: 1000n, startRaw, start: parseDeviceTime(startRaw), durationMs: 60_000, seq, flags: 0, sha256: null, ...o };
};
const deviceTime = (ms: number) => {
  const d = new Date(ms + 8 * 3600_000);
  const raw = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return { raw, time: parseDeviceTime(raw), ms: 0, tz: 480 };
};
const input = (o: Partial<PlanInput> & { driftMs?: number } = {}): PlanInput => ({
  sessionId: 'S1',
  hello: { proto: 1, serial: SERIAL, idCode: 'SIM01', firmware: 'x', caps: 0xf },
  info: { serial: SERIAL, userNo: '000001', userName: 'a', unitNo: 'U1', unitName: 'b' },
  clock: { ...deviceTime(NOW + (o.driftMs ?? 0)), sentAt: NOW, receivedAt: NOW },
  events: [],
  eventsTotal: 0,
  catalog: [file(1), file(2)],
  ...o,
});
const facts = (o: Partial<LedgerFacts> = {}): LedgerFacts => ({
  storedEvents: [],
  lastSync: null,
  lastKnownSeq: null,
  stored: new Set(),
  checkouts: [{ id: 7, officerNo: '000001', outAtMs: NOW - 12 * 3600_000, inAtMs: null }],
  officerUnits: new Map([['000001', 'UNIT-A']]),
  ...o,
});

describe('planDocking: a pure function from what the recorder said and the ledger knew to decisions', () => {
  const cases: Array<{ name: string; input: PlanInput; facts: LedgerFacts; env: PlanEnv; expect: (p: ReturnType<typeof planDocking>) => void }> = [
    {
      name: 'a plain docking: both files to copy, attributed to the checkout, nothing to report',
      input: input(),
      facts: facts(),
      env: env(),
      expect: (p) => {
        expect(p.toCopy.map((x) => x.entry.seq)).toEqual([1, 2]);
        expect(p.toCopy[0]!.recording).toMatchObject({ officerNo: '000001', unitNo: 'UNIT-A', checkoutId: 7, flags: [], storedDir: 'footage/A000201/2026-11', sessionId: 'S1', correctedStart: '2026-11-24T08:00:00.000+08:00' });
        expect(p.findings).toEqual([]);
        expect(p.skipped).toBe(0);
      },
    },
    {
      name: 'a file already stored is skipped and may be erased',
      input: input(),
      facts: facts({ stored: new Set([catalogKey(file(1))]) }),
      env: env(),
      expect: (p) => {
        expect(p.toCopy.map((x) => x.entry.seq)).toEqual([2]);
        expect(p.erasable.map((x) => x.seq)).toEqual([1]);
        expect(p.skipped).toBe(1);
      },
    },
    {
      name: 'an unsynchronised dock: a dock_unsynced finding once a day, no corrected times',
      input: input(),
      facts: facts(),
      env: env({ synced: false }),
      expect: (p) => {
        expect(p.findings.map((f) => [f.kind, f.dedupeKey])).toEqual([['dock_unsynced', 'dock_unsynced:2026-11-24']]);
        expect(p.toCopy.every((x) => x.recording.correctedStart === null && x.recording.flags.includes('dock_unsynced'))).toBe(true);
      },
    },
    {
      name: 'a recorder 90 s fast: a drift finding and times corrected by it',
      input: input({ driftMs: 90_000, catalog: [file(1)] }),
      facts: facts(),
      env: env(),
      expect: (p) => {
        expect(p.findingKinds).toEqual(['drift']);
        expect(p.clock.driftMs).toBe(90_000);
        expect(p.toCopy[0]!.recording.correctedStart).toBe('2026-11-24T07:58:30.000+08:00');
      },
    },
    {
      name: 'a clock that reads nonsense: clock_reset, retention from the offload',
      input: input({ clock: { raw: '00000000000000', time: null, ms: 0, tz: 480, sentAt: NOW, receivedAt: NOW }, catalog: [file(1, { startRaw: '20000101000000' })] }),
      facts: facts(),
      env: env(),
      expect: (p) => {
        expect(p.findingKinds).toContain('clock_reset');
        expect(p.toCopy[0]!.recording.flags).toContain('clock_reset');
        expect(p.toCopy[0]!.recording.retainUntil.slice(0, 7)).toBe('2027-05');
      },
    },
    {
      name: 'no checkout covers the recording: no_checkout, officer from the INFO block',
      input: input({ catalog: [file(1)] }),
      facts: facts({ checkouts: [] }),
      env: env(),
      expect: (p) => expect(p.toCopy[0]!.recording).toMatchObject({ officerNo: '000001', checkoutId: null, flags: ['no_checkout'] }),
    },
    {
      name: "the checkout names another officer than the recorder: wrong_officer, the ledger's officer kept",
      input: input({ catalog: [file(1)] }),
      facts: facts({ checkouts: [{ id: 9, officerNo: '000002', outAtMs: NOW - 3600_000 * 5, inAtMs: null }], officerUnits: new Map([['000002', 'UNIT-B']]) }),
      env: env(),
      expect: (p) => expect(p.toCopy[0]!.recording).toMatchObject({ officerNo: '000002', unitNo: 'UNIT-B', checkoutId: 9, flags: ['wrong_officer'] }),
    },
    {
      name: 'a recording from two days ago: late_offload with its delay',
      input: input({ catalog: [file(1, { startRaw: '20261122080000' })] }),
      facts: facts({ checkouts: [{ id: 7, officerNo: '000001', outAtMs: NOW - 3 * 86400_000, inAtMs: null }] }),
      env: env(),
      expect: (p) => {
        expect(p.toCopy[0]!.late).toBe(true);
        expect(p.toCopy[0]!.recording.flags).toContain('late_offload');
      },
    },
    {
      name: 'a seq hole after the last stored seq: seq_missing; a bad name and an absurd size are reported, not copied',
      input: input({ catalog: [file(5), { ...file(6), name: '../etc/passwd' }, { ...file(7), size: 1n << 60n }] }),
      facts: facts({ lastKnownSeq: 2 }),
      env: env(),
      expect: (p) => {
        expect(p.toCopy.map((x) => x.entry.seq)).toEqual([5]);
        expect(p.findingKinds).toEqual(expect.arrayContaining(['seq_missing', 'bad_name', 'size_mismatch']));
        const missing = p.findings.find((f) => f.kind === 'seq_missing')!;
        expect([missing.seqFrom, missing.seqTo]).toEqual([3, 4]);
        expect(p.findings.every((f) => f.serial === SERIAL && f.sessionId === 'S1')).toBe(true);
      },
    },
    {
      name: 'events read now are kept with the zone and the last index',
      input: input({ events: [{ index: 4, timeRaw: '20261124070000', time: parseDeviceTime('20261124070000'), code: 0x05, arg: 0 } satisfies EventEntry], eventsTotal: 5 }),
      facts: facts(),
      env: env(),
      expect: (p) => expect(p.events).toMatchObject({ tz: 480, lastIndex: 4, rows: [{ index: 4 }] }),
    },
  ];
  for (const c of cases) it(c.name, () => c.expect(planDocking(c.input, c.facts, c.env)));

  it('is pure: the same input gives the same plan, and the input is not changed', () => {
    const i = input();
    const f = facts();
    const before = JSON.stringify(i, (_, v) => (typeof v === 'bigint' ? String(v) : v));
    const a = planDocking(i, f, env());
    const b = planDocking(i, f, env());
    expect(JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
    expect(JSON.stringify(i, (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(before);
  });
});

describe('coveringCheckout', () => {
  const c = (id: number, out: number, inn: number | null) => ({ id, officerNo: String(id), outAtMs: out, inAtMs: inn });
  const table: Array<[string, ReturnType<typeof c>[], number, number | null]> = [
    ['inside a closed period', [c(1, 10, 20)], 15, 1],
    ['at its very ends', [c(1, 10, 20)], 20, 1],
    ['outside every period', [c(1, 10, 20)], 25, null],
    ['an open period', [c(1, 10, null)], 1000, 1],
    ['two overlapping: the latest out', [c(1, 10, null), c(2, 12, 30)], 15, 2],
  ];
  for (const [name, list, at, id] of table) it(name, () => expect(coveringCheckout(list, at)?.id ?? null).toBe(id));
});

describe('identityConflict: HELLO, INFO and the file names must name one serial', () => {
  const name = (s: string) => ({ name: `DCIM/100BWC/${s}_000001_20261124080000_0001.MP4` });
  const table: Array<[string, string, string, Array<{ name: string }>, RegExp | null]> = [
    ['all agree', 'A1', 'A1', [name('A1')], null],
    ['names outside the scheme carry no serial', 'A1', 'A1', [{ name: 'DCIM/odd.MP4' }], null],
    // Outside the scheme by a detail (extension case, folder, seq digits) but still <serial>_<userNo>_<time>_<seq>.
    ['a near-spec name still says whose it is', 'A1', 'A1', [name('A1'), { name: 'DCIM/100BWC/C3_000001_20261124080000_0002.mp4' }], /file names say "A1", "C3"/],
    ['a near-spec name in another folder', 'A1', 'A1', [{ name: 'DCIM/C3_000001_20261124080000_002.MP4' }], /file names say "C3"/],
    ['a near-spec name of this recorder agrees', 'A1', 'A1', [{ name: 'VIDEO/A1_000001_20261124080000_7.mov' }], null],
    ['INFO disagrees', 'A1', 'B2', [name('A1')], /HELLO says serial "A1", its INFO block says "B2", its file names say "A1"/],
    ['a file name disagrees', 'A1', 'A1', [name('A1'), name('C3')], /file names say "A1", "C3"/],
    ['all three differ', 'A1', 'B2', [name('C3')], /"A1".*"B2".*"C3"/],
  ];
  for (const [label, hello, info, catalog, re] of table) {
    it(label, () => {
      const r = identityConflict({ serial: hello }, { serial: info }, catalog);
      if (re === null) expect(r).toBeNull();
      else expect(r!.detail).toMatch(re);
    });
  }
});
