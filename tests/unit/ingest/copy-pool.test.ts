import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, constants, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkFor, CopyPool } from '../../../daemon/ingest/copy-pool.js';
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

/** A recorder's exFAT volume holding `files`, mounted afresh so none of its pages is cached: once stopped, its opens and reads wait. */
async function recorderVolume(files: Record<string, Buffer>): Promise<{ vol: ExfatVolume; at: string }> {
  const vol = ExfatVolume.create(dir, 'BWCPOOL', 64);
  volumes.push(vol);
  const at = join(dir, 'vol');
  await vol.mount(at);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(at, name), data);
  await vol.unmount();
  await vol.mount(at);
  return { vol, at };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('CopyPool', () => {
  it('copies and hashes in one pass, reporting progress', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const data = randomBytes(9 * 1024 * 1024 + 3);
    writeFileSync(join(dir, 'src'), data);
    const pool = new CopyPool(2);
    pools.push(pool);
    const seen: number[] = [];
    const r = await pool.copy({ src: join(dir, 'src'), temp: join(dir, 'out'), chunkBytes: 1 << 20, progressEveryBytes: 4 << 20 }, (b) => seen.push(b));
    expect(r).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length });
    expect(readFileSync(join(dir, 'out')).equals(data)).toBe(true);
    expect(statSync(join(dir, 'out')).mode & 0o777).toBe(0o600);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses to overwrite an existing temp file and a source on another device than the volume', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    writeFileSync(join(dir, 'src'), 'x');
    writeFileSync(join(dir, 'out'), 'already here');
    const pool = new CopyPool(1);
    pools.push(pool);
    await expect(pool.copy({ src: join(dir, 'src'), temp: join(dir, 'out'), chunkBytes: 1024, progressEveryBytes: 1024 })).rejects.toMatchObject({ code: 'EEXIST' });
    const otherDev = statSync(join(dir, 'src')).dev + 1;
    await expect(pool.copy({ src: join(dir, 'src'), temp: join(dir, 'out2'), chunkBytes: 1024, progressEveryBytes: 1024, expectDev: otherDev })).rejects.toMatchObject({ code: 'NOT_REGULAR' });
  });

  it('cancels a copy that makes no progress (a device that stopped answering) and keeps working', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const { vol, at } = await recorderVolume({ 'clip.mp4': randomBytes(1 << 20) });
    writeFileSync(join(dir, 'ok'), 'fine');
    // The stall limit also applies to the healthy copy after it: 300 ms failed it once when a loaded machine's
    // I/O threads were busy with other tests (its 4-byte copy sent no word for 300 ms); 1.5 s leaves it room.
    const pool = new CopyPool(1, 1_500);
    pools.push(pool);
    vol.stop();
    await expect(pool.copy({ src: join(at, 'clip.mp4'), temp: join(dir, 'o1'), chunkBytes: 1024, progressEveryBytes: 1024 })).rejects.toMatchObject({ code: 'STALLED' });
    await expect(pool.copy({ src: join(dir, 'ok'), temp: join(dir, 'o2'), chunkBytes: 1024, progressEveryBytes: 1024 })).resolves.toMatchObject({ bytes: 4 });
  });
});

describe('CopyPool many copies at once', () => {
  it('copies files of every size around the chunk at once in one worker, each output equal to its source and its hash', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const C = 256 << 10;
    const sizes = [0, 1, C - 1, C, C + 1, 2 * C, 2 * C + 1, 3 * C - 7, 1_000_003, 4 * C + 12_345];
    const sources = [...sizes, ...sizes, ...sizes].map((n, i) => {
      const data = randomBytes(n);
      writeFileSync(join(dir, `s${i}`), data);
      return data;
    });
    // One worker: every copy's reads and writes interleave through the same two-buffer loop of one event loop.
    const pool = new CopyPool(sources.length, 60_000, 2_000, 1);
    pools.push(pool);
    const results = await Promise.all(sources.map((_, i) => pool.copy({ src: join(dir, `s${i}`), temp: join(dir, `o${i}`), chunkBytes: C, progressEveryBytes: C }, undefined, `R${i % 5}`)));
    sources.forEach((data, i) => {
      expect(results[i]).toEqual({ sha256: sha256(data), bytes: data.length });
      expect(readFileSync(join(dir, `o${i}`)).equals(data)).toBe(true);
    });
  });
});

