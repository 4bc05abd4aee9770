import { describe, expect, it } from 'vitest';
import { checkCatalogName, parseSpecName } from '../../../daemon/ingest/names.js';

describe('catalog names', () => {
  it('accepts the spec scheme', () => {
    const r = checkCatalogName('DCIM/100BWC/A000001_123456_20261124081500_0042_IMP.MP4');
    expect(r).toEqual({ ok: true, conforming: true, basename: 'A000001_123456_20261124081500_0042_IMP.MP4' });
    expect(parseSpecName('DCIM/100BWC/A000001_123456_20261124081500_0042_IMP.MP4')).toEqual({ serial: 'A000001', userNo: '123456', time: '20261124081500', seq: 42, important: true });
  });

  it('stores but flags a safe name outside the scheme', () => {
    expect(checkCatalogName('DCIM/clip.mp4')).toMatchObject({ ok: true, conforming: false });
  });

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['DCIM/../../etc/passwd', '..'],
    ['DCIM/./x.MP4', '"."'],
    ['DCIM//x.MP4', '""'],
    ['DCIM\\x.MP4', 'backslash'],
    ['DCIM/x\u0000.MP4', 'control'],
    ['DCIM/.hidden', 'characters'],
    ['DCIM/a b.MP4', 'characters'],
  ])('refuses %j', (name, problem) => {
    const r = checkCatalogName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(problem);
  });
});
