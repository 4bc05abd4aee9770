import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../../daemon/ingest/keyed-queue.js';
import { copyEach } from '../../../daemon/ingest/scheduler.js';

/** A job that runs until `release(name)` is called; `log` keeps the order of starts and ends. */
function gate(log: string[]) {
  const open = new Map<string, () => void>();
  return {
    job: (name: string) => () =>
      new Promise<string>((resolve) => {
        log.push(`start ${name}`);
        open.set(name, () => {
          log.push(`end ${name}`);
          resolve(name);
        });
      }),
    release: async (name: string) => {
      for (let i = 0; i < 50 && !open.has(name); i++) await new Promise((r) => setImmediate(r));
      open.get(name)!();
      open.delete(name);
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('KeyedQueue', () => {
  it('runs two at a time in order, never two of one key at once, and starts the next the moment one ends', async () => {
    const log: string[] = [];
    const g = gate(log);
    const q = new KeyedQueue(2);
    const all = Promise.all([q.execute(1, g.job('a1')), q.execute(1, g.job('b1')), q.execute(2, g.job('c2')), q.execute(3, g.job('d3'))]);
    await new Promise((r) => setImmediate(r));
    // b1 waits for a1 (same key); c2 takes the second place.
    expect(log).toEqual(['start a1', 'start c2']);
    await g.release('a1');
    expect(log.slice(2)).toEqual(['end a1', 'start b1']);
    await g.release('c2');
    await g.release('b1');
    await g.release('d3');
    expect(await all).toEqual(['a1', 'b1', 'c2', 'd3']);
    expect(log).toEqual(['start a1', 'start c2', 'end a1', 'start b1', 'end c2', 'start d3', 'end b1', 'end d3']);
  });

  it('close() rejects what waits and refuses more; what runs ends on its own', async () => {
    const log: string[] = [];
    const g = gate(log);
    const q = new KeyedQueue(1);
    const running = q.execute('x', g.job('x'));
    const waiting = q.execute('y', g.job('y'));
    q.close(new Error('disk full'));
    await expect(waiting).rejects.toThrow('disk full');
    await expect(q.execute('z', g.job('z'))).rejects.toThrow('disk full');
    await g.release('x');
    expect(await running).toBe('x');
    expect(log).toEqual(['start x', 'end x']);
  });
});

describe('copyEach', () => {
  it('the first failure starts nothing more and is thrown once the running copies end', async () => {
    const started: number[] = [];
    const items = [1, 2, 3, 4, 5];
    await expect(
      copyEach(items, {
        concurrency: 2,
        keyOf: (i) => i,
        copy: async (i) => {
          started.push(i);
          await new Promise((r) => setTimeout(r, i === 1 ? 1 : 20));
          if (i === 1) throw new Error('disk_low');
        },
      }),
    ).rejects.toThrow('disk_low');
    expect(started).toEqual([1, 2]);
  });

  it('an abort starts nothing more', async () => {
    const ac = new AbortController();
    const started: number[] = [];
    const p = copyEach([1, 2, 3], { concurrency: 1, keyOf: (i) => i, copy: async (i) => void started.push(i), signal: ac.signal });
    ac.abort('recorder unplugged');
    await expect(p).rejects.toMatchObject({ code: 'aborted', message: 'offload stopped: recorder unplugged' });
    expect(started.length).toBeLessThanOrEqual(1);
  });
});
