/**
 * Spot-checks (R13, 004 §17; the "双随机" practice of 000 (一)1 and 002 (一)1: a random sample, a random reviewer):
 * the draw as a pure function of a recorded seed, and the checklist the reviewer scores, built from 004's rules.
 * Pure: no clock, no ledger; the same seed and inputs always give the same sample and reviewer.
 * @module
 */
import { createHash } from 'node:crypto';

/** Version of the draw's algorithm, part of the seed's derivation: a changed algorithm never replays an old seed silently. */
export const DRAW_ALGORITHM = 'bwc-spot-check/v1';

/**
 * The seed of a draw: SHA-256 over the algorithm, the audit trail's head hash just before the draw and the draw's
 * time. Nobody chooses it: the head hash is fixed by everything audited before, and the time is the dock's clock.
 */
export function drawSeed(auditHead: string, drawnAtMs: number): string {
  return createHash('sha256').update(`${DRAW_ALGORITHM}\n${auditHead}\n${drawnAtMs}`).digest('hex');
}

/**
 * A deterministic stream of 32-bit integers from a seed: block i is SHA-256(seed ":" i), read as eight big-endian
 * words. Anyone can recompute it with any SHA-256 tool.
 */
export class SeedStream {
  private block = 0;
  private words: number[] = [];

  constructor(private readonly seed: string) {}

  next(): number {
    if (this.words.length === 0) {
      const d = createHash('sha256').update(`${this.seed}:${this.block++}`).digest();
      for (let i = 28; i >= 0; i -= 4) this.words.push(d.readUInt32BE(i));
    }
    return this.words.pop()!;
  }

  /** A uniform integer in [0, n): rejection sampling, so no value is favoured by the modulo. */
  below(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`below(${n}): n must be an integer in 1..2^32`);
    const limit = Math.floor(2 ** 32 / n) * n;
    for (;;) {
      const u = this.next();
      if (u < limit) return u % n;
    }
  }
}

export interface DrawInputs {
  seed: string;
  /** Every recording that could be drawn, by id (any order: they are sorted first). */
  candidates: readonly number[];
  size: number;
  /** The officer of each candidate (officer number), to keep the reviewer off their own footage. */
  officerOf: (recordingId: number) => string | null;
  /** Usernames of the supervisors who may review (any order: sorted first). */
  reviewers: readonly string[];
}

export interface Draw {
  /** The sampled recording ids, in the order drawn. */
  recordings: number[];
  reviewer: string | null;
  /** The supervisors the reviewer was drawn from: those who are not an officer of a sampled recording. */
  eligibleReviewers: string[];
}

const byNumber = (a: number, b: number) => a - b;
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The sample: a partial Fisher–Yates shuffle of the sorted candidates (min(size, n) of them, each subset equally
 * likely), then the reviewer: one of the sorted supervisors who are not the officer of any sampled recording
 * (an officer's username is their officer number), or null when none is left.
 */
export function drawSpotCheck(d: DrawInputs): Draw {
  const rng = new SeedStream(d.seed);
  const pool = [...new Set(d.candidates)].sort(byNumber);
  const k = Math.min(Math.max(0, Math.floor(d.size)), pool.length);
  for (let i = 0; i < k; i++) {
    const j = i + rng.below(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const recordings = pool.slice(0, k);
  const officers = new Set(recordings.map(d.officerOf).filter((o): o is string => o !== null));
  const eligibleReviewers = [...new Set(d.reviewers)].filter((u) => !officers.has(u)).sort(byText);
  const reviewer = eligibleReviewers.length > 0 ? eligibleReviewers[rng.below(eligibleReviewers.length)]! : null;
  return { recordings, reviewer, eligibleReviewers };
}

/** A digest of the candidate set, stored with the draw so a re-run can show it saw the same recordings. */
export function candidatesDigest(candidates: readonly number[]): string {
  return createHash('sha256').update([...new Set(candidates)].sort(byNumber).join(',')).digest('hex');
}

/** One item of the review checklist: a key, the rule it comes from, and what the reviewer checks (the rule's words). */
export interface ChecklistItem {
  item: string;
  rule: string;
  text: string;
}

/**
 * The checklist of a footage review (004 §17 评查), one item per duty of the officer in 004 §5, §8–§11 and §18,
 * in the rule's own words. A failed item is a finding against the recording's officer (`spot_check_failed`).
 */
export const CHECKLIST: readonly ChecklistItem[] = [
  {
    item: 'whole_course',
    rule: '004 §8',
    text: '全程记录：自行政执法人员到达现场开展执法活动时开始，至执法活动结束离开现场时结束。',
  },
  {
    item: 'announcement',
    rule: '004 §8',
    text: '到达现场开启执法记录仪后，按照执法行为用语指引，将执法行动目的、任务、执法人员情况的语音同期录入。',
  },
  {
    item: 'party_told',
    rule: '004 §9',
    text: '事先告知当事人使用音像记录设备，并按照统一制定的执法行为用语，规范文明开展音像记录。',
  },
  {
    item: 'scene_shown',
    rule: '004 §10',
    text: '反映执法现场的地点、时间、场景、参与人员、执法人员行为、相对人行为、有无违法行为、重要涉案物品及相关证据。',
  },
  {
    item: 'clear_complete',
    rule: '004 §11',
    text: '拍摄角度、模式得当，画质清晰、内容完整、记录有效；对相关证据及关键执法节点拍照。',
  },
  {
    item: 'work_only',
    rule: '004 §5',
    text: '客观、真实地记录执法工作，固定相关证据；未摄录存储与工作无关的内容，未在非执法工作中使用执法记录仪。',
  },
  {
    item: 'no_misuse',
    rule: '004 §18',
    text: '无不按规定佩戴使用、删减修改或弄虚作假、滥用私用或交由非本单位人员使用、私自复制保存传播泄露、故意毁坏等行为。',
  },
];

export interface ItemScore {
  item: string;
  pass: boolean;
  note?: string | null | undefined;
}

/**
 * Why a score sheet is not acceptable, or null: every checklist item exactly once, and a failed item says what
 * was wrong (the note becomes the finding's words).
 */
export function scoreSheetProblem(items: readonly ItemScore[], checklist: readonly ChecklistItem[] = CHECKLIST): string | null {
  const known = new Set(checklist.map((c) => c.item));
  const seen = new Set<string>();
  for (const s of items) {
    if (!known.has(s.item)) return `unknown checklist item "${s.item}"`;
    if (seen.has(s.item)) return `checklist item "${s.item}" is scored twice`;
    seen.add(s.item);
    if (!s.pass && !(s.note ?? '').trim()) return `checklist item "${s.item}" failed: its note must say what was wrong`;
  }
  const missing = checklist.filter((c) => !seen.has(c.item)).map((c) => c.item);
  return missing.length ? `checklist items not scored: ${missing.join(', ')}` : null;
}
