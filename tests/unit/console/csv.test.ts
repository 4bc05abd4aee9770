import { describe, expect, it } from 'vitest';
import { csvCell, parseCsv, toCsv } from '../../../daemon/console/services/csv.js';
import { ServiceError } from '../../../daemon/console/services/errors.js';
import { parseOfficersCsv } from '../../../daemon/console/services/officers.js';

describe('CSV', () => {
  it('parses quotes, doubled quotes, embedded newlines and commas, CRLF, BOM, blank lines', () => {
    const rows = parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n\n"multi\nline",z\n');
    expect(rows).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 4, cells: ['multi\nline', 'z'] },
    ]);
  });

  it('refuses an unclosed quote', () => {
    expect(() => parseCsv('a,"b\n')).toThrow(ServiceError);
  });

  it('writes cells that round-trip and cannot run as spreadsheet formulas', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell(null)).toBe('');
    expect(csvCell(-3)).toBe('-3');
    const text = toCsv(['n', 'v'], [['张伟', 'x,y']]);
    expect(text.startsWith('\ufeff')).toBe(true);
    expect(parseCsv(text).map((r) => r.cells)).toEqual([['n', 'v'], ['张伟', 'x,y']]);
  });
});

describe('parseOfficersCsv', () => {
  it('reads officers in any column order', () => {
    expect(parseOfficersCsv('unitName,unitNo,name,officerNo\n一中队,U01,张伟,100001\n')).toEqual([{ officerNo: '100001', name: '张伟', unitNo: 'U01', unitName: '一中队' }]);
  });

  it('refuses a name GBK cannot encode, naming the line and the field', () => {
    try {
      parseOfficersCsv('officerNo,name,unitNo,unitName\n100001,张伟,U01,一中队\n100002,Ⓐnna,U01,一中队\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ServiceError);
      expect((e as ServiceError).field).toBe('name');
      expect((e as ServiceError).message).toMatch(/^line 3\.name: has characters GBK cannot encode/);
    }
  });

  it('refuses a unit name over 32 GBK bytes and duplicate officer numbers', () => {
    expect(() => parseOfficersCsv(`officerNo,name,unitNo,unitName\n100001,张伟,U01,${'中'.repeat(17)}\n`)).toThrow(/line 2\.unitName: is 34 bytes in GBK, more than 32/);
    expect(() => parseOfficersCsv('officerNo,name,unitNo,unitName\n100001,a,U1,b\n100001,c,U1,d\n')).toThrow(/appears twice/);
    expect(() => parseOfficersCsv(`officerNo,name,unitNo,unitName\n100001,${'中'.repeat(16)},U01,b\n`)).not.toThrow();
  });
});
