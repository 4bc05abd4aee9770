import { api, errorText, may, qs, type Finding, type List, type Me, type Officer } from '../api.js';
import { append, facts, h, note, replace } from '../dom.js';
import { time } from '../format.js';
import { t, type Key } from '../i18n/index.js';
import { DEVICE_FINDINGS, findingLabel, findingStateLabel, reasonLabel } from '../labels.js';
import type { Page } from '../main.js';
import { officerLabel, officers } from '../names.js';

const VIEWS: Array<{ key: string; label: Key }> = [
  { key: 'todo', label: 'findings.view.todo' },
  { key: 'open', label: 'findings.view.open' },
  { key: 'justified', label: 'findings.view.justified' },
  { key: 'approved', label: 'findings.view.approved' },
  { key: 'rejected', label: 'findings.view.rejected' },
  { key: 'all', label: 'findings.view.all' },
];

function mayJustify(me: Me, f: Finding): boolean {
  if (f.state !== 'open' && f.state !== 'rejected') return false;
  const scope = me.rights['findings.justify'];
  if (scope === 'own') return f.officerNo === me.username;
  if (scope === 'device') return DEVICE_FINDINGS.includes(f.kind);
  return scope === 'all';
}

const mayDecide = (me: Me, f: Finding) => may(me, 'findings.decide') && f.state === 'justified' && f.justifiedBy !== me.username;

/** What needs this user's action: findings to justify (officer, equipment manager) or to decide (supervisor). */
function isTodo(me: Me, f: Finding): boolean {
  return mayJustify(me, f) || mayDecide(me, f);
}

function span(f: Finding): string {
  const parts: string[] = [];
  if (f.seqFrom !== null) parts.push(f.seqTo !== null && f.seqTo !== f.seqFrom ? t('findings.files', { from: f.seqFrom, to: f.seqTo }) : t('findings.file', { n: f.seqFrom }));
  if (f.from) parts.push(f.to ? t('findings.range', { from: time(f.from), to: time(f.to) }) : time(f.from));
  return parts.join(' · ');
}

function justifyForm(f: Finding, done: (message: string) => void): HTMLElement {
  // The reasons that fit this kind of finding, as the dock says (a clock drift is not excused by the weather).
  const allowed = f.reasons;
  const preset = f.prefillReason && allowed.includes(f.prefillReason) ? f.prefillReason : f.kind === 'late_offload' && allowed.includes('remote_duty') ? 'remote_duty' : '';
  const reason = h('select', { name: 'reason', required: true, id: `reason-${f.id}` }, h('option', { value: '' }, t('findings.chooseReason')), allowed.map((r) => h('option', { value: r, selected: r === preset }, reasonLabel(r))));
  const text = h('textarea', { name: 'text', required: true, rows: 3, maxlength: 2000, id: `text-${f.id}`, placeholder: t('findings.explain') });
  // 004 §13: remote duty excuses a late offload only when the footage was stored within 24 h of the return.
  const returned = h('input', { type: 'datetime-local', name: 'returnedAt', id: `returned-${f.id}`, 'aria-describedby': `returned-hint-${f.id}` });
  const returnedField = h(
    'div',
    { class: 'returned' },
    h('label', { for: returned.id }, t('findings.returned')),
    returned,
    h('p', { class: 'muted small', id: `returned-hint-${f.id}` }, t('findings.returnedHint')),
  );
  const showReturned = () => {
    returnedField.hidden = reason.value !== 'remote_duty';
    returned.required = reason.value === 'remote_duty';
  };
  reason.addEventListener('change', showReturned);
  showReturned();
  const msg = h('div', { class: 'msg', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit' }, f.state === 'rejected' ? t('findings.justifyAgain') : t('findings.send'));
  const form = h(
    'form',
    { class: 'justify' },
    f.prefillReason ? note('info', t('findings.prefilled', { reason: reasonLabel(f.prefillReason) }), f.prefillEvidence ? `（${f.prefillEvidence}）` : '') : null,
    h('label', { for: reason.id }, t('common.reason')),
    reason,
    returnedField,
    h('label', { for: text.id }, t('field.text')),
    text,
    send,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!reason.value || !text.value.trim()) return replace(msg, note('warn', t('findings.needReason')));
    const body: Record<string, string> = { reason: reason.value, text: text.value.trim() };
    if (reason.value === 'remote_duty') {
      const at = returned.value ? new Date(returned.value) : null;
      if (!at || Number.isNaN(at.getTime())) return replace(msg, note('warn', t('findings.needReturn')));
      body.returnedAt = at.toISOString();
    }
    send.disabled = true;
    api
      .post(`/api/findings/${f.id}/justify`, body)
      .then(() => done(t('findings.sent')))
      .catch((e: unknown) => {
        send.disabled = false;
        replace(msg, note('error', errorText(e)));
      });
  });
  return form;
}

