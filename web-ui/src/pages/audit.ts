import { api, errorText, qs, type AuditEntry, type List } from '../api.js';
import { append, h, note, replace } from '../dom.js';
import { timeS } from '../format.js';
import { hasKey, t } from '../i18n/index.js';
import type { Page } from '../main.js';
import { downloadCsv } from '../csv.js';
import { field } from '../ui.js';

interface Verify {
  ok: boolean;
  entries: number;
  head: string;
  brokenAt?: number;
  problem?: string;
}

/** An action of the trail in words (`action.<name>`), else as the dock names it. */
export function actionLabel(action: string): string {
  const key = `action.${action}`;
  return hasKey(key) ? t(key) : action;
}

/** Who did it: a username, or the dock itself, the command line or an anonymous request in words. */
export function actorLabel(actor: string): string {
  const key = `actor.${actor}`;
  return hasKey(key) ? t(key) : actor;
}

/** A detail's field in words when the catalogue knows it. */
const detailKey = (k: string) => (hasKey(`detail.${k}`) ? t(`detail.${k}` as Parameters<typeof t>[0]) : k);

function detailText(d: unknown): string {
  if (d === null || d === undefined) return '';
  if (typeof d !== 'object') return String(d);
  return Object.entries(d as Record<string, unknown>)
    .map(([k, v]) => `${detailKey(k)}：${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('；');
}

/** The hash-chained audit trail, newest first, filtered by who and what, its integrity check and its CSV. */
export const renderAudit: Page = async ({ main, query }) => {
  const result = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const check = h('button', { type: 'button', id: 'verify' }, t('audit.check'));
  const runCheck = async () => {
    check.disabled = true;
    replace(result, note('info', t('audit.checking')));
    try {
      const v = await api.get<Verify>('/api/audit/verify');
      replace(
        result,
        v.ok
          ? note('ok', t('audit.intact', { n: v.entries }), h('code', { class: 'hash' }, v.head.slice(0, 16)), '…')
          : note('error', t('audit.broken', { at: v.brokenAt ?? '?', problem: v.problem ?? t('audit.brokenDefault') })),
      );
    } catch (e) {
      replace(result, note('error', errorText(e)));
    } finally {
      check.disabled = false;
    }
  };
  check.addEventListener('click', () => void runCheck());

  const actor = h('input', { id: 'audit-actor', value: query.get('actor') ?? '', maxlength: 64, autocomplete: 'off' });
  const action = h('input', { id: 'audit-action', value: query.get('action') ?? '', maxlength: 64, list: 'audit-actions', autocomplete: 'off' });
  const actions = h('datalist', { id: 'audit-actions' });
  const filters = h(
    'form',
    { class: 'filters card', id: 'audit-filters' },
    field(t('audit.filterActor'), actor),
    field(t('audit.filterAction'), action),
    actions,
    h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('audit.filter'))),
  );
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/audit${qs({ actor: actor.value.trim(), action: action.value.trim() })}`;
  });
  const filter = { actor: query.get('actor') || undefined, action: query.get('action') || undefined };

  const rows = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('common.older'));
  const exportBtn = h('button', { type: 'button', class: 'secondary', id: 'audit-csv' }, t('audit.export'));
  const msg = h('div', { class: 'msg' });
  let cursor: string | null = null;
  const row = (e: AuditEntry) =>
    h(
      'tr',
      { 'data-action': e.action },
      h('td', { class: 'nowrap' }, timeS(e.at)),
      h('td', {}, actorLabel(e.actor)),
      h('td', {}, actionLabel(e.action), e.subject ? h('small', { class: 'subject muted' }, t('audit.subject', { s: e.subject })) : null),
      h('td', { class: 'detail' }, detailText(e.detail)),
    );
  const load = async () => {
    const list = await api.get<List<AuditEntry>>(`/api/audit${qs({ limit: 50, cursor, ...filter })}`);
    cursor = list.next;
    more.hidden = cursor === null;
    for (const e of list.items) append(rows, row(e));
    if (rows.childElementCount === 0) append(rows, h('tr', {}, h('td', { colspan: 4, class: 'muted' }, t('common.noData'))));
  };
  more.addEventListener('click', () => void load());
  // The CSV holds what the filter shows (up to 10,000 entries), in words, with a BOM for spreadsheets.
  exportBtn.addEventListener('click', () => {
    exportBtn.disabled = true;
    void (async () => {
      const all: AuditEntry[] = [];
      let c: string | null = null;
      do {
        const l: List<AuditEntry> = await api.get<List<AuditEntry>>(`/api/audit${qs({ limit: 500, cursor: c, ...filter })}`);
        all.push(...l.items);
        c = l.next;
      } while (c && all.length < 10_000);
      downloadCsv(
        'audit.csv',
        [t('audit.col.no'), t('common.when'), t('common.who'), t('common.what'), t('audit.col.subject'), t('common.details'), t('audit.col.hash')],
        all.map((e) => [String(e.id), timeS(e.at), actorLabel(e.actor), actionLabel(e.action), e.subject ?? '', detailText(e.detail), e.hash]),
      );
    })()
      .catch((e: unknown) => replace(msg, note('error', errorText(e))))
      .finally(() => {
        exportBtn.disabled = false;
      });
  });
  for (const a of ACTIONS) append(actions, h('option', { value: a }, actionLabel(a)));
  replace(
    main,
    h('h1', {}, t('audit.title')),
    h('section', { class: 'card' }, h('p', {}, t('audit.intro')), check, result),
    filters,
    h('p', { class: 'actions' }, exportBtn),
    msg,
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'audit' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('common.when')), h('th', { scope: 'col' }, t('common.who')), h('th', { scope: 'col' }, t('common.what')), h('th', { scope: 'col' }, t('common.details')))), rows)),
    h('p', {}, more),
  );
  await Promise.all([runCheck(), load()]);
};

/** The actions the filter suggests (the dock's audit actions). */
const ACTIONS = [
  'login',
  'login.failed',
  'login.refused',
  'logout',
  'device.checkout',
  'device.checkin',
  'device.left_dock',
  'device.status',
  'recording.stored',
  'recording.flagged',
  'recording.purged',
  'recorder.erased',
  'manifest.signed',
  'finding.raised',
  'finding.justified',
  'finding.approved',
  'finding.rejected',
  'officer.created',
  'officer.updated',
  'officers.imported',
  'ledger.exported',
  'retention.queued',
  'retention.kept',
  'hold.placed',
  'hold.released',
  'hold.release_requested',
  'hold.release_declined',
  'archive.created',
  'archive.downloaded',
  'activity.declared',
  'user.added',
  'user.disabled',
  'user.enabled',
  'user.role.changed',
  'user.password.reset',
  'user.password.changed',
  'slot.ending_seen',
];
