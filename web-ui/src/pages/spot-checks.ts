import { api, qs, type List } from '../api.js';
import { facts, h, note, replace } from '../dom.js';
import { dayBound, duration, time } from '../format.js';
import { label, t } from '../i18n/index.js';
import type { Page } from '../main.js';

/** A unit's reviews (GET /api/spot-checks/units). */
export interface UnitReview {
  unitNo: string;
  unitName: string;
  lastReviewAt: string | null;
  reviewedThisYear: boolean;
  year: number;
}

interface ChecklistItem {
  item: string;
  rule: string;
  text: string;
}

interface Review {
  recordingId: number;
  position: number;
  officerNo: string | null;
  officerName: string | null;
  unitNo: string | null;
  unitName: string | null;
  evidenceNo: string | null;
  recordedStart: string | null;
  durationMs: number | null;
  scoredBy: string | null;
  scoredAt: string | null;
  items: Array<{ item: string; pass: boolean; note: string | null }> | null;
  comment: string | null;
  passed: number | null;
  failed: number | null;
}

interface SpotCheck {
  id: number;
  drawnBy: string;
  drawnAt: string;
  reviewer: string | null;
  seed: string;
  auditHead: string;
  algorithm: string;
  inputs: { size: number; unitNo: string | null; officerNo: string | null; from: string | null; to: string | null; reviewers: string[] };
  candidates: number;
  candidatesSha256: string;
  completedAt: string | null;
  recordings: number[];
  reviews: Review[];
}

const unitName = (units: UnitReview[], no: string | null) => (no ? (units.find((u) => u.unitNo === no)?.unitName ?? no) : t('spot.anyUnit'));
/** A rule of the seed's 004 ("004 §8") as its article: 第8条 / Art. 8. */
const article = (rule: string) => {
  const m = /§(\d+)/.exec(rule);
  return m ? t('spot.article', { n: m[1]! }) : rule;
};
const scored = (s: SpotCheck) => s.reviews.filter((r) => r.scoredAt !== null).length;

/** The units with no review this year, as one warning line (the home page shows it too), or null. */
export function unreviewedNote(units: UnitReview[]): HTMLElement | null {
  const missing = units.filter((u) => !u.reviewedThisYear);
  if (missing.length === 0 || !units[0]) return null;
  return note('warn', t('spot.unitsMissing', { year: String(units[0].year), units: missing.map((u) => u.unitName || u.unitNo).join('、') }));
}

function unitsTable(units: UnitReview[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'list', id: 'unit-reviews' },
      h('thead', {}, h('tr', {}, h('th', {}, t('spot.unit')), h('th', {}, t('spot.lastReview')), h('th', {}, units[0] ? t('spot.thisYear', { year: String(units[0].year) }) : ''))),
      h(
        'tbody',
        {},
        units.map((u) =>
          h(
            'tr',
            { 'data-unit': u.unitNo },
            h('td', {}, h('span', { lang: 'zh-CN' }, u.unitName), ' ', h('span', { class: 'muted small' }, u.unitNo)),
            h('td', {}, u.lastReviewAt ? time(u.lastReviewAt) : h('span', { class: 'muted' }, t('spot.never'))),
            h('td', {}, h('span', { class: `chip ${u.reviewedThisYear ? 'ok' : 'warn'}` }, u.reviewedThisYear ? t('spot.reviewed') : t('spot.notReviewed'))),
          ),
        ),
      ),
    ),
  );
}

