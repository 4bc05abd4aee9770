import { api, errorText, may, qs, type List } from '../api.js';
import { append, h, note, replace } from '../dom.js';
import { bytes, day, time } from '../format.js';
import { t } from '../i18n/index.js';
import type { Page } from '../main.js';
import { officerLabel, officers } from '../names.js';
import { field, table, td } from '../ui.js';

interface QueueItem {
  id: number;
  serial: string;
  seq: number;
  name: string;
  officerNo: string | null;
  unitNo: string | null;
  size: number;
  sha256: string;
  start: string;
  retainUntil: string;
  enteredAt: string | null;
  autoPurgeAt: string | null;
  hold: boolean;
}
interface Tombstone {
  recordingId: number;
  serial: string;
  seq: number;
  name: string;
  size: number;
  sha256: string;
  approvedBy: string;
  at: string;
  reason: string;
  fileRemovedAt: string | null;
  pending: boolean;
}
interface Outcome {
  purged?: number[];
  kept?: number[];
  refused: Array<{ id: number; reason: string }>;
}

/** What a purge or keep did, item by item: how many were done, and each refusal with its reason. */
function outcome(o: Outcome, doneKey: 'retention.purged' | 'retention.kept'): HTMLElement[] {
  const done = (o.purged ?? o.kept ?? []).length;
  const out: HTMLElement[] = [note('ok', t(doneKey, { n: done }))];
  if (o.refused.length > 0)
    out.push(note('warn', t('retention.refused', { n: o.refused.length })), h('ul', { class: 'problems', id: 'refused' }, o.refused.map((r) => h('li', {}, t('retention.refusedItem', { id: r.id, reason: r.reason })))));
  return out;
}

/** `#/retention`: the recordings due at the end of their retention (004 §15): purge or keep, item by item, with reasons. */
export const renderRetention: Page = async (ctx) => {
  const { main, me } = ctx;
  const [items, names] = await Promise.all([api.get<List<QueueItem>>('/api/retention/queue?limit=200').then((l) => l.items), officers(may(me, 'registry.read'))]);
  const decide = may(me, 'retention.decide');
  const msg = h('div', { class: 'msg', id: 'retention-msg', 'aria-live': 'polite' });
  const picks = new Map<number, HTMLInputElement>();
  const rows = items.map((r) => {
    const box = h('input', { type: 'checkbox', class: 'pick', 'data-id': r.id, disabled: r.hold || !decide, 'aria-label': t('retention.pickAria', { name: r.name }) });
    picks.set(r.id, box);
    return h(
      'tr',
      { 'data-id': r.id },
      td(box),
      td(h('a', { href: `#/recordings/${r.id}` }, r.name), h('br'), h('small', { class: 'muted' }, `${r.serial} · ${bytes(r.size)}`), r.hold ? h('span', { class: 'chip warn' }, t('retention.held')) : null),
      td(r.officerNo ? officerLabel(r.officerNo, names) : ''),
      td(time(r.start)),
      td(day(r.retainUntil)),
      td(time(r.autoPurgeAt)),
    );
  });
  const reason = h('input', { id: 'retention-reason', maxlength: 500, required: true });
  const until = h('input', { id: 'retention-until', type: 'date' });
  const purge = h('button', { type: 'button', class: 'danger', id: 'purge' }, t('retention.purge'));
  const keep = h('button', { type: 'button', class: 'secondary', id: 'keep' }, t('retention.keep'));
  const all = h('button', { type: 'button', class: 'secondary', id: 'pick-all' }, t('retention.all'));
  all.addEventListener('click', () => {
    for (const b of picks.values()) if (!b.disabled) b.checked = true;
  });
  const picked = () => [...picks.entries()].filter(([, b]) => b.checked).map(([id]) => id);
  const check = (needUntil: boolean): number[] | null => {
    const ids = picked();
    if (ids.length === 0) return replace(msg, note('warn', t('retention.needPick'))), null;
    if (!reason.value.trim()) return replace(msg, note('warn', t('retention.needReason'))), null;
    if (needUntil && !until.value) return replace(msg, note('warn', t('retention.needUntil'))), null;
    return ids;
  };
  // The page is drawn again and says what was done and what was refused, and why.
  const redraw = (o: Outcome, key: 'retention.purged' | 'retention.kept') =>
    renderRetention(ctx).then(() => {
      const m = document.getElementById('retention-msg');
      if (m) replace(m, ...outcome(o, key));
    });
  purge.addEventListener('click', () => {
    const ids = check(false);
    if (!ids || !confirm(t('retention.confirmPurge', { n: ids.length }))) return;
    purge.disabled = true;
    api
      .post<Outcome>('/api/retention/purge', { ids, reason: reason.value.trim() })
      .then((o) => redraw(o, 'retention.purged'))
      .catch((e: unknown) => replace(msg, note('error', errorText(e))))
      .finally(() => {
        purge.disabled = false;
      });
  });
  keep.addEventListener('click', () => {
    const ids = check(true);
    if (!ids) return;
    keep.disabled = true;
    api
      .post<Outcome>('/api/retention/keep', { ids, reason: reason.value.trim(), until: until.value })
      .then((o) => redraw(o, 'retention.kept'))
      .catch((e: unknown) => replace(msg, note('error', errorText(e))))
      .finally(() => {
        keep.disabled = false;
      });
  });
  replace(
    main,
    h('h1', {}, t('retention.title')),
    h('p', { class: 'muted' }, t('retention.intro')),
    msg,
    items.length === 0
      ? h('div', { class: 'empty card' }, h('p', {}, t('retention.empty')))
      : [
          table('retention', [t('retention.col.pick'), t('retention.col.recording'), t('common.officer'), t('retention.col.start'), t('retention.col.until'), t('retention.col.auto')], rows),
          decide ? h('div', { class: 'card inline-form', id: 'retention-decide' }, h('div', { class: 'field submit' }, all), field(t('retention.reason'), reason), field(t('retention.until'), until), h('div', { class: 'field submit' }, purge), h('div', { class: 'field submit' }, keep)) : null,
        ],
  );
};

/** `#/tombstones`: what each purge left: who approved it, when, why, the file's hash. */
export const renderTombstones: Page = async ({ main }) => {
  const body = h('div', { id: 'tombstones-wrap' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('common.more'));
  const rows: HTMLTableRowElement[] = [];
  let cursor: string | null = null;
  const load = async () => {
    const l = await api.get<List<Tombstone>>(`/api/retention/tombstones${qs({ limit: 100, cursor })}`);
    cursor = l.next;
    more.hidden = cursor === null;
    for (const x of l.items)
      rows.push(
        h(
          'tr',
          { 'data-id': x.recordingId },
          td(x.name, h('br'), h('small', { class: 'muted' }, `${x.serial} · ${bytes(x.size)}`), h('br'), h('code', { class: 'hash' }, x.sha256.slice(0, 16), '…')),
          td(x.approvedBy),
          td(time(x.at)),
          td(x.reason),
          td(x.fileRemovedAt ? time(x.fileRemovedAt) : h('span', { class: 'chip busy' }, t('tomb.pending'))),
        ),
      );
    replace(body, table('tombstones', [t('tomb.col.file'), t('tomb.col.approved'), t('tomb.col.at'), t('tomb.col.reason'), t('tomb.col.removed')], rows, t('tomb.empty')));
  };
  more.addEventListener('click', () => void load().catch((e: unknown) => append(body, note('error', errorText(e)))));
  replace(main, h('h1', {}, t('tomb.title')), h('p', { class: 'muted' }, t('tomb.intro')), body, h('p', {}, more));
  await load();
};
