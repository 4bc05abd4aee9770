import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKLIST, SeedStream, candidatesDigest, drawSeed, drawSpotCheck, scoreSheetProblem } from '../../../daemon/policy/spot-check.js';

const HEAD = 'a3'.repeat(32);
/** A fixed list of seeds: the tests below are deterministic (they cannot flake), yet span many draws. */
const SEEDS = Array.from({ length: 4000 }, (_, i) => drawSeed(HEAD, Date.parse('2026-03-02T08:00:00+08:00') + i * 1000));

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}
/** Upper 0.1 % points of the chi-square distribution (a fair draw exceeds them once in a thousand seed lists). */
const CHI2_999: Record<number, number> = { 3: 16.27, 9: 27.88, 11: 31.26 };

describe('the draw of a spot-check', () => {
  const candidates = Array.from({ length: 12 }, (_, i) => 100 + i * 7);
  const officerOf = (id: number) => `10000${(id % 3) + 1}`;

  it('is a function of its seed: the same seed and inputs draw the same sample and reviewer, in any input order', () => {
    const a = drawSpotCheck({ seed: SEEDS[0]!, candidates, size: 4, officerOf, reviewers: ['sup1', 'sup2', 'sup3'] });
    const b = drawSpotCheck({ seed: SEEDS[0]!, candidates: [...candidates].reverse(), size: 4, officerOf, reviewers: ['sup3', 'sup1', 'sup2'] });
    expect(b).toEqual(a);
    expect(a.recordings).toHaveLength(4);
    expect(new Set(a.recordings).size).toBe(4);
    const other = SEEDS.slice(1, 20).map((seed) => drawSpotCheck({ seed, candidates, size: 4, officerOf, reviewers: ['sup1', 'sup2', 'sup3'] }).recordings.join());
    expect(other.some((o) => o !== a.recordings.join())).toBe(true);
  });

  it('derives its seed from the audit head and the time, and the stream from SHA-256 anyone can recompute', () => {
    expect(drawSeed(HEAD, 1)).toBe(drawSeed(HEAD, 1));
    expect(drawSeed(HEAD, 1)).not.toBe(drawSeed(HEAD, 2));
    expect(drawSeed(HEAD, 1)).not.toBe(drawSeed('b4'.repeat(32), 1));
    // Block 0 is SHA-256("<seed>:0"); its first big-endian word is the stream's first number.
    const seed = SEEDS[0]!;
    const first = createHash('sha256').update(`${seed}:0`).digest().readUInt32BE(0);
    expect(new SeedStream(seed).next()).toBe(first);
  });

  it('is uniform over many seeds: each candidate is drawn first equally often (chi-square, 11 df, fixed seeds)', () => {
    const counts = candidates.map(() => 0);
    for (const seed of SEEDS) {
      const d = drawSpotCheck({ seed, candidates, size: 1, officerOf, reviewers: ['sup1'] });
      counts[candidates.indexOf(d.recordings[0]!)]!++;
    }
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(chiSquare(counts)).toBeLessThan(CHI2_999[11]!);
  });

  it('is uniform over many seeds for a sample of 3 of 10: every candidate is included equally often', () => {
    const ten = candidates.slice(0, 10);
    const counts = ten.map(() => 0);
    for (const seed of SEEDS) for (const r of drawSpotCheck({ seed, candidates: ten, size: 3, officerOf, reviewers: ['sup1'] }).recordings) counts[ten.indexOf(r)]!++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(SEEDS.length * 3);
    expect(chiSquare(counts)).toBeLessThan(CHI2_999[9]!);
  });

  it('draws the reviewer uniformly from the eligible supervisors (chi-square, 3 df)', () => {
    const reviewers = ['sup1', 'sup2', 'sup3', 'sup4'];
    const counts = reviewers.map(() => 0);
    for (const seed of SEEDS) counts[reviewers.indexOf(drawSpotCheck({ seed, candidates, size: 2, officerOf, reviewers }).reviewer!)]!++;
    expect(chiSquare(counts)).toBeLessThan(CHI2_999[3]!);
  });

  it('the same bound refuses a draw that favours some candidates (the test has power)', () => {
    // Counts of a draw that gives the last candidate three times its share.
    const biased = candidates.map(() => 0);
    for (let i = 0; i < SEEDS.length; i++) biased[Math.min(i % 14, 11)]!++;
    expect(chiSquare(biased)).toBeGreaterThan(CHI2_999[11]!);
  });

  it('never makes an officer of a sampled recording its reviewer, whatever the seed, sample and supervisors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SEEDS.length - 1 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 10 }),
        fc.uniqueArray(fc.constantFrom('100001', '100002', '100003', '100004', 'sup1', 'sup2'), { minLength: 1 }),
        (s, ids, size, reviewers) => {
          const owner = (id: number) => `10000${(id % 4) + 1}`;
          const d = drawSpotCheck({ seed: SEEDS[s]!, candidates: ids, size, officerOf: owner, reviewers });
          const officers = new Set(d.recordings.map(owner));
          if (d.reviewer !== null) expect(officers.has(d.reviewer)).toBe(false);
          else expect(reviewers.every((r) => officers.has(r))).toBe(true);
          expect(d.recordings.length).toBe(Math.min(size, ids.length));
          expect(d.recordings.every((r) => ids.includes(r))).toBe(true);
        },
      ),
      { seed: 17, numRuns: 500 },
    );
  });

  it("digests the candidate set independently of its order", () => {
    expect(candidatesDigest([3, 1, 2])).toBe(candidatesDigest([1, 2, 3]));
    expect(candidatesDigest([1, 2])).not.toBe(candidatesDigest([1, 2, 3]));
  });

  it('below(n) refuses what it cannot draw uniformly', () => {
    const s = new SeedStream(SEEDS[0]!);
    expect(() => s.below(0)).toThrow(RangeError);
    expect(() => s.below(1.5)).toThrow(RangeError);
    expect(s.below(1)).toBe(0);
  });
});

