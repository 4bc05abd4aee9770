import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { addOfficers, build, type Harness } from '../../helpers/console.js';

/** Issue 18: CSV a Chinese spreadsheet opens and saves. */
let h: Harness;
afterEach(async () => h?.close());

const post = (url: string, payload: Buffer | string) =>
  h.req('POST', url, { as: 'em1', payload: payload as string, headers: { 'content-type': 'text/csv' } });

describe('CSV for Chinese spreadsheets', () => {
  it('imports an officer list saved as GBK with Chinese column names', async () => {
    h = await build();
    const gbk = iconv.encode('警号,姓名,单位编号,单位名称\r\n100031,王芳,U01,城管执法一中队\r\n', 'gbk');
    const res = await post('/api/officers/import', gbk);
    expect(res.statusCode, res.body).toBe(200);
    expect(h.ledger.officers.get('100031')).toMatchObject({ name: '王芳', unitName: '城管执法一中队' });
  });

  it('previews an import: every bad row by line and field, nothing saved', async () => {
    h = await build();
    addOfficers(h);
    const csv = 'officerNo,name,unitNo,unitName\n100001,张伟,U01,一中队\n12x,李四,U01,一中队\n100040,,U01,一中队\n100041,赵六,U01,一中队\n';
    const res = await post('/api/officers/import/preview', csv);
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p.problems.map((x: { line: number; field: string }) => [x.line, x.field])).toEqual([
      [3, 'officerNo'],
      [4, 'name'],
    ]);
    expect(p).toMatchObject({ created: 1, updated: 1 });
    expect(h.ledger.officers.get('100041')).toBeNull();
  });

  it('exports the ledger with a BOM, and Chinese column names when the console asks', async () => {
    h = await build();
    addOfficers(h);
    h.ledger.devices.docked({ serial: 'SN000001', idCode: 'AB123', firmware: 'ref-1.0', caps: 3 }, h.clock.t);
    h.ledger.checkouts.checkOut('SN000001', '100001', 'em1', h.clock.t);
    const res = await h.req('GET', '/api/ledger/export.csv?lang=zh', { as: 'em1' });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const [head, row] = res.body.replace(/^\uFEFF/, '').split('\r\n');
    expect(head).toMatch(/^领用编号,执法记录仪编号/);
    expect(row).toContain('张伟');
  });

  it('refuses an officer account for a number not in the registry', async () => {
    h = await build();
    const res = await h.req('POST', '/api/users', { as: 'admin1', body: { username: '100099', role: 'officer', password: 'long-enough-pass-1' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'service.invalid', field: 'username' });
  });
});
