import { api, qs, type Finding, type List, type Me, type Officer } from '../api.js';
import { h, facts, note, replace, append } from '../dom.js';
import { time } from '../format.js';
import { can, DEVICE_FINDINGS, findingLabel, findingStateLabel, REASONS, reasonLabel } from '../labels.js';
import type { Page } from '../main.js';
import { officerLabel, officers } from '../names.js';

const VIEWS: Array<{ key: string; label: string }> = [
  { key: 'todo', label: 'To do' },
  { key: 'open', label: 'Needs a justification' },
  { key: 'justified', label: 'Awaiting approval' },
  { key: 'approved', label: 'Approved' },
  { key: 'rejected', label: 'Rejected' },
  { key: 'all', label: 'All' },
];

function mayJustify(me: Me, f: Finding): boolean {
  if (f.state !== 'open' && f.state !== 'rejected') return false;
  if (me.role === 'officer') return f.officerNo === me.username;
  if (me.role === 'equipment_manager') return DEVICE_FINDINGS.includes(f.kind);
  return false;
}

const mayDecide = (me: Me, f: Finding) => can(me.role).decide && f.state === 'justified' && f.justifiedBy !== me.username;

/** What needs this user's action: findings to justify (officer, equipment manager) or to decide (supervisor). */
function isTodo(me: Me, f: Finding): boolean {
  return mayJustify(me, f) || mayDecide(me, f);
}

function span(f: Finding): string {
  const parts: string[] = [];
  if (f.seqFrom !== null) parts.push(f.seqTo !== null && f.seqTo !== f.seqFrom ? `files ${f.seqFrom}–${f.seqTo}` : `file ${f.seqFrom}`);
  if (f.from) parts.push(f.to ? `${time(f.from)} to ${time(f.to)}` : time(f.from));
  return parts.join(' · ');
}

function justifyForm(f: Finding, done: () => void): HTMLElement {
  const allowed = REASONS.filter((r) => r !== 'remote_duty' || f.kind === 'late_offload');
  const preset = f.prefillReason && (allowed as readonly string[]).includes(f.prefillReason) ? f.prefillReason : f.kind === 'late_offload' ? 'remote_duty' : '';
  const reason = h('select', { name: 'reason', required: true, id: `reason-${f.id}` }, h('option', { value: '' }, 'Choose the reason…'), allowed.map((r) => h('option', { value: r, selected: r === preset }, reasonLabel(r))));
  const text = h('textarea', { name: 'text', required: true, rows: 3, maxlength: 2000, id: `text-${f.id}`, placeholder: 'What happened, in your words' });
  // 004 §13: remote duty excuses a late offload only when the footage was stored within 24 h of the return.
  const returned = h('input', { type: 'datetime-local', name: 'returnedAt', id: `returned-${f.id}` });
  const returnedField = h(
    'div',
    { class: 'returned' },
    h('label', { for: returned.id }, 'When you returned to the unit'),
    returned,
    h('p', { class: 'muted small' }, 'Your computer\'s time. Remote duty excuses the delay only if the footage was stored within 24 hours of your return.'),
  );
  const showReturned = () => {
    returnedField.hidden = reason.value !== 'remote_duty';
    returned.required = reason.value === 'remote_duty';
  };
  reason.addEventListener('change', showReturned);
  showReturned();
  const msg = h('div', { class: 'msg' });
  const send = h('button', { type: 'submit' }, f.state === 'rejected' ? 'Justify again' : 'Send justification');
  const form = h(
    'form',
    { class: 'justify' },
    f.prefillReason ? note('info', `Pre-filled from the recorder's log: ${reasonLabel(f.prefillReason)}${f.prefillEvidence ? ` (${f.prefillEvidence})` : ''}.`) : null,
    h('label', { for: reason.id }, 'Reason'),
    reason,
    returnedField,
    h('label', { for: text.id }, 'Explanation'),
    text,
    send,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!reason.value || !text.value.trim()) return replace(msg, note('warn', 'Choose a reason and explain what happened.'));
    const body: Record<string, string> = { reason: reason.value, text: text.value.trim() };
    if (reason.value === 'remote_duty') {
      const at = returned.value ? new Date(returned.value) : null;
      if (!at || Number.isNaN(at.getTime())) return replace(msg, note('warn', 'Say when you returned to the unit.'));
      body.returnedAt = at.toISOString();
    }
    send.disabled = true;
    api
      .post(`/api/findings/${f.id}/justify`, body)
      .then(done)
      .catch((e: unknown) => {
        send.disabled = false;
        replace(msg, note('error', e instanceof Error ? e.message : String(e)));
      });
  });
  return form;
}