describe('the checklist', () => {
  // A copy of ../shared/seeds/004 kept in the project: CI checks out the project alone.
  const seed004 = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'seeds', '004_5d010a0d121cb6dd.txt'), 'utf8');

  it('has an item for each rule of 004 §5, §8, §9, §10, §11 and §18, each in the rule’s own words', () => {
    expect(new Set(CHECKLIST.map((c) => c.rule))).toEqual(new Set(['004 §5', '004 §8', '004 §9', '004 §10', '004 §11', '004 §18']));
    expect(new Set(CHECKLIST.map((c) => c.item)).size).toBe(CHECKLIST.length);
    // Phrases quoted from the seed's articles are in the items.
    for (const phrase of ['到达现场开展执法活动时开始', '执法行动目的、任务、执法人员情况', '事先告知当事人使用音像记录设备', '重要涉案物品及相关证据', '画质清晰、内容完整、记录有效', '与工作无关的内容', '弄虚作假']) {
      expect(seed004).toContain(phrase);
      expect(CHECKLIST.some((c) => c.text.includes(phrase))).toBe(true);
    }
  });

  it('a score sheet scores every item once, and a failed item says what was wrong', () => {
    const all = CHECKLIST.map((c) => ({ item: c.item, pass: true }));
    expect(scoreSheetProblem(all)).toBeNull();
    expect(scoreSheetProblem(all.slice(1))).toMatch(/not scored: whole_course/);
    expect(scoreSheetProblem([...all, { item: 'whole_course', pass: true }])).toMatch(/twice/);
    expect(scoreSheetProblem([...all, { item: 'bogus', pass: true }])).toMatch(/unknown/);
    expect(scoreSheetProblem(all.map((a, i) => (i === 0 ? { ...a, pass: false } : a)))).toMatch(/note must say/);
    expect(scoreSheetProblem(all.map((a, i) => (i === 0 ? { ...a, pass: false, note: '到场后 2 分钟才开机' } : a)))).toBeNull();
  });
});
