/** Display helpers. Times stay in the dock's zone, as the API gives them: only the layout changes. */

export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Bytes per second as MB/s (10^6, as transfer rates are usually given). */
export function rate(bps: number): string {
  return `${(bps / 1e6).toFixed(1)} MB/s`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : m > 0 ? `${m} min ${String(sec).padStart(2, '0')} s` : `${sec} s`;
}

/** Clock drift in words: "3 s fast", "1 min 35 s slow" (positive: the recorder was ahead). */
export function drift(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const abs = Math.abs(ms);
  if (abs < 1000) return 'on time';
  const s = Math.round(abs / 1000);
  const text = s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
  return `${text} ${ms > 0 ? 'fast' : 'slow'}`;
}

export function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
}

/** A date input's value (YYYY-MM-DD) as the start or end of that day, in the dock's zone (no offset). */
export function dayBound(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  return end ? `${day}T23:59:59.999` : `${day}T00:00:00`;
}