function decideForm(f: Finding, done: (message: string) => void): HTMLElement {
  const text = h('textarea', { name: 'decision', rows: 2, maxlength: 2000, id: `decision-${f.id}`, placeholder: t('findings.decisionHint') });
  const msg = h('div', { class: 'msg', 'aria-live': 'polite' });
  const approve = h('button', { type: 'button', class: 'approve' }, t('findings.approve'));
  const reject = h('button', { type: 'button', class: 'danger' }, t('findings.reject'));
  const act = (what: 'approve' | 'reject') => {
    const comment = text.value.trim();
    if (what === 'reject' && !comment) return replace(msg, note('warn', t('findings.needWhy')));
    approve.disabled = reject.disabled = true;
    api
      .post(`/api/findings/${f.id}/${what}`, comment ? { text: comment } : {})
      .then(() => done(what === 'approve' ? t('findings.approved') : t('findings.rejected')))
      .catch((e: unknown) => {
        approve.disabled = reject.disabled = false;
        replace(msg, note('error', errorText(e)));
      });
  };
  approve.addEventListener('click', () => act('approve'));
  reject.addEventListener('click', () => act('reject'));
  return h('div', { class: 'decide' }, h('label', { for: text.id }, t('findings.decision')), text, h('div', { class: 'buttons' }, approve, reject), msg);
}

function findingCard(f: Finding, me: Me, names: Map<string, Officer>, done: (message: string) => void): HTMLElement {
  return h(
    'article',
    { class: `finding card state-${f.state}`, 'data-id': f.id, 'data-kind': f.kind, 'data-state': f.state },
    h('header', {}, h('h2', { class: 'kind' }, findingLabel(f.kind)), h('span', { class: `chip ${f.state === 'approved' ? 'ok' : f.state === 'open' || f.state === 'rejected' ? 'warn' : 'busy'}` }, findingStateLabel(f.state))),
    // The dock's own record of what it found is written in its log's words: kept, folded under a label in the user's language.
    h('details', { class: 'detail' }, h('summary', {}, t('findings.technical')), h('p', {}, f.detail)),
    facts([
      [t('findings.officer'), f.officerNo && me.role !== 'officer' ? officerLabel(f.officerNo, names) : null],
      [t('common.recorder'), f.serial],
      [t('findings.where'), span(f) || null],
      [t('findings.recording'), f.recordingId !== null ? h('a', { href: `#/recordings/${f.recordingId}` }, t('findings.open')) : null],
      [t('findings.found'), time(f.createdAt)],
      [t('findings.justification'), f.reason ? [h('strong', {}, reasonLabel(f.reason)), f.text ? `：${f.text}` : ''] : null],
      [t('findings.returned'), f.returnedAt ? time(f.returnedAt) : null],
      [t('findings.justifiedBy'), f.justifiedBy ? t('findings.byAt', { who: f.justifiedBy, at: time(f.justifiedAt) }) : null],
      [t('findings.decidedBy'), f.decidedBy ? [t('findings.byAt', { who: f.decidedBy, at: time(f.decidedAt) }), f.decisionText ? `：${f.decisionText}` : ''] : null],
    ]),
    mayJustify(me, f) ? justifyForm(f, done) : null,
    mayDecide(me, f) ? decideForm(f, done) : null,
  );
}

/** Findings with the justification workflow (004 §12): justify, then a supervisor approves or rejects. */
export const renderFindings: Page = async (ctx) => {
  const { main, query, me } = ctx;
  const view = query.get('view') ?? 'todo';
  const serial = query.get('serial') ?? undefined;
  const names = await officers(may(me, 'registry.read'));
  const state = ['open', 'justified', 'approved', 'rejected'].includes(view) ? view : undefined;
  const list = await api.get<List<Finding>>(`/api/findings${qs({ state, serial, limit: 200 })}`);
  const items = view === 'todo' ? list.items.filter((f) => isTodo(me, f)) : list.items;
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': t('findings.which') },
    VIEWS.map((v) => h('a', { href: `#/findings${qs({ view: v.key, serial })}`, class: v.key === view ? 'active' : null, 'aria-current': v.key === view ? 'page' : null }, t(v.label))),
  );
  const body = h('div', { class: 'findings', id: 'findings' });
  if (items.length === 0) {
    append(body, h('div', { class: 'empty card' }, h('p', {}, view === 'todo' ? t('findings.nothingForYou') : t('findings.none')), h('p', { class: 'muted' }, t('findings.hint'))));
  }
  // After an action the list is drawn again with a word saying it was done.
  const done = (message: string) =>
    void renderFindings(ctx).then(() => {
      main.querySelector('h1')?.after(note('ok', message));
    });
  for (const f of items) append(body, findingCard(f, me, names, done));
  replace(
    main,
    h('h1', {}, me.role === 'officer' ? t('findings.myTitle') : t('findings.title')),
    serial ? h('p', { class: 'muted' }, t('findings.onlyRecorder', { serial }), h('a', { href: `#/findings${qs({ view })}` }, t('findings.showAll'))) : null,
    tabs,
    body,
  );
};