describe('CopyPool chunk size by load', () => {
  it('reads 2 MiB while one recorder copies and 256 KiB for twenty, within 16 MiB of buffers whatever runs', () => {
    expect([0, 1, 2, 4, 8, 16, 32, 40, 64].map(chunkFor)).toEqual([2 << 20, 2 << 20, 2 << 20, 2 << 20, 1 << 20, 512 << 10, 256 << 10, 256 << 10, 256 << 10]);
    for (let n = 1; n <= 32; n++) expect(2 * n * chunkFor(n)).toBeLessThanOrEqual(16 << 20);
  });

  it('copies stay byte-equal while the chunk size changes under them (copies joining and leaving mid-file)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const M = 1 << 20;
    const sizes = [9 * M + 17, 2 * M - 1, 2 * M, 2 * M + 1, M - 1, M + 1, (256 << 10) - 1, (256 << 10) + 1, (512 << 10) + 3, 3 * M, 1, 0];
    const sources = sizes.map((n, i) => {
      const data = randomBytes(n);
      writeFileSync(join(dir, `s${i}`), data);
      return data;
    });
    // Two workers, as on the dock; a copy alone reads 2 MiB at a time.
    const pool = new CopyPool(64, 60_000, 2_000, 2);
    pools.push(pool);
    expect(pool.chunkBytes).toBe(2 << 20);
    const seen = new Set<number>();
    const copy = (i: number) => pool.copy({ src: join(dir, `s${i}`), temp: join(dir, `o${i}`), progressEveryBytes: 64 << 10 }, () => seen.add(pool.chunkBytes), `R${i}`);
    // The first, largest copy is under way when the others join (the size falls) and still runs when they end (it rises).
    let firstProgress!: () => void;
    const started = new Promise<void>((r) => (firstProgress = r));
    const first = pool.copy({ src: join(dir, 's0'), temp: join(dir, 'o0'), progressEveryBytes: 64 << 10 }, () => firstProgress(), 'R0');
    await started;
    const rest = await Promise.all(sizes.slice(1).map((_, i) => copy(i + 1)));
    const results = [await first, ...rest];
    sources.forEach((data, i) => {
      expect(results[i]).toEqual({ sha256: sha256(data), bytes: data.length });
      expect(readFileSync(join(dir, `o${i}`)).equals(data)).toBe(true);
    });
    // Twelve copies at once read 512 KiB (16 MiB over 24 buffers, rounded down to a power of two).
    expect(seen.has(512 << 10)).toBe(true);
    expect(pool.chunkBytes).toBe(2 << 20);
  });
});

describe('CopyPool cancellation', () => {
  it('an abort rejects a running copy at once and a queued one before it starts; the worker stops within a chunk and serves again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    // A large file read in small chunks: the copy is still running when it is cancelled.
    const big = join(dir, 'big');
    execFileSync('truncate', ['-s', '256M', big]);
    const pool = new CopyPool(1, 60_000, 2_000);
    pools.push(pool);
    const ac = new AbortController();
    let progressed = 0;
    const running = pool.copy({ src: big, temp: join(dir, 'o1'), chunkBytes: 4096, progressEveryBytes: 4096 }, (b) => (progressed = b), 'S1', ac.signal);
    const queued = pool.copy({ src: join(dir, 'never'), temp: join(dir, 'o2'), chunkBytes: 1024, progressEveryBytes: 1024 }, () => undefined, 'S1', ac.signal);
    const until = Date.now() + 5_000;
    while (progressed === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(progressed).toBeGreaterThan(0);
    const t0 = performance.now();
    ac.abort('recorder unplugged');
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(queued).rejects.toMatchObject({ code: 'ABORTED' });
    expect(performance.now() - t0).toBeLessThan(1_900); // at once, not through the 2 s terminate of a stuck worker
    writeFileSync(join(dir, 'ok'), 'fine');
    await expect(pool.copy({ src: join(dir, 'ok'), temp: join(dir, 'o3'), chunkBytes: 1024, progressEveryBytes: 1024 })).resolves.toMatchObject({ bytes: 4 });
    // The cancelled worker stopped early (it served the next job, so it had answered) and, having failed rather
    // than finished, removed its partial temp file (a finished copy keeps it for the caller).
    expect(existsSync(join(dir, 'o1'))).toBe(false);
  });
});

