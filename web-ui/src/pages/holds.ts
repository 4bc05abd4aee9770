import { api, errorText, may, type List, type Me } from '../api.js';
import { h, note, replace } from '../dom.js';
import { bytes, time } from '../format.js';
import { label, t } from '../i18n/index.js';
import type { Page } from '../main.js';
import { field, table, td } from '../ui.js';

interface Hold {
  id: number;
  reason: string;
  caseRef: string;
  note: string | null;
  recordingIds: number[];
  placedBy: string;
  placedAt: string;
  active: boolean;
  releasedBy: string | null;
  releasedAt: string | null;
  releaseReason: string | null;
  releaseConfirmedBy: string | null;
  releaseRequest: { requestedBy: string; requestedAt: string; reason: string } | null;
}
interface Archive {
  id: string;
  holdId: number | null;
  caseRef: string;
  title: string;
  createdBy: string;
  createdAt: string;
  files: number;
  bytes: number;
  images: Array<{ n: number; name: string; size: number; sha256: string; url: string }>;
}

const HOLD_REASONS = ['case', 'dispute', 'obstruction', 'sensitive'];
const ids = (s: string) =>
  s
    .split(/[,，\s]+/)
    .map((x) => Number(x.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);

/** One disc image set: its label (case, title, who made it and when, files) and the images to download. */
function archiveCard(a: Archive): HTMLElement {
  return h(
    'article',
    { class: 'card archive', 'data-id': a.id },
    h('h3', {}, t('arch.label')),
    h('p', { class: 'label-box' }, `${a.title}\n${t('holds.col.case')}：${a.caseRef}\n${t('arch.files', { files: a.files, size: bytes(a.bytes) })}\n${t('arch.made', { who: a.createdBy, at: time(a.createdAt) })}`),
    h(
      'ul',
      { class: 'plain' },
      a.images.map((i) => h('li', {}, h('a', { href: i.url, download: '', class: 'button secondary' }, t('arch.download', { n: i.n, size: bytes(i.size) })), ' ', h('code', { class: 'hash' }, t('rec.sha'), ' ', i.sha256.slice(0, 16), '…'))),
    ),
  );
}

function holdActions(me: Me, x: Hold, redraw: (message: string) => void): HTMLElement | null {
  if (!x.active || !may(me, 'holds.manage')) return null;
  const out = h('div', { class: 'msg', 'aria-live': 'polite' });
  // A release may need a second person (then it waits) or take effect at once: the answer says which.
  const post = (path: string, body: unknown, message: string) =>
    api
      .post<Hold>(`/api/holds/${x.id}/${path}`, body)
      .then((after) => redraw(path === 'release' && !after.active ? t('holds.releasedOk') : message))
      .catch((e: unknown) => replace(out, note('error', errorText(e))));
  const parts: HTMLElement[] = [];
  const req = x.releaseRequest;
  if (req) {
    parts.push(h('p', { class: 'small' }, t('holds.releaseAsked', { who: req.requestedBy, at: time(req.requestedAt), reason: req.reason })));
    // The two-person rule: the one who asked cannot confirm (the dock refuses it anyway).
    if (req.requestedBy !== me.username)
      parts.push(
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'approve', onclick: () => void post('release/confirm', {}, t('holds.releasedOk')) }, t('holds.confirm')),
          h('button', { type: 'button', class: 'secondary', onclick: () => void post('release/decline', {}, t('holds.declinedOk')) }, t('holds.decline')),
        ),
      );
  } else {
    const why = h('input', { id: `release-${x.id}`, maxlength: 500 });
    parts.push(h('div', { class: 'inline-form' }, field(t('holds.releaseReason'), why), h('div', { class: 'field submit' }, h('button', { type: 'button', class: 'secondary', onclick: () => void post('release', { reason: why.value.trim() }, t('holds.requested')) }, t('holds.release')))));
  }
  const title = h('input', { id: `arch-title-${x.id}`, maxlength: 200 });
  const unit = h('input', { id: `arch-unit-${x.id}`, maxlength: 200 });
  const make = h('button', { type: 'button', class: 'secondary make-archive' }, t('holds.archive'));
  make.addEventListener('click', () => {
    make.disabled = true;
    replace(out, note('info', t('holds.archiving')));
    const body: Record<string, string> = {};
    if (title.value.trim()) body.title = title.value.trim();
    if (unit.value.trim()) body.unit = unit.value.trim();
    api
      .post(`/api/holds/${x.id}/archive`, body)
      .then(() => redraw(t('holds.archived')))
      .catch((e: unknown) => {
        make.disabled = false;
        replace(out, note('error', errorText(e)));
      });
  });
  parts.push(h('div', { class: 'inline-form' }, field(t('holds.archiveTitle'), title), field(t('holds.archiveUnit'), unit), h('div', { class: 'field submit' }, make)));
  return h('div', { class: 'hold-actions' }, parts, out);
}