function drawForm(units: UnitReview[], onDrawn: (s: SpotCheck) => void): HTMLElement {
  const size = h('input', { type: 'number', id: 'spot-size', min: 1, max: 100, value: 5, required: true });
  const unit = h('select', { id: 'spot-unit' }, h('option', { value: '' }, t('spot.anyUnit')), units.map((u) => h('option', { value: u.unitNo }, u.unitName || u.unitNo)));
  const officer = h('input', { type: 'text', id: 'spot-officer', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6 });
  const from = h('input', { type: 'date', id: 'spot-from' });
  const to = h('input', { type: 'date', id: 'spot-to' });
  const msg = h('div', { class: 'msg' });
  const send = h('button', { type: 'submit', id: 'spot-draw' }, t('spot.draw'));
  const form = h(
    'form',
    { class: 'card draw' },
    h('h2', {}, t('spot.draw')),
    h('p', { class: 'muted small' }, t('spot.drawIntro')),
    h('div', { class: 'row' }, h('div', {}, h('label', { for: size.id }, t('spot.size')), size), h('div', {}, h('label', { for: unit.id }, t('spot.unit')), unit), h('div', {}, h('label', { for: officer.id }, t('spot.officerNo')), officer)),
    h('div', { class: 'row' }, h('div', {}, h('label', { for: from.id }, t('spot.from')), from), h('div', {}, h('label', { for: to.id }, t('spot.to')), to)),
    send,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    send.disabled = true;
    const body: Record<string, unknown> = { size: Number(size.value) };
    if (unit.value) body.unitNo = unit.value;
    if (officer.value.trim()) body.officerNo = officer.value.trim();
    const f = dayBound(from.value, false);
    const u = dayBound(to.value, true);
    if (f) body.from = f;
    if (u) body.to = u;
    api
      .post<SpotCheck>('/api/spot-checks', body)
      .then((s) => {
        replace(msg, note('ok', t('spot.drawn', { id: String(s.id), n: s.recordings.length, reviewer: s.reviewer ?? '' })));
        onDrawn(s);
      })
      .catch((e: unknown) => replace(msg, note('error', e instanceof Error ? e.message : String(e))))
      .finally(() => {
        send.disabled = false;
      });
  });
  return form;
}

function listTable(items: SpotCheck[], units: UnitReview[]): HTMLElement {
  if (items.length === 0) return h('p', { class: 'muted' }, t('spot.none'));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'list', id: 'spot-checks' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, t('spot.no')), h('th', {}, t('spot.drawnAt')), h('th', {}, t('spot.drawnBy')), h('th', {}, t('spot.scope')), h('th', {}, t('spot.reviewer')), h('th', {}, t('spot.progress')), h('th', {}, '')),
      ),
      h(
        'tbody',
        {},
        items.map((s) =>
          h(
            'tr',
            { 'data-id': s.id },
            h('td', {}, String(s.id)),
            h('td', {}, time(s.drawnAt)),
            h('td', {}, s.drawnBy),
            h('td', {}, unitName(units, s.inputs.unitNo), s.inputs.officerNo ? ` · ${s.inputs.officerNo}` : ''),
            h('td', {}, s.reviewer ?? ''),
            h('td', {}, h('span', { class: `chip ${s.completedAt ? 'ok' : 'busy'}` }, s.completedAt ? t('spot.completed') : t('spot.progressOf', { done: scored(s), n: s.reviews.length }))),
            h('td', {}, h('a', { href: `#/spot-checks/${s.id}` }, t('spot.open'))),
          ),
        ),
      ),
    ),
  );
}

/** Spot-checks (004 §17): each unit's last review, the draw, and the list of reviews. */
export const renderSpotChecks: Page = async ({ main }) => {
  const [units, list] = await Promise.all([api.get<UnitReview[]>('/api/spot-checks/units'), api.get<List<SpotCheck>>(`/api/spot-checks${qs({ limit: 100 })}`)]);
  const listBox = h('div', {}, listTable(list.items, units));
  replace(
    main,
    h('h1', {}, t('spot.title')),
    h('p', { class: 'muted' }, t('spot.intro')),
    unreviewedNote(units),
    h('h2', {}, t('spot.units')),
    unitsTable(units),
    drawForm(units, (s) => {
      location.hash = `#/spot-checks/${s.id}`;
    }),
    h('h2', {}, t('spot.list')),
    listBox,
  );
};

