/**
 * Attacks on the shared chunk size (CopyPool.chunkFor): every copy's next read takes the size the pool sets for the
 * copies running, so sizes change under copies mid-file. Each copy here reports progress after every read
 * (`progressEveryBytes: 1`), so the steps between its reported totals are the sizes of its reads as the worker
 * made them: a lost or doubled chunk at a size change shows there, and in the output compared with its source.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CopyPool } from '../../../daemon/ingest/copy-pool.js';
import type { CopyJob, CopyMessage } from '../../../daemon/ingest/copy-worker.js';
import { blockedOnVolume, ExfatVolume } from '../../helpers/exfat.js';

let dir: string;
const pools: CopyPool[] = [];
const volumes: ExfatVolume[] = [];
afterEach(async () => {
  for (const v of volumes) v.resume();
  for (const p of pools.splice(0)) await p.close();
  for (const v of volumes.splice(0)) v.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const KiB = 1 << 10;
const MiB = 1 << 20;
const SIZES = [2 * MiB, MiB, 512 * KiB, 256 * KiB];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The sizes of a copy's reads, from the totals it reported after each (the last read of a file may be short). */
function reads(totals: number[]): number[] {
  return totals.map((t, i) => t - (totals[i - 1] ?? 0));
}

function source(name: string, bytes: number): Buffer {
  const data = randomBytes(bytes);
  writeFileSync(join(dir, name), data);
  return data;
}

