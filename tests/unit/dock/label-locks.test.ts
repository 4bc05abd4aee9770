import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LabelLocks } from '../../../daemon/dock/context.js';

describe('LabelLocks', () => {
  it('a wait for a held label leaves no abort listener behind once it gets the label', async () => {
    const locks = new LabelLocks();
    const ac = new AbortController();
    for (let round = 0; round < 15; round++) {
      const release = await locks.acquire('BWCA000001', ac.signal);
      const next = locks.acquire('BWCA000001', ac.signal);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      release();
      (await next)();
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    }
  });

  it('a wait gives up at once when its signal fires, and the label stays with its holder', async () => {
    const locks = new LabelLocks();
    const release = await locks.acquire('BWCA000002');
    const ac = new AbortController();
    const waiting = locks.acquire('BWCA000002', ac.signal);
    ac.abort(new Error('recorder unplugged'));
    await expect(waiting).rejects.toThrow('recorder unplugged');
    expect(locks.isHeld('BWCA000002')).toBe(true);
    release();
    expect(locks.isHeld('BWCA000002')).toBe(false);
  });
});