function scoreSheet(s: SpotCheck, r: Review, checklist: ChecklistItem[], played: () => boolean, done: () => void): HTMLElement {
  const msg = h('div', { class: 'msg' });
  const rows = checklist.map((c) => {
    const name = `r${r.recordingId}-${c.item}`;
    const pass = h('input', { type: 'radio', name, value: 'pass', id: `${name}-pass` });
    const fail = h('input', { type: 'radio', name, value: 'fail', id: `${name}-fail` });
    const text = h('input', { type: 'text', id: `${name}-note`, maxlength: 2000, 'aria-label': t('spot.note') });
    const row = h(
      'tr',
      { 'data-item': c.item },
      h('td', {}, h('strong', {}, label('checkItem', c.item)), h('p', { class: 'muted small', lang: 'zh-CN' }, c.text)),
      h('td', { class: 'nowrap' }, article(c.rule)),
      h('td', { class: 'nowrap' }, h('label', { class: 'inline', for: pass.id }, pass, t('spot.pass')), h('label', { class: 'inline', for: fail.id }, fail, t('spot.fail'))),
      h('td', {}, text),
    );
    return { c, pass, fail, text, row };
  });
  const comment = h('textarea', { id: `comment-${r.recordingId}`, rows: 2, maxlength: 4000 });
  const send = h('button', { type: 'submit' }, t('spot.submit'));
  const form = h(
    'form',
    { class: 'score', 'data-recording': r.recordingId },
    h(
      'div',
      { class: 'table-wrap' },
      h('table', { class: 'list checklist' }, h('thead', {}, h('tr', {}, h('th', {}, t('spot.item')), h('th', {}, t('spot.rule')), h('th', {}, t('spot.verdict')), h('th', {}, t('spot.note')))), h('tbody', {}, rows.map((x) => x.row))),
    ),
    h('label', { for: comment.id }, t('spot.comment')),
    comment,
    send,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!played()) return replace(msg, note('warn', t('spot.playFirst')));
    if (rows.some((x) => !x.pass.checked && !x.fail.checked)) return replace(msg, note('warn', t('spot.needAll')));
    const missing = rows.find((x) => x.fail.checked && !x.text.value.trim());
    if (missing) return replace(msg, note('warn', t('spot.needNote', { item: label('checkItem', missing.c.item) })));
    send.disabled = true;
    const items = rows.map((x) => ({ item: x.c.item, pass: x.pass.checked, ...(x.text.value.trim() ? { note: x.text.value.trim() } : {}) }));
    api
      .post<SpotCheck>(`/api/spot-checks/${s.id}/score`, { recordingId: r.recordingId, items, comment: comment.value.trim() })
      .then(done)
      .catch((e: unknown) => {
        send.disabled = false;
        replace(msg, note('error', e instanceof Error ? e.message : String(e)));
      });
  });
  return form;
}

function scoredView(r: Review, checklist: ChecklistItem[]): HTMLElement {
  return h(
    'div',
    { class: 'scored' },
    note(r.failed ? 'warn' : 'ok', t('spot.scored', { passed: r.passed ?? 0, failed: r.failed ?? 0 }), ' · ', t('spot.scoredBy', { by: r.scoredBy ?? '', at: time(r.scoredAt) })),
    h(
      'ul',
      { class: 'chips' },
      (r.items ?? []).map((i) =>
        h('li', { class: `chip ${i.pass ? 'ok' : 'warn'}`, title: article(checklist.find((c) => c.item === i.item)?.rule ?? '') }, label('checkItem', i.item), i.note ? ` · ${i.note}` : ''),
      ),
    ),
    r.comment ? h('p', {}, r.comment) : null,
    r.failed ? h('p', { class: 'muted small' }, t('spot.findingsRaised')) : null,
  );
}