function decideForm(f: Finding, done: () => void): HTMLElement {
  const text = h('textarea', { name: 'decision', rows: 2, maxlength: 2000, id: `decision-${f.id}`, placeholder: 'Comment (needed to reject)' });
  const msg = h('div', { class: 'msg' });
  const approve = h('button', { type: 'button', class: 'approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'danger' }, 'Reject');
  const act = (what: 'approve' | 'reject') => {
    const t = text.value.trim();
    if (what === 'reject' && !t) return replace(msg, note('warn', 'Say why it is rejected: the officer reads it.'));
    approve.disabled = reject.disabled = true;
    api
      .post(`/api/findings/${f.id}/${what}`, t ? { text: t } : {})
      .then(done)
      .catch((e: unknown) => {
        approve.disabled = reject.disabled = false;
        replace(msg, note('error', e instanceof Error ? e.message : String(e)));
      });
  };
  approve.addEventListener('click', () => act('approve'));
  reject.addEventListener('click', () => act('reject'));
  return h('div', { class: 'decide' }, h('label', { for: text.id }, 'Your decision'), text, h('div', { class: 'buttons' }, approve, reject), msg);
}

function findingCard(f: Finding, me: Me, names: Map<string, Officer>, redraw: () => void): HTMLElement {
  return h(
    'article',
    { class: `finding card state-${f.state}`, 'data-id': f.id, 'data-kind': f.kind, 'data-state': f.state },
    h('header', {}, h('span', { class: 'kind' }, findingLabel(f.kind)), h('span', { class: `chip ${f.state === 'approved' ? 'ok' : f.state === 'open' || f.state === 'rejected' ? 'warn' : 'busy'}` }, findingStateLabel(f.state))),
    h('p', { class: 'detail' }, f.detail),
    facts([
      ['Officer', f.officerNo && me.role !== 'officer' ? officerLabel(f.officerNo, names) : null],
      ['Recorder', f.serial],
      ['Where', span(f) || null],
      ['Recording', f.recordingId !== null ? h('a', { href: `#/recordings/${f.recordingId}` }, 'Open it') : null],
      ['Found', time(f.createdAt)],
      ['Justification', f.reason ? [h('strong', {}, reasonLabel(f.reason)), f.text ? `: ${f.text}` : ''] : null],
      ['Returned to the unit', f.returnedAt ? time(f.returnedAt) : null],
      ['Justified by', f.justifiedBy ? `${f.justifiedBy}, ${time(f.justifiedAt)}` : null],
      ['Decided by', f.decidedBy ? `${f.decidedBy}, ${time(f.decidedAt)}${f.decisionText ? `: ${f.decisionText}` : ''}` : null],
    ]),
    mayJustify(me, f) ? justifyForm(f, redraw) : null,
    mayDecide(me, f) ? decideForm(f, redraw) : null,
  );
}

/** Findings with the justification workflow (004 §12): justify, then a supervisor approves or rejects. */
export const renderFindings: Page = async (ctx) => {
  const { main, query, me } = ctx;
  const view = query.get('view') ?? 'todo';
  const serial = query.get('serial') ?? undefined;
  const names = await officers(can(me.role).registry);
  const state = ['open', 'justified', 'approved', 'rejected'].includes(view) ? view : undefined;
  const list = await api.get<List<Finding>>(`/api/findings${qs({ state, serial, limit: 200 })}`);
  const items = view === 'todo' ? list.items.filter((f) => isTodo(me, f)) : list.items;
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Which findings' },
    VIEWS.map((t) => h('a', { href: `#/findings${qs({ view: t.key, serial })}`, class: t.key === view ? 'active' : null }, t.label)),
  );
  const body = h('div', { class: 'findings', id: 'findings' });
  if (items.length === 0) {
    append(body, h('div', { class: 'empty card' }, h('p', {}, view === 'todo' ? 'Nothing waits for you.' : 'No finding here.'), h('p', { class: 'muted' }, 'Findings are raised when a docking finds gaps, missing files, clock drift or late offloads.')));
  }
  const redraw = () => void renderFindings(ctx);
  for (const f of items) append(body, findingCard(f, me, names, redraw));
  replace(main, h('h1', {}, me.role === 'officer' ? 'My findings' : 'Findings'), serial ? h('p', { class: 'muted' }, `Recorder ${serial} only · `, h('a', { href: `#/findings${qs({ view })}` }, 'show all')) : null, tabs, body);
};
