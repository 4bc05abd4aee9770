/** Display helpers in the language in use. Times stay in the dock's zone, as the API gives them. */
import { bytes as localBytes, dateTime, number, t } from './i18n/index.js';

export function time(iso: string | null | undefined): string {
  return dateTime(iso);
}

/** A time with seconds (the audit trail, custody). */
export function timeS(iso: string | null | undefined): string {
  return dateTime(iso, { seconds: true });
}

export function day(iso: string | null | undefined): string {
  return dateTime(iso, { time: false });
}

export function bytes(n: number | null | undefined): string {
  return localBytes(n);
}

/** Bytes per second as MB/s (10^6, as transfer rates are usually given). */
export function rate(bps: number): string {
  return t('unit.rate', { v: number(bps / 1e6, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? t('time.hm', { h, m }) : m > 0 ? t('time.ms', { m, s: sec }) : t('time.s', { s: sec });
}

/** Clock drift in words: "快 3 秒", "慢 1 分 35 秒" (positive: the recorder was ahead). */
export function drift(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const abs = Math.abs(ms);
  if (abs < 1000) return t('drift.onTime');
  const s = Math.round(abs / 1000);
  const text = s >= 60 ? t('time.ms', { m: Math.floor(s / 60), s: s % 60 }) : t('time.s', { s });
  return t(ms > 0 ? 'drift.fast' : 'drift.slow', { t: text });
}

export function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
}

/** A battery level or a share: "80%" / "80 %". */
export function pct(p: number | null | undefined): string {
  return p === null || p === undefined ? '' : t('common.percent', { p });
}

/** A date input's value (YYYY-MM-DD) as the start or end of that day, in the dock's zone (no offset). */
export function dayBound(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  return end ? `${day}T23:59:59.999` : `${day}T00:00:00`;
}