/** One spot-check: its seed and inputs (re-runnable), and each drawn recording to play and score. */
export const renderSpotCheck: Page = async ({ main, params, me }) => {
  const id = Number(params[0]);
  const [s, checklist] = await Promise.all([api.get<SpotCheck>(`/api/spot-checks/${id}`), api.get<ChecklistItem[]>('/api/spot-checks/checklist')]);
  const mine = s.reviewer === me.username;
  const redrawBox = h('div', { id: 'redraw-result' });
  const redraw = h('button', { type: 'button', class: 'secondary', id: 'redraw' }, t('spot.redraw'));
  redraw.addEventListener('click', () => {
    redraw.disabled = true;
    api
      .get<{ same: boolean; recordings: number[] }>(`/api/spot-checks/${id}/redraw`)
      .then((x) => replace(redrawBox, x.same ? note('ok', t('spot.redrawSame', { n: x.recordings.length })) : note('error', t('spot.redrawDiffers'))))
      .catch((e: unknown) => replace(redrawBox, note('error', e instanceof Error ? e.message : String(e))))
      .finally(() => {
        redraw.disabled = false;
      });
  });
  const scope = [s.inputs.unitNo ?? t('spot.anyUnit'), s.inputs.officerNo, s.inputs.from ? time(s.inputs.from) : null, s.inputs.to ? time(s.inputs.to) : null].filter(Boolean).join(' · ');
  const cards = s.reviews.map((r) => {
    let played = r.scoredAt !== null;
    const player = mine
      ? h('video', { controls: true, preload: 'none', class: 'player', src: `/api/recordings/${r.recordingId}/media?spotCheck=${id}`, id: `play-${r.recordingId}` })
      : null;
    player?.addEventListener('playing', () => {
      played = true;
    });
    const body = h('div', {});
    const draw = (x: Review) => {
      if (x.scoredAt) replace(body, scoredView(x, checklist));
      else if (mine)
        replace(
          body,
          note('info', t('spot.playFirst')),
          scoreSheet(s, x, checklist, () => played, () => {
            void api.get<SpotCheck>(`/api/spot-checks/${id}`).then((fresh) => {
              const y = fresh.reviews.find((z) => z.recordingId === x.recordingId);
              if (y) draw(y);
            });
          }),
        );
      else replace(body);
    };
    draw(r);
    return h(
      'article',
      { class: 'card review', 'data-recording': r.recordingId },
      h('h3', {}, t('spot.recording', { pos: String(r.position), id: String(r.recordingId) })),
      facts([
        [t('spot.officer'), r.officerName ? `${r.officerName} · ${r.officerNo ?? ''}` : (r.officerNo ?? '')],
        [t('spot.unit'), r.unitName ? `${r.unitName} · ${r.unitNo ?? ''}` : (r.unitNo ?? '')],
        [t('spot.evidenceNo'), r.evidenceNo ?? ''],
        [t('spot.recordedAt'), r.recordedStart ? `${time(r.recordedStart)} · ${duration(r.durationMs ?? 0)}` : ''],
      ]),
      player,
      body,
    );
  });
  replace(
    main,
    h('p', {}, h('a', { href: '#/spot-checks' }, t('nav.spotChecks'))),
    h('h1', {}, t('spot.detail', { id: String(id) })),
    facts([
      [t('spot.drawnAt'), `${time(s.drawnAt)} · ${s.drawnBy}`],
      [t('spot.reviewer'), s.reviewer ?? ''],
      [t('spot.scope'), scope],
      [t('spot.candidates'), t('spot.candidatesN', { n: s.candidates })],
      [t('spot.pool'), s.inputs.reviewers.join('、')],
      [t('spot.seed'), h('code', { class: 'hash' }, s.seed)],
      [t('spot.auditHead'), h('code', { class: 'hash' }, s.auditHead)],
      [t('spot.progress'), s.completedAt ? `${t('spot.completed')} · ${time(s.completedAt)}` : t('spot.progressOf', { done: scored(s), n: s.reviews.length })],
    ]),
    redraw,
    redrawBox,
    mine ? null : note('info', t('spot.notYours')),
    h('h2', {}, t('spot.sample')),
    cards,
  );
};