describe('CopyPool chunk size changing under copies', () => {
  it('a long copy stays whole while sixteen copies join and leave again and again (the size flaps 2 MiB ↔ 256 KiB), beside a fixed odd chunk', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-chunk-'));
    const long = source('long', 64 * MiB + 5);
    const fixed = source('fixed', 2 * MiB + 7);
    const batchSources = Array.from({ length: 16 }, (_, i) => source(`b${i}`, 512 * KiB + i));
    // One worker: every copy shares its event loop and its free list of buffers.
    const pool = new CopyPool(64, 60_000, 2_000, 1);
    pools.push(pool);
    const totals: number[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let longDone = false;
    const first = pool
      .copy({ src: join(dir, 'long'), temp: join(dir, 'o-long'), progressEveryBytes: 1 }, (b) => (totals.push(b), started()), 'L')
      .finally(() => (longDone = true));
    await running;
    const fixedTotals: number[] = [];
    let batches = 0;
    while (!longDone && batches < 40) {
      const b = batches++;
      const batch = batchSources.map((data, i) =>
        pool.copy({ src: join(dir, `b${i}`), temp: join(dir, `o${b}-${i}`), progressEveryBytes: 1 }, undefined, `R${i}`).then((r) => {
          expect(r).toEqual({ sha256: sha256(data), bytes: data.length });
          expect(readFileSync(join(dir, `o${b}-${i}`)).equals(data)).toBe(true);
          rmSync(join(dir, `o${b}-${i}`));
        }),
      );
      // A copy of a fixed, odd chunk size in the same worker: its buffers never match the shared size.
      if (b === 0) batch.push(pool.copy({ src: join(dir, 'fixed'), temp: join(dir, 'o-fixed'), chunkBytes: 100_003, progressEveryBytes: 1 }, (t) => fixedTotals.push(t), 'F').then((r) => expect(r).toEqual({ sha256: sha256(fixed), bytes: fixed.length })));
      await Promise.all(batch);
    }
    expect(await first).toEqual({ sha256: sha256(long), bytes: long.length });
    expect(readFileSync(join(dir, 'o-long')).equals(long)).toBe(true);
    expect(readFileSync(join(dir, 'o-fixed')).equals(fixed)).toBe(true);

    const sizes = reads(totals);
    expect(totals.at(-1)).toBe(long.length);
    // Every read but the last was one whole chunk of a size the pool sets: none lost, none read twice.
    for (const s of sizes.slice(0, -1)) expect(SIZES).toContain(s);
    // The size fell as each batch joined and rose as it left, under the running copy, more than once.
    const whole = sizes.slice(0, -1);
    expect(whole).toContain(2 * MiB);
    expect(whole).toContain(256 * KiB);
    expect(whole.filter((s, i) => i > 0 && s < whole[i - 1]!).length).toBeGreaterThanOrEqual(2);
    expect(whole.filter((s, i) => i > 0 && s > whole[i - 1]!).length).toBeGreaterThanOrEqual(2);
    expect(reads(fixedTotals).slice(0, -1).every((s) => s === 100_003)).toBe(true);
    expect(pool.chunkBytes).toBe(2 * MiB);
  });

  it('short reads (a kernel file served a page at a time) while copies join and leave: nothing lost or doubled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-chunk-'));
    // /proc/kallsyms is a regular file of size 0 whose reads return about 4 KiB whatever is asked, until its end.
    const kernel = '/proc/kallsyms';
    const expected = readFileSync(kernel);
    expect(expected.length).toBeGreaterThan(256 * KiB);
    const pool = new CopyPool(64, 60_000, 2_000, 1);
    pools.push(pool);
    const totals: number[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const k = pool.copy({ src: kernel, temp: join(dir, 'o-kernel'), progressEveryBytes: 1 }, (b) => (totals.push(b), started()), 'K');
    await running;
    const batch = Array.from({ length: 16 }, (_, i) => {
      const data = source(`b${i}`, 3 * MiB + i);
      return pool.copy({ src: join(dir, `b${i}`), temp: join(dir, `o${i}`), progressEveryBytes: 1 }, undefined, `R${i}`).then((r) => {
        expect(r).toEqual({ sha256: sha256(data), bytes: data.length });
        expect(readFileSync(join(dir, `o${i}`)).equals(data)).toBe(true);
      });
    });
    await Promise.all(batch);
    const r = await k;
    const out = readFileSync(join(dir, 'o-kernel'));
    // The hash is of the bytes written, and they are the file's.
    expect(r).toEqual({ sha256: sha256(out), bytes: out.length });
    expect(out.equals(expected)).toBe(true);
    expect(reads(totals).every((s) => s <= 8 * KiB)).toBe(true);
  });

  it('a file still growing (a writer appending while it is copied): each copy is a prefix of it and its hash is of the bytes written', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-chunk-'));
    const growing = join(dir, 'growing');
    writeFileSync(growing, randomBytes(MiB));
    // Another process appends 400 blocks of 64 KiB + 3 bytes, 2 ms apart: reads keep meeting a moving end mid-page.
    const script = `const fs=require('fs'),c=require('crypto');const fd=fs.openSync(${JSON.stringify(growing)},'a');const w=new Int32Array(new SharedArrayBuffer(4));for(let i=0;i<400;i++){fs.writeSync(fd,c.randomBytes(65539));Atomics.wait(w,0,0,2);}`;
    const writer = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => writer.on('exit', r));
    const pool = new CopyPool(64, 60_000, 2_000, 1);
    pools.push(pool);
    const outputs: string[] = [];
    // Rounds of copies of the growing file itself, alone (2 MiB reads) and with four others (1 MiB), until the writer ends.
    for (let round = 0; round < 40 && (round === 0 || writer.exitCode === null); round++) {
      const copies = Array.from({ length: round % 2 === 0 ? 1 : 5 }, (_, i) => {
        const temp = join(dir, `o${round}-${i}`);
        outputs.push(temp);
        return pool.copy({ src: growing, temp, progressEveryBytes: 1 }, undefined, `R${i}`).then((r) => {
          const out = readFileSync(temp);
          expect(r).toEqual({ sha256: sha256(out), bytes: out.length });
        });
      });
      await Promise.all(copies);
    }
    expect(await exited).toBe(0);
    const final = readFileSync(growing);
    expect(final.length).toBe(MiB + 400 * 65539);
    const lengths = outputs.map((temp) => {
      const out = readFileSync(temp);
      expect(out.equals(final.subarray(0, out.length))).toBe(true);
      return out.length;
    });
    // Some copies ended at an end the writer had not reached yet.
    expect(lengths.some((n) => n < final.length)).toBe(true);
  });
});

