import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build, type Harness } from '../../helpers/console.js';

let h: Harness;
beforeEach(async () => {
  h = await build();
});
afterEach(async () => h.close());

const csv = (text: string) => h.req('POST', '/api/officers/import', { as: 'em1', payload: text, headers: { 'content-type': 'text/csv' } });

describe('officer registry', () => {
  it('creates (201) and updates (200) an officer, audited', async () => {
    const body = { officerNo: '100009', name: '赵敏', unitNo: 'U03', unitName: '三中队' };
    expect((await h.req('POST', '/api/officers', { as: 'em1', body })).statusCode).toBe(201);
    expect((await h.req('POST', '/api/officers', { as: 'em1', body: { ...body, unitName: '四中队' } })).statusCode).toBe(200);
    expect(h.ledger.officers.get('100009')?.unitName).toBe('四中队');
    expect(h.ledger.audit.list({ limit: 5 }).map((e) => e.action).slice(0, 2)).toEqual(['officer.updated', 'officer.created']);
    const list = await h.req('GET', '/api/officers', { as: 'aud1' });
    expect(list.json()).toEqual({ items: [{ officerNo: '100009', name: '赵敏', unitNo: 'U03', unitName: '四中队' }], next: null });
  });

  it('refuses a name GBK cannot encode or longer than 32 GBK bytes, naming the field', async () => {
    const bad = await h.req('POST', '/api/officers', { as: 'em1', body: { officerNo: '100009', name: 'Zoë 😀', unitNo: 'U03', unitName: '三中队' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'name' });
    expect(bad.json().error).toMatch(/name.*GBK/);
    const long = await h.req('POST', '/api/officers', { as: 'em1', body: { officerNo: '100009', name: '赵敏', unitNo: 'U03', unitName: '一二三四五六七八九十一二三四五六七' } });
    expect(long.statusCode).toBe(400);
    expect(long.json().error).toMatch(/unitName.*34 bytes/);
    expect(h.ledger.officers.get('100009')).toBeNull();
  });

  it('imports CSV (quoted fields, BOM, CRLF, any column order), all rows in one audited transaction', async () => {
    const res = await csv('\ufeffname,officerNo,unitNo,unitName\r\n"王, 芳",100011,U01,一中队\r\n刘洋,100012,U02,"二""中队"\r\n');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ created: 2, updated: 0 });
    expect(h.ledger.officers.get('100011')?.name).toBe('王, 芳');
    expect(h.ledger.officers.get('100012')?.unitName).toBe('二"中队');
    expect((await csv('officerNo,name,unitNo,unitName\n100011,王芳,U01,一中队\n')).json()).toEqual({ created: 0, updated: 1 });
  });

  it('refuses the whole CSV when one name cannot be encoded in GBK, naming line and field', async () => {
    const res = await csv('officerNo,name,unitNo,unitName\n100011,王芳,U01,一中队\n100012,Ōkubo 😀,U02,二中队\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('name');
    expect(res.json().error).toMatch(/^line 3\.name: .*GBK/);
    expect(h.ledger.officers.get('100011')).toBeNull();
  });

  it('refuses a CSV without the needed columns, with a bad officer number, or as another content type', async () => {
    expect((await csv('no,name\n1,a\n')).json().error).toMatch(/missing column officerNo/);
    const r = await csv('officerNo,name,unitNo,unitName\n12345,王芳,U01,一中队\n');
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/line 2\.officerNo/);
    const json = await h.req('POST', '/api/officers/import', { as: 'em1', body: { officerNo: '100011' } });
    expect(json.statusCode).toBe(415);
  });
});
