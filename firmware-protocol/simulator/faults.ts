import type { Command } from '../codec/constants.js';
import { MAGIC0, MAGIC1 } from '../codec/constants.js';

/**
 * What may go wrong with one answer:
 * - `drop`: the request is carried out but its answer is lost;
 * - `ignore`: the request is lost on the way in (not carried out, no answer);
 * - `corrupt`: the answer goes out with a broken CRC (the host drops it);
 * - `delay`: the answer goes out `ms` later (the recorder handles nothing else meanwhile);
 * - `noise`: `bytes` random bytes (never the magic A5 5A) go out before the answer.
 */
export type FaultAction =
  | { kind: 'drop' }
  | { kind: 'ignore' }
  | { kind: 'corrupt' }
  | { kind: 'delay'; ms: number }
  | { kind: 'noise'; bytes: number };

/** A fault and the requests it hits; every condition given must hold. */
export interface FaultRule {
  action: FaultAction;
  /** Only requests for this command. */
  command?: Command;
  /** Only the Nth request the recorder receives (1-based, counting every request since it was created). */
  nth?: number;
  /** Chance per matching request, 0..1 (default 1). */
  probability?: number;
  /** How many more times it may fire; absent: unlimited. Decremented on each firing; 0 is spent. */
  times?: number;
}

export interface AnswerPlan {
  ignore: boolean;
  drop: boolean;
  corrupt: boolean;
  delayMs: number;
  noise: Buffer;
}

/** Decide what happens to the answer of request number `n` for `command`; spends the rules that fire. */
export function planAnswer(rules: FaultRule[], command: number, n: number, random: () => number): AnswerPlan {
  const plan: AnswerPlan = { ignore: false, drop: false, corrupt: false, delayMs: 0, noise: Buffer.alloc(0) };
  for (const r of rules) {
    if (r.times !== undefined && r.times <= 0) continue;
    if (r.command !== undefined && r.command !== command) continue;
    if (r.nth !== undefined && r.nth !== n) continue;
    if (r.probability !== undefined && random() >= r.probability) continue;
    if (r.times !== undefined) r.times--;
    const a = r.action;
    if (a.kind === 'drop') plan.drop = true;
    else if (a.kind === 'ignore') plan.ignore = true;
    else if (a.kind === 'corrupt') plan.corrupt = true;
    else if (a.kind === 'delay') plan.delayMs += a.ms;
    else plan.noise = Buffer.concat([plan.noise, noiseBytes(a.bytes, random)]);
  }
  return plan;
}

/** Random bytes that never contain the magic pair A5 5A (so noise cannot hide or fake a frame start). */
export function noiseBytes(n: number, random: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    let v = Math.floor(random() * 256);
    if (v === MAGIC1 && i > 0 && b[i - 1] === MAGIC0) v = 0x00;
    b[i] = v;
  }
  // A trailing A5 could pair with the answer's own magic and shift it: end on something harmless.
  if (n > 0 && b[n - 1] === MAGIC0) b[n - 1] = 0x00;
  return b;
}

/** Flip bits of the CRC so the host's deframer drops the frame. */
export function corruptFrame(frame: Buffer): Buffer {
  const c = Buffer.from(frame);
  c[c.length - 1] = c[c.length - 1]! ^ 0xff;
  return c;
}

/** A small seeded PRNG (mulberry32) for reproducible fault runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