describe('CopyPool fairness', () => {
  it('gives a free worker to the owner with the fewest copies running, not the earliest request', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const { vol, at } = await recorderVolume({ 'hold.mp4': randomBytes(64 << 10) });
    writeFileSync(join(dir, 'f'), 'x');
    const pool = new CopyPool(1, 60_000);
    pools.push(pool);
    const order: string[] = [];
    // Owner A occupies the only place (a copy that waits on its volume), then queues a second file; B asks later.
    vol.stop();
    const a1 = pool.copy({ src: join(at, 'hold.mp4'), temp: join(dir, 'a1'), chunkBytes: 1024, progressEveryBytes: 1024 }, undefined, 'A').then(() => order.push('a1'));
    await blockedOnVolume();
    const a2 = pool.copy({ src: join(dir, 'f'), temp: join(dir, 'a2'), chunkBytes: 1024, progressEveryBytes: 1024 }, undefined, 'A').then(() => order.push('a2'));
    const b1 = pool.copy({ src: join(dir, 'f'), temp: join(dir, 'b1'), chunkBytes: 1024, progressEveryBytes: 1024 }, undefined, 'B').then(() => order.push('b1'));
    vol.resume(); // let A's first copy finish
    await Promise.all([a1, a2, b1]);
    expect(order).toEqual(['a1', 'b1', 'a2']);
  });
});

describe('CopyPool copies per owner', () => {
  it('runs at most perOwner copies of one owner: its next file waits for a place of its own, another owner starts at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const { vol, at } = await recorderVolume({ 'h1.mp4': randomBytes(64 << 10), 'h2.mp4': randomBytes(64 << 10) });
    writeFileSync(join(dir, 'f'), 'x');
    const pool = new CopyPool(64, 60_000, 2_000, 2, 2);
    pools.push(pool);
    const order: string[] = [];
    const job = (src: string, temp: string) => ({ src, temp, chunkBytes: 1024, progressEveryBytes: 1024 });
    // A's two copies wait on its stopped volume; its third file and B's file are asked for while they do.
    vol.stop();
    const a1 = pool.copy(job(join(at, 'h1.mp4'), join(dir, 'a1')), undefined, 'A').then(() => order.push('a1'));
    const a2 = pool.copy(job(join(at, 'h2.mp4'), join(dir, 'a2')), undefined, 'A').then(() => order.push('a2'));
    await blockedOnVolume();
    const a3 = pool.copy(job(join(dir, 'f'), join(dir, 'a3')), undefined, 'A').then(() => order.push('a3'));
    const b1 = pool.copy(job(join(dir, 'f'), join(dir, 'b1')), undefined, 'B').then(() => order.push('b1'));
    await b1;
    expect(order).toEqual(['b1']);
    expect(pool.active).toBe(2);
    vol.resume();
    await Promise.all([a1, a2, a3]);
    expect(order.indexOf('a3')).toBeGreaterThan(Math.min(order.indexOf('a1'), order.indexOf('a2')));
    expect(readFileSync(join(dir, 'a3'), 'utf8')).toBe('x');
  });
});

