import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../../web-ui/src/i18n/en.js';
import { bytes, dateTime, label, setLang, t } from '../../../web-ui/src/i18n/index.js';
import { zh } from '../../../web-ui/src/i18n/zh.js';
import { hardcodedText } from './hardcoded-text.js';

const SRC = join(import.meta.dirname, '..', '..', '..', 'web-ui', 'src');
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('English has every Chinese key and no other', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
  });

  it('each message takes the same parameters in both languages', () => {
    const differ = Object.keys(zh).filter((k) => placeholders(zh[k as keyof typeof zh]).join() !== placeholders(en[k as keyof typeof en]).join());
    expect(differ).toEqual([]);
  });

  it('no Chinese message is left in English (only the product name, acronyms and units stay in Latin letters)', () => {
    const latin = Object.entries(zh).filter(([, v]) => /[A-Za-z]{3,}/.test(v.replace(/\{\w+\}|SHA-256|CSV|UTC|MB|ISO|PDF|GBK|UTF-8|A000001|officerNo,name,unitNo,unitName/g, '')));
    expect(latin).toEqual([]);
  });

  it('reads a message in the chosen language with its parameters, numbers in the local format', () => {
    setLang('zh');
    expect(t('kiosk.slot', { n: 2 })).toBe('接口 2');
    expect(t('common.count', { n: 12345 })).toBe('共 12,345 条');
    setLang('en');
    expect(t('kiosk.slot', { n: 2 })).toBe('Slot 2');
    setLang('zh');
  });

  it('names from the API in words, unknown ones made readable', () => {
    setLang('zh');
    expect(label('role', 'equipment_manager')).toBe('设备管理员');
    expect(label('finding', 'some_new_kind')).toBe('some new kind');
  });

  it("shows the dock's wall-clock time in the local layout, whatever the browser's zone", () => {
    setLang('zh');
    expect(dateTime('2026-12-01T09:30:00.000+08:00')).toBe('2026年12月1日 09:30');
    expect(dateTime('2026-12-01T09:30:00.000+08:00', { time: false })).toBe('2026年12月1日');
    setLang('en');
    expect(dateTime('2026-12-01T09:30:00.000+08:00')).toBe('1 Dec 2026, 09:30');
    setLang('zh');
    expect(bytes(1536 * 1024 * 1024)).toBe('1.5 GB');
    expect(bytes(512)).toBe('512 字节');
  });
});

describe('no words written straight into a page', () => {
  it('the scanner finds a literal in each place text reaches the screen', () => {
    const src = [
      "h('p', {}, 'Hello');",
      "h('input', { placeholder: '例如' });",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the page source under test holds a template
      "note('warn', `Recorder ${s} only`);",
      "el.textContent = ok ? 'Live' : t('x');",
      "facts([['Officer', x]]);",
      "h('p', {}, t('a.b'), ' · ', data.name);",
    ].join('\n');
    expect(hardcodedText(src).map((f) => f.line)).toEqual([1, 2, 3, 4, 5]);
  });

  const files = [
    ...readdirSync(join(SRC, 'pages')).map((f) => join('pages', f)),
    ...['main.ts', 'names.ts', 'dom.ts', 'format.ts', 'api.ts', 'labels.ts'].filter((f) => readdirSync(SRC).includes(f)),
  ].filter((f) => f.endsWith('.ts'));
  it.each(files)('%s takes every word from the catalogue', (f) => {
    expect(hardcodedText(readFileSync(join(SRC, f), 'utf8'), f)).toEqual([]);
  });
});
