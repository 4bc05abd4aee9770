import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Command } from '../../../../firmware-protocol/codec/constants.js';
import { noiseBytes, planAnswer, seededRandom, type FaultRule } from '../../../../firmware-protocol/simulator/faults.js';

describe('fault rules', () => {
  it('noise never contains the magic and never ends in A5', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const b = noiseBytes(n, seededRandom(seed));
        expect(b).toHaveLength(n);
        for (let i = 1; i < b.length; i++) expect(b[i - 1] === 0xa5 && b[i] === 0x5a).toBe(false);
        if (n > 0) expect(b[n - 1]).not.toBe(0xa5);
      }),
    );
  });

  it('matches on command and request number and spends `times`', () => {
    const rules: FaultRule[] = [
      { action: { kind: 'drop' }, command: Command.GET_STATUS, times: 1 },
      { action: { kind: 'delay', ms: 300 }, nth: 3 },
    ];
    const r = seededRandom(1);
    expect(planAnswer(rules, Command.HELLO, 1, r)).toMatchObject({ drop: false, delayMs: 0 });
    expect(planAnswer(rules, Command.GET_STATUS, 2, r)).toMatchObject({ drop: true, delayMs: 0 });
    expect(planAnswer(rules, Command.GET_STATUS, 3, r)).toMatchObject({ drop: false, delayMs: 300 });
    expect(rules[0]!.times).toBe(0);
  });

  it('fires a probabilistic rule about as often as asked', () => {
    const rules: FaultRule[] = [{ action: { kind: 'corrupt' }, probability: 0.25 }];
    const r = seededRandom(42);
    let hits = 0;
    for (let i = 0; i < 2000; i++) if (planAnswer(rules, 1, i, r).corrupt) hits++;
    expect(hits).toBeGreaterThan(400);
    expect(hits).toBeLessThan(600);
  });
});
