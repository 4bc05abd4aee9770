import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOfficers, addRecording, build, makeMp4, type Harness } from '../../helpers/console.js';

let h: Harness;
let mp4: string;
let rec: number;
let size: number;
beforeAll(async () => {
  h = await build({ idleMinutes: 24 * 60 }); // the clock moves hours on within one login
  mp4 = makeMp4();
  addOfficers(h);
  rec = addRecording(h, { seq: 1, officerNo: '100001', file: mp4 });
  size = statSync(mp4).size;
});
afterAll(async () => h.close());

const views = () => h.ledger.access.list({ recordingId: rec, limit: 100 });

describe('GET /api/recordings/:id/media', () => {
  it('serves the whole file as video/mp4 with Accept-Ranges', async () => {
    const res = await h.req('GET', `/api/recordings/${rec}/media`, { as: '100001' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.rawPayload.equals(readFileSync(mp4))).toBe(true);
  });

  it('answers a Range with 206 and Content-Range, and seeks to the middle', async () => {
    const mid = Math.floor(size / 2);
    const res = await h.req('GET', `/api/recordings/${rec}/media`, { as: 'sup1', headers: { range: `bytes=${mid}-${mid + 99}` } });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${mid}-${mid + 99}/${size}`);
    expect(res.headers['content-length']).toBe('100');
    expect(res.rawPayload.equals(readFileSync(mp4).subarray(mid, mid + 100))).toBe(true);
    const tail = await h.req('GET', `/api/recordings/${rec}/media`, { as: 'sup1', headers: { range: 'bytes=-10' } });
    expect(tail.statusCode).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    const open = await h.req('GET', `/api/recordings/${rec}/media`, { as: 'sup1', headers: { range: `bytes=${size - 5}-` } });
    expect(open.rawPayload.length).toBe(5);
  });

  it('answers 416 with Content-Range */size to a range it cannot serve', async () => {
    for (const range of [`bytes=${size}-`, 'bytes=50-10', 'items=0-1', 'bytes=0-1,5-6', 'bytes=-0']) {
      const res = await h.req('GET', `/api/recordings/${rec}/media`, { as: 'sup1', headers: { range } });
      expect(res.statusCode, range).toBe(416);
      expect(res.headers['content-range']).toBe(`bytes */${size}`);
      expect(res.json().error).toMatch(/range/);
    }
  });

  it('counts the Range requests of one playback within 30 minutes as one view, with who and on what ground', async () => {
    const before = views().filter((v) => v.username === 'legal1').length;
    for (let i = 0; i < 5; i++) {
      expect((await h.req('GET', `/api/recordings/${rec}/media`, { as: 'legal1', headers: { range: `bytes=${i * 100}-${i * 100 + 99}` } })).statusCode).toBe(206);
      h.clock.t += 5 * 60_000;
    }
    let mine = views().filter((v) => v.username === 'legal1');
    expect(mine.length - before).toBe(1);
    expect(mine[0]).toMatchObject({ kind: 'view', role: 'legal', ground: 'oversight', requests: 5 });
    h.clock.t += 31 * 60_000;
    await h.req('GET', `/api/recordings/${rec}/media`, { as: 'legal1', headers: { range: 'bytes=0-9' } });
    mine = views().filter((v) => v.username === 'legal1');
    expect(mine.length - before).toBe(2);
    const audited = h.ledger.audit.list({ limit: 100, action: 'recording.viewed', actor: 'legal1' });
    expect(audited).toHaveLength(2);
    expect(audited[0]!.subject).toBe(String(rec));
  });

  it('registers an officer\'s playback of their own recording on the ground "own"', async () => {
    await h.req('GET', `/api/recordings/${rec}/media`, { as: '100001', headers: { range: 'bytes=0-9' } });
    expect(views().find((v) => v.username === '100001')).toMatchObject({ ground: 'own', role: 'officer' });
  });

  it('a 416 is not a view; a second login session is a second view', async () => {
    const count = () => views().filter((v) => v.username === 'sup2').length;
    await h.req('GET', `/api/recordings/${rec}/media`, { as: 'sup2', headers: { range: `bytes=${size}-` } });
    expect(count()).toBe(0);
    await h.req('GET', `/api/recordings/${rec}/media`, { as: 'sup2' });
    const other = await h.login('sup2');
    await h.app.inject({ method: 'GET', url: `/api/recordings/${rec}/media`, headers: { cookie: other.cookie } });
    expect(count()).toBe(2);
  });

  it('404 for an unknown recording, 400 for a bad id', async () => {
    expect((await h.req('GET', '/api/recordings/99999/media', { as: 'sup1' })).statusCode).toBe(404);
    const bad = await h.req('GET', '/api/recordings/abc/media', { as: 'sup1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/params\.id/);
  });

  it('serves audio as audio/wav and photos as image/jpeg', async () => {
    const wav = addRecording(h, { seq: 7, officerNo: '100001', file: mp4, name: 'SN000001_000007.WAV' });
    const jpg = addRecording(h, { seq: 8, officerNo: '100001', file: mp4, name: 'SN000001_000008.jpg' });
    expect((await h.req('GET', `/api/recordings/${wav}/media`, { as: 'sup1' })).headers['content-type']).toBe('audio/wav');
    expect((await h.req('GET', `/api/recordings/${jpg}/media`, { as: 'sup1' })).headers['content-type']).toBe('image/jpeg');
  });
});

describe('GET /api/recordings/:id/thumbnail', () => {
  it('makes a JPEG once with ffmpeg and caches it under cache/, never under footage/', async () => {
    const res = await h.req('GET', `/api/recordings/${rec}/thumbnail`, { as: 'sup1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.rawPayload.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    const r = h.ledger.recordings.get(rec)!;
    const cached = join(h.dataDir, 'cache', 'thumbnails', `${rec}-${r.sha256.slice(0, 16)}.jpg`);
    const first = statSync(cached).mtimeMs;
    const again = await h.req('GET', `/api/recordings/${rec}/thumbnail`, { as: 'sup1' });
    expect(again.rawPayload.equals(res.rawPayload)).toBe(true);
    expect(statSync(cached).mtimeMs).toBe(first);
    expect(readFileSync(join(h.dataDir, r.storedPath)).equals(readFileSync(mp4))).toBe(true);
  });

  it('answers 404 for audio, which has no picture', async () => {
    const wav = addRecording(h, { seq: 9, officerNo: '100001', file: mp4, name: 'SN000001_000009.wav' });
    const res = await h.req('GET', `/api/recordings/${wav}/thumbnail`, { as: 'sup1' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatch(/no picture/);
  });
});