/** `#/holds`: place a hold, release it (two people), make disc images, see their labels and download them. */
export const renderHolds: Page = async (ctx) => {
  const { main, me, query } = ctx;
  const [holds, archives] = await Promise.all([api.get<List<Hold>>('/api/holds?limit=200'), api.get<List<Archive>>('/api/archives?limit=100')]);
  const msg = h('div', { class: 'msg', id: 'holds-msg', 'aria-live': 'polite' });
  const redraw = (message: string) =>
    void renderHolds(ctx).then(() => {
      const m = document.getElementById('holds-msg');
      if (m) replace(m, note('ok', message));
    });
  let form: HTMLElement | null = null;
  if (may(me, 'holds.manage')) {
    const recs = h('input', { id: 'hold-recordings', required: true, value: query.get('recording') ?? '', inputmode: 'numeric' });
    const reason = h('select', { id: 'hold-reason' }, HOLD_REASONS.map((r) => h('option', { value: r }, label('hreason', r))));
    const caseRef = h('input', { id: 'hold-case', required: true, maxlength: 64 });
    const noteIn = h('input', { id: 'hold-note', maxlength: 1000 });
    const f = h(
      'form',
      { class: 'card', id: 'hold-form' },
      h('h2', {}, t('holds.place')),
      h('div', { class: 'filters' }, field(t('holds.recordings'), recs), field(t('holds.reason'), reason), field(t('holds.caseRef'), caseRef), field(t('holds.note'), noteIn)),
      h('button', { type: 'submit' }, t('holds.submit')),
    );
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      api
        .post<Hold>('/api/holds', { recordingIds: ids(recs.value), reason: reason.value, caseRef: caseRef.value.trim(), note: noteIn.value.trim() || null })
        .then((x) => redraw(t('holds.placed', { id: x.id })))
        .catch((e: unknown) => replace(msg, note('error', errorText(e))));
    });
    form = f;
  }
  const rows = holds.items.map((x) =>
    h(
      'tr',
      { 'data-id': x.id, class: x.active ? 'hold-active' : 'hold-released' },
      td(String(x.id)),
      td(x.caseRef, h('br'), h('small', { class: 'muted' }, label('hreason', x.reason), x.note ? ` · ${x.note}` : '')),
      td(x.recordingIds.flatMap((id, i) => [i ? '、' : '', h('a', { href: `#/recordings/${id}` }, `#${id}`)])),
      td(x.placedBy, h('br'), h('small', { class: 'muted' }, time(x.placedAt))),
      td(
        h('span', { class: `chip ${x.active ? 'warn' : 'ok'}` }, x.active ? t('holds.active') : t('holds.released')),
        x.releasedBy ? h('p', { class: 'small muted' }, t('common.by', { who: x.releasedBy }), ' ', time(x.releasedAt), x.releaseReason ? ` · ${x.releaseReason}` : '') : null,
        holdActions(me, x, redraw),
      ),
    ),
  );
  replace(
    main,
    h('h1', {}, t('holds.title')),
    h('p', { class: 'muted' }, t('holds.intro')),
    msg,
    form ?? note('info', t('holds.onlyReaders')),
    table('holds', [t('holds.col.no'), t('holds.col.case'), t('holds.col.recordings'), t('holds.col.placed'), t('holds.col.state')], rows, t('holds.empty')),
    h('h2', {}, t('arch.title')),
    archives.items.length === 0 ? h('p', { class: 'muted' }, t('arch.empty')) : h('div', { class: 'archives', id: 'archives' }, archives.items.map(archiveCard)),
  );
};