describe('CopyPool interleaving', () => {
  it('a copy asked for while a long one runs in the same worker starts at once and ends first (chunks interleave, not files)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const big = join(dir, 'big');
    execFileSync('truncate', ['-s', '256M', big]);
    writeFileSync(join(dir, 'small'), randomBytes(3 << 20));
    const pool = new CopyPool(4, 60_000, 2_000, 1);
    pools.push(pool);
    const order: string[] = [];
    let bigProgress = 0;
    const a = pool.copy({ src: big, temp: join(dir, 'o-big'), chunkBytes: 64 << 10, progressEveryBytes: 64 << 10 }, (b) => (bigProgress = b), 'A').then(() => order.push('big'));
    const until = Date.now() + 10_000;
    while (bigProgress === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    expect(bigProgress).toBeGreaterThan(0);
    const b = pool.copy({ src: join(dir, 'small'), temp: join(dir, 'o-small'), chunkBytes: 64 << 10, progressEveryBytes: 64 << 10 }, undefined, 'B').then(() => order.push('small'));
    await Promise.all([a, b]);
    expect(order).toEqual(['small', 'big']);
    expect(statSync(join(dir, 'o-big')).size).toBe(256 << 20);
  });

  it('a copy whose read never returns (a dead device) holds up no other copy of its worker', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const clip = randomBytes(1 << 20);
    const { vol, at } = await recorderVolume({ 'clip.mp4': clip });
    const data = randomBytes(2 << 20);
    writeFileSync(join(dir, 'ok'), data);
    const pool = new CopyPool(4, 60_000, 2_000, 1);
    pools.push(pool);
    vol.stop();
    const stuck = pool.copy({ src: join(at, 'clip.mp4'), temp: join(dir, 'o1'), chunkBytes: 64 << 10, progressEveryBytes: 1 << 20 });
    await blockedOnVolume();
    await expect(pool.copy({ src: join(dir, 'ok'), temp: join(dir, 'o2'), chunkBytes: 64 << 10, progressEveryBytes: 1 << 20 })).resolves.toEqual({ sha256: sha256(data), bytes: data.length });
    expect(pool.active).toBe(1);
    // The device answers again: the waiting copy goes on and ends whole.
    vol.resume();
    await expect(stuck).resolves.toEqual({ sha256: sha256(clip), bytes: clip.length });
    expect(readFileSync(join(dir, 'o1')).equals(clip)).toBe(true);
  });
});

describe('CopyPool close', () => {
  it('returns while a copy waits on a device that stopped answering (a stopping daemon must not hang on it)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const { vol, at } = await recorderVolume({ 'clip.mp4': randomBytes(1 << 20) });
    const pool = new CopyPool(2, 60_000, 2_000, 1);
    pools.push(pool);
    vol.stop();
    const stuck = pool.copy({ src: join(at, 'clip.mp4'), temp: join(dir, 'o'), chunkBytes: 64 << 10, progressEveryBytes: 1 << 20 }).catch((e: Error) => e);
    await blockedOnVolume();
    await pool.close();
    await expect(stuck).resolves.toMatchObject({ code: 'CLOSED' });
  });
});

describe('CopyPool sources that are not regular files', () => {
  it('refuses a fifo swapped in for a recording at once: its open never waits for a writer', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwc-pool-'));
    const fifo = join(dir, 'clip.mp4');
    execFileSync('mkfifo', [fifo]);
    // A stall limit well inside the test's time: a copy that waits on the fifo ends STALLED instead of NOT_REGULAR.
    const pool = new CopyPool(1, 2_000);
    pools.push(pool);
    try {
      await expect(pool.copy({ src: fifo, temp: join(dir, 'o'), chunkBytes: 1024, progressEveryBytes: 1024 })).rejects.toMatchObject({ code: 'NOT_REGULAR' });
    } finally {
      // A reader still blocked in open() would hold an I/O thread (and the pool's close) until a writer comes.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // ENXIO: no reader is waiting, as it should be
      }
    }
    expect(existsSync(join(dir, 'o'))).toBe(false);
    expect(pool.active).toBe(0);
  });
});
