import { api, qs, type AuditEntry, type List } from '../api.js';
import { h, note, replace, append } from '../dom.js';
import { time } from '../format.js';
import type { Page } from '../main.js';

interface Verify {
  ok: boolean;
  entries: number;
  head: string;
  brokenAt?: number;
  problem?: string;
}

function detailText(d: unknown): string {
  if (d === null || d === undefined) return '';
  if (typeof d !== 'object') return String(d);
  return Object.entries(d as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** The hash-chained audit trail, newest first, and its integrity check. */
export const renderAudit: Page = async ({ main }) => {
  const result = h('div', { id: 'verify-result' });
  const check = h('button', { type: 'button', id: 'verify' }, 'Check integrity');
  const runCheck = async () => {
    check.disabled = true;
    replace(result, note('info', 'Checking every entry’s hash chain…'));
    try {
      const v = await api.get<Verify>('/api/audit/verify');
      replace(
        result,
        v.ok
          ? note('ok', `Intact: all ${v.entries} entries chain correctly. Head `, h('code', { class: 'hash' }, v.head.slice(0, 16)), '…')
          : note('error', `Broken at entry ${v.brokenAt ?? '?'}: ${v.problem ?? 'the chain does not hold'}. The trail has been altered.`),
      );
    } catch (e) {
      replace(result, note('error', e instanceof Error ? e.message : String(e)));
    } finally {
      check.disabled = false;
    }
  };
  check.addEventListener('click', () => void runCheck());

  const rows = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Older entries');
  let cursor: string | null = null;
  const load = async () => {
    const list = await api.get<List<AuditEntry>>(`/api/audit${qs({ limit: 50, cursor })}`);
    cursor = list.next;
    more.hidden = cursor === null;
    for (const e of list.items)
      append(
        rows,
        h('tr', {}, h('td', { class: 'nowrap' }, time(e.at)), h('td', {}, e.actor), h('td', {}, e.action, e.subject ? h('small', { class: 'subject muted' }, e.subject) : null), h('td', { class: 'detail' }, detailText(e.detail))),
      );
  };
  more.addEventListener('click', () => void load());
  replace(
    main,
    h('h1', {}, 'Audit trail'),
    h('section', { class: 'card' }, h('p', {}, 'Every change at the dock is chained by hashes: altering or deleting an entry breaks the chain.'), check, result),
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'audit' }, h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'What'), h('th', {}, 'Details'))), rows)),
    h('p', {}, more),
  );
  await Promise.all([runCheck(), load()]);
};