describe('CopyPool chunk size while copies are cancelled', () => {
  it('cancelling half of the copies that made the size fall leaves the others whole, their temp files gone, and the size back at 2 MiB', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-chunk-'));
    const long = source('long', 24 * MiB + 1);
    const pool = new CopyPool(64, 60_000, 2_000, 1);
    pools.push(pool);
    const totals: number[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const first = pool.copy({ src: join(dir, 'long'), temp: join(dir, 'o-long'), progressEveryBytes: 1 }, (b) => (totals.push(b), started()), 'L');
    await running;
    const outcomes = Array.from({ length: 16 }, (_, i) => {
      const data = source(`b${i}`, 4 * MiB + i);
      const ac = new AbortController();
      // Odd ones are cancelled after their first chunk, while the size is 256 KiB for all.
      const p = pool.copy({ src: join(dir, `b${i}`), temp: join(dir, `o${i}`), progressEveryBytes: 1 }, () => i % 2 === 1 && ac.abort(), `R${i}`, ac.signal);
      return i % 2 === 1
        ? expect(p).rejects.toMatchObject({ code: 'ABORTED' })
        : p.then((r) => {
            expect(r).toEqual({ sha256: sha256(data), bytes: data.length });
            expect(readFileSync(join(dir, `o${i}`)).equals(data)).toBe(true);
          });
    });
    await Promise.all(outcomes);
    expect(await first).toEqual({ sha256: sha256(long), bytes: long.length });
    expect(readFileSync(join(dir, 'o-long')).equals(long)).toBe(true);
    for (const s of reads(totals).slice(0, -1)) expect(SIZES).toContain(s);
    // Every cancelled copy's worker answered (its place is free). One that saw the cancel removed its partial temp
    // file; one that had read its last chunk first finished it whole (its caller removes it, as offload does).
    const until = Date.now() + 10_000;
    while (pool.active > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(pool.active).toBe(0);
    for (let i = 1; i < 16; i += 2) if (existsSync(join(dir, `o${i}`))) expect(readFileSync(join(dir, `o${i}`)).equals(readFileSync(join(dir, `b${i}`)))).toBe(true);
    expect(pool.chunkBytes).toBe(2 * MiB);
    // The worker serves on, at 2 MiB a read again.
    const after: number[] = [];
    const again = source('again', 5 * MiB);
    expect(await pool.copy({ src: join(dir, 'again'), temp: join(dir, 'o-again'), progressEveryBytes: 1 }, (b) => after.push(b))).toEqual({ sha256: sha256(again), bytes: again.length });
    expect(reads(after)).toEqual([2 * MiB, 2 * MiB, MiB]);
  });
});

describe('CopyPool chunk size on a recorder volume', () => {
  it('a 2 MiB read blocked on a stopped exFAT volume while sixteen copies join: it lands once, and the next reads are 256 KiB', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-chunk-'));
    const vol = ExfatVolume.create(dir, 'BWCCHUNK', 64);
    volumes.push(vol);
    const at = join(dir, 'vol');
    await vol.mount(at);
    const long = randomBytes(24 * MiB + 11);
    writeFileSync(join(at, 'long.mp4'), long);
    const small = Array.from({ length: 16 }, (_, i) => {
      const data = randomBytes(MiB + i);
      writeFileSync(join(at, `s${i}.mp4`), data);
      return data;
    });
    // Mounted afresh: no page of it is cached, so reads wait while it is stopped.
    await vol.unmount();
    await vol.mount(at);
    const pool = new CopyPool(64, 60_000, 2_000, 2);
    pools.push(pool);
    const totals: number[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const first = pool.copy({ src: join(at, 'long.mp4'), temp: join(dir, 'o-long'), progressEveryBytes: 1 }, (b) => (totals.push(b), started()), 'L');
    await running;
    vol.stop();
    await blockedOnVolume(true);
    const before = totals.length;
    // The joining copies wait in their opens on the same stopped volume: the size falls while the long read waits.
    const joined = small.map((data, i) =>
      pool.copy({ src: join(at, `s${i}.mp4`), temp: join(dir, `o${i}`), progressEveryBytes: 1 }, undefined, `R${i}`).then((r) => {
        expect(r).toEqual({ sha256: sha256(data), bytes: data.length });
        expect(readFileSync(join(dir, `o${i}`)).equals(data)).toBe(true);
      }),
    );
    expect(pool.chunkBytes).toBe(256 * KiB);
    vol.resume();
    await Promise.all(joined);
    expect(await first).toEqual({ sha256: sha256(long), bytes: long.length });
    expect(readFileSync(join(dir, 'o-long')).equals(long)).toBe(true);
    const sizes = reads(totals);
    // Before the stop every read was 2 MiB, and so is the one that waited; then reads of the smaller size follow.
    expect(sizes.slice(0, before + 1).every((s) => s === 2 * MiB)).toBe(true);
    expect(sizes).toContain(256 * KiB);
    for (const s of sizes.slice(0, -1)) expect(SIZES).toContain(s);
  });
});

/**
 * The pool's own worker (the build's, as CopyPool runs it), with the bytes it allocates for buffers counted and sent
 * along with each of its answers. The test moves the shared size itself, through `sizes` in turn, at every read
 * some copy reports; it answers with every copy's answer and the bytes the worker allocated.
 */
async function copyWhileMoving(files: { name: string; chunkBytes?: number }[], sizes: number[]): Promise<{ answers: Map<number, CopyMessage>; moves: number; allocated: number }> {
  const file = fileURLToPath(new URL('../../../dist/daemon/ingest/copy-worker.js', import.meta.url));
  const counted = `
    const { parentPort } = require('node:worker_threads');
    let allocated = 0;
    const alloc = Buffer.allocUnsafeSlow;
    Buffer.allocUnsafeSlow = (n) => ((allocated += n), alloc(n));
    const post = parentPort.postMessage.bind(parentPort);
    parentPort.postMessage = (m) => post({ ...m, allocated });
    import(${JSON.stringify(file)});`;
  const worker = new Worker(counted, { eval: true });
  try {
    const chunkNow = new SharedArrayBuffer(4);
    const size = new Int32Array(chunkNow);
    Atomics.store(size, 0, sizes[0]!);
    let moves = 0;
    let allocated = 0;
    const answers = new Map<number, CopyMessage>();
    await new Promise<void>((resolve) => {
      worker.on('message', (m: CopyMessage & { allocated: number }) => {
        allocated = m.allocated;
        if (m.type === 'progress') {
          Atomics.store(size, 0, sizes[++moves % sizes.length]!);
          return;
        }
        answers.set(m.id, m);
        if (answers.size === files.length) resolve();
      });
      files.forEach(({ name, chunkBytes }, i) => {
        worker.postMessage({ id: i, src: join(dir, name), temp: join(dir, `o${i}`), ...(chunkBytes ? { chunkBytes } : { chunkNow }), progressEveryBytes: 1 } satisfies CopyJob);
      });
    });
    return { answers, moves, allocated };
  } finally {
    await worker.terminate();
  }
}

describe('the copy worker\'s buffers while the chunk size moves', () => {
  it('a size moving back and forth under sixteen copies (a copy ends, its recorder\'s next starts) allocates no more than the copies hold at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-chunk-'));
    const sources = Array.from({ length: 16 }, (_, i) => source(`s${i}`, 16 * MiB + i));
    // 512 KiB while sixteen copies run, 256 KiB with a seventeenth (CopyPool.chunkFor).
    const { answers, moves, allocated } = await copyWhileMoving(
      sources.map((_, i) => ({ name: `s${i}` })),
      [512 * KiB, 256 * KiB],
    );
    sources.forEach((data, i) => {
      expect(answers.get(i)).toEqual({ id: i, type: 'done', sha256: sha256(data), bytes: data.length, allocated: expect.any(Number) });
      expect(readFileSync(join(dir, `o${i}`)).equals(data)).toBe(true);
    });
    expect(moves).toBeGreaterThan(500);
    // Two chunks of 512 KiB a copy: every move reuses what the last one gave back.
    expect(allocated).toBeLessThanOrEqual(16 * 2 * 512 * KiB);
  });

  it('a size swinging through all its steps (copies joining and leaving in a burst) under four copies, beside a fixed odd chunk', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-chunk-'));
    const sources = Array.from({ length: 4 }, (_, i) => source(`s${i}`, 24 * MiB + 3 * i));
    const odd = source('odd', 3 * MiB + 1);
    const { answers, moves, allocated } = await copyWhileMoving(
      [...sources.map((_, i) => ({ name: `s${i}` })), { name: 'odd', chunkBytes: 100_003 }],
      [2 * MiB, MiB, 512 * KiB, 256 * KiB, 512 * KiB, MiB],
    );
    sources.forEach((data, i) => {
      expect(answers.get(i)).toMatchObject({ type: 'done', sha256: sha256(data), bytes: data.length });
      expect(readFileSync(join(dir, `o${i}`)).equals(data)).toBe(true);
    });
    expect(moves).toBeGreaterThan(50);
    expect(answers.get(4)).toMatchObject({ type: 'done', sha256: sha256(odd), bytes: odd.length });
    expect(readFileSync(join(dir, 'o4')).equals(odd)).toBe(true);
    // Two chunks of 2 MiB a copy, and the fixed copy's own two.
    expect(allocated).toBeLessThanOrEqual(4 * 2 * 2 * MiB + 2 * 100_003);
  });
});
