/**
 * The console's words: one catalogue per language (zh.ts is the source of the keys, en.ts must have each of
 * them or the build fails), `t(key, params)` to read one, and the formats of dates, numbers and sizes for the
 * language in use. Simplified Chinese is the default. The choice is kept in this browser per username
 * (localStorage `bwc-dock.lang.<username>`), and the last choice made here shows the login page.
 */
import { en } from './en.js';
import { zh, type Key } from './zh.js';

export type { Key };
export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];
/** How each language names itself on the switch (stays in its own script for the one who needs it). */
export const LANG_NAMES: Record<Lang, string> = { zh: '中文', en: 'English' };

const CATALOGUES: Record<Lang, Record<Key, string>> = { zh, en };
const LOCALES: Record<Lang, string> = { zh: 'zh-CN', en: 'en-GB' };
const STORE = 'bwc-dock.lang';

let current: Lang = 'zh';
const listeners = new Set<(l: Lang) => void>();

function stored(name: string): Lang | null {
  try {
    const v = globalThis.localStorage?.getItem(name);
    return v === 'zh' || v === 'en' ? v : null;
  } catch {
    return null;
  }
}

function store(name: string, l: Lang): void {
  try {
    globalThis.localStorage?.setItem(name, l);
  } catch {
    /* private mode: the choice lasts this page only */
  }
}

export function lang(): Lang {
  return current;
}

export function locale(): string {
  return LOCALES[current];
}

/** The language for this user: their own choice, else the last one made in this browser, else Chinese. */
export function langFor(username: string | null): Lang {
  return (username ? stored(`${STORE}.${username}`) : null) ?? stored(STORE) ?? 'zh';
}

/** Use a language (and remember it for the user, when one is logged in). */
export function setLang(l: Lang, username: string | null = null): void {
  if (username) store(`${STORE}.${username}`, l);
  store(STORE, l);
  useLang(l);
}

/** Switch without remembering (the login of a user whose choice differs from the last one here). */
export function useLang(l: Lang): void {
  if (current === l) return;
  current = l;
  if (typeof document !== 'undefined') document.documentElement.lang = LOCALES[l];
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn: (l: Lang) => void): void {
  listeners.add(fn);
}

export type Params = Record<string, string | number>;

/** A message in the language in use; `{name}` is replaced by params.name (numbers in the local format). */
export function t(key: Key, params?: Params): string {
  const text = CATALOGUES[current][key] ?? zh[key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => {
    const v = params[name];
    return v === undefined ? m : typeof v === 'number' ? number(v) : v;
  });
}

/** Whether a key exists: for names that come from the API (states, kinds, actions). */
export function hasKey(key: string): key is Key {
  return Object.hasOwn(zh, key);
}

/** An API name's words (`prefix.name`), or the name made readable when the catalogue does not know it. */
export function label(prefix: string, name: string | null | undefined): string {
  if (!name) return '';
  const key = `${prefix}.${name}`;
  return hasKey(key) ? t(key) : name.replace(/_/g, ' ');
}

export function number(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(LOCALES[current], opts).format(n);
}

/**
 * A time the API gives in the dock's zone (2026-12-01T09:30:00.000+08:00) in the local layout, keeping the
 * dock's wall clock (not the browser's zone): 2026年12月1日 09:30, or 1 Dec 2026, 09:30.
 */
export function dateTime(iso: string | null | undefined, opts: { seconds?: boolean; date?: boolean; time?: boolean } = {}): string {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(iso);
  if (!m) return iso;
  const wall = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)));
  const withDate = opts.date !== false;
  const withTime = opts.time !== false && m[4] !== undefined;
  const f: Intl.DateTimeFormatOptions = { timeZone: 'UTC' };
  if (withDate) Object.assign(f, { year: 'numeric', month: current === 'zh' ? 'long' : 'short', day: 'numeric' });
  if (withTime) Object.assign(f, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(opts.seconds ? { second: '2-digit' } : {}) });
  return new Intl.DateTimeFormat(LOCALES[current], f).format(wall);
}

/** Bytes in binary units with the local number format: 1.5 GB / 1.5 GB. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024) return t('unit.bytes', { n });
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${number(v, { maximumFractionDigits: v < 10 ? 1 : 0 })} ${units[i]}`;
}
