import { api, errorText, may, qs, type Device, type List, type Recording } from '../api.js';
import { append, facts, h, note, replace } from '../dom.js';
import { bytes, dayBound, drift, duration, time } from '../format.js';
import { t } from '../i18n/index.js';
import { findingLabel } from '../labels.js';
import type { Page } from '../main.js';
import { officerLabel, officers } from '../names.js';
import { field, officerPicker } from '../ui.js';
import { evidenceBox, hasApprovedRequest } from './evidence.js';

const FLAGS = ['gap', 'seq_missing', 'drift', 'clock_reset', 'late_offload', 'hash_mismatch', 'wrong_officer', 'no_checkout', 'interrupted', 'unreadable', 'container_unreadable', 'duration_mismatch'];
const PAGE = 24;

/** When a recording started: the dock's corrected time, else the recorder's own clock. */
const startOf = (r: Recording) => r.correctedStart ?? r.recordedStart;

/** The file's own creation time against the recorder's catalog: a second witness of the recorder's clock. */
function containerAgreement(offsetMs: number | null): string {
  if (offsetMs === null) return '';
  const s = Math.round(Math.abs(offsetMs) / 1000);
  if (s <= 2) return t('rec.agrees');
  const text = s >= 3600 ? t('time.hm', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) }) : s >= 60 ? t('time.ms', { m: Math.floor(s / 60), s: s % 60 }) : t('time.s', { s });
  return offsetMs > 0 ? t('rec.later', { t: text }) : t('rec.earlier', { t: text });
}

function flagChips(flags: string[]): HTMLElement | null {
  return flags.length === 0 ? null : h('ul', { class: 'chips' }, flags.map((f) => h('li', { class: 'chip warn' }, findingLabel(f))));
}

/** Recordings search (officer, recorder, dates, flags) with thumbnails; each opens the player. */
export const renderRecordings: Page = async ({ main, query, me }) => {
  const registry = may(me, 'registry.read');
  const [names, devices] = await Promise.all([officers(registry), registry ? api.get<List<Device>>('/api/devices?limit=1000').then((l) => l.items) : Promise.resolve([])]);
  const v = (k: string) => query.get(k) ?? '';
  const mine = me.rights['recordings.search'] === 'own';

  const officer = mine ? null : officerPicker('f-officer', names.values(), { any: t('rec.anyOfficer'), selected: v('officer') });
  const serial =
    devices.length > 0
      ? h('select', { name: 'serial', id: 'f-serial' }, h('option', { value: '' }, t('rec.anyRecorder')), devices.map((d) => h('option', { value: d.serial, selected: v('serial') === d.serial }, d.serial)))
      : h('input', { name: 'serial', id: 'f-serial', value: v('serial'), placeholder: t('rec.serialExample'), pattern: '[A-Za-z0-9]{1,8}', autocapitalize: 'characters' });
  const from = h('input', { type: 'date', name: 'from', id: 'f-from', value: v('from') });
  const to = h('input', { type: 'date', name: 'to', id: 'f-to', value: v('to') });
  const flag = h('select', { name: 'flag', id: 'f-flag' }, h('option', { value: '' }, t('common.any')), FLAGS.map((f) => h('option', { value: f, selected: v('flag') === f }, findingLabel(f))));
  const form = h(
    'form',
    { class: 'filters card', id: 'search' },
    officer ? h('div', { class: 'field' }, h('label', { for: 'f-officer' }, t('common.officer')), officer.el) : null,
    field(t('common.recorder'), serial),
    field(t('common.from'), from),
    field(t('common.to'), to),
    field(t('rec.flagged'), flag),
    h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('common.search'))),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const params: Record<string, string> = {};
    for (const [k, el] of [['officer', officer?.select], ['serial', serial], ['from', from], ['to', to], ['flag', flag]] as const) if (el?.value) params[k] = el.value;
    const next = `#/recordings${qs(params)}`;
    if (location.hash === next) void search();
    else location.hash = next;
  });

  const results = h('div', { class: 'recordings', id: 'results' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('common.more'));
  const count = h('p', { class: 'muted', id: 'result-count', 'aria-live': 'polite' });
  replace(main, h('h1', {}, mine ? t('rec.myTitle') : t('rec.title')), form, count, results, h('p', {}, more));

  let cursor: string | null = null;
  let shown = 0;
  const load = async (first: boolean) => {
    const list = await api.get<List<Recording>>(
      `/api/recordings${qs({ officer: v('officer') || undefined, serial: v('serial') || undefined, from: dayBound(v('from'), false), to: dayBound(v('to'), true), flag: v('flag') || undefined, limit: PAGE, cursor: first ? undefined : cursor })}`,
    );
    if (first) results.replaceChildren();
    cursor = list.next;
    shown += list.items.length;
    more.hidden = cursor === null;
    if (shown === 0) {
      append(results, h('div', { class: 'empty card' }, h('p', {}, t('rec.none')), h('p', { class: 'muted' }, t('rec.noneHint'))));
    }
    count.textContent = shown === 0 ? '' : cursor ? t('common.countMore', { n: shown }) : t('common.count', { n: shown });
    for (const r of list.items) {
      append(
        results,
        h(
          'a',
          { class: 'rec card', href: `#/recordings/${r.id}`, 'data-id': r.id },
          // The thumbnail keeps the picture's own proportions (object-fit: contain): evidence is never shown distorted.
          may(me, 'footage.play') && !r.mediaType.startsWith('audio/')
            ? h('img', { class: 'thumb', src: `/api/recordings/${r.id}/thumbnail`, alt: '', loading: 'lazy' })
            : h('div', { class: 'thumb none' }, r.mediaType.startsWith('audio') ? t('rec.audio') : t('rec.noPreview')),
          h(
            'div',
            { class: 'rec-text' },
            h('p', { class: 'rec-when' }, time(startOf(r)) || t('rec.timeUnknown')),
            h('p', {}, officerLabel(r.officerNo, names), ` · ${r.serial}`),
            h('p', { class: 'muted' }, r.mediaType.startsWith('image/') ? t('rec.photo') : duration(r.durationMs), ' · ', bytes(r.size), r.hold ? [' · ', t('rec.onHold')] : null),
            flagChips(r.flags),
          ),
        ),
      );
    }
  };
  const search = async () => {
    shown = 0;
    cursor = null;
    await load(true);
  };
  more.addEventListener('click', () => {
    more.disabled = true;
    load(false)
      .catch((e: unknown) => append(results, note('error', errorText(e))))
      .finally(() => {
        more.disabled = false;
      });
  });
  await search();
};

/** One recording: its facts and, for those who may watch it, the player (HTTP Range, so seeking works). */
export const renderPlayer: Page = async ({ main, params, me }) => {
  const id = Number(params[0]);
  const [r, names] = await Promise.all([api.get<Recording>(`/api/recordings/${id}`), officers(may(me, 'registry.read'))]);
  const src = `/api/recordings/${id}/media`;
  const mayPlay = me.rights['footage.play'] === 'all' || me.rights['footage.play'] === 'own' || (await hasApprovedRequest(id));
  let player: HTMLElement;
  if (!mayPlay) player = note('info', t('rec.needRequest'));
  else if (r.mediaType.startsWith('video/')) player = h('video', { id: 'player', controls: true, preload: 'metadata', src, playsinline: true });
  else if (r.mediaType.startsWith('audio/')) player = h('audio', { id: 'player', controls: true, preload: 'metadata', src });
  else player = h('img', { id: 'player', src, alt: r.name });
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/recordings', id: 'back' }, t('rec.back'))),
    h('h1', { class: 'filename' }, r.name),
    h('div', { class: 'player-wrap' }, player),
    mayPlay ? h('p', { class: 'muted small' }, t('rec.watchLogged')) : null,
    flagChips(r.flags),
    evidenceBox(me, r, () => void renderPlayer({ main, params, me, query: new URLSearchParams() })),
    facts([
      [t('common.officer'), officerLabel(r.officerNo, names)],
      [t('common.recorder'), r.serial],
      [t('rec.startedDock'), time(r.correctedStart) || t('rec.notCorrected')],
      [t('rec.startedRecorder'), time(r.recordedStart)],
      [t('rec.driftAtDocking'), r.driftMs !== null ? drift(r.driftMs) : null],
      [t('rec.startedFile'), r.containerCreationTime ? [time(r.containerCreationTime), containerAgreement(r.containerStartOffsetMs)] : null],
      [t('rec.length'), r.mediaType.startsWith('image/') ? null : duration(r.durationMs)],
      [t('rec.size'), bytes(r.size)],
      [t('rec.offloaded'), [time(r.offloadedAt), r.delayMs !== null ? t('rec.delay', { d: duration(r.delayMs) }) : '']],
      [t('rec.keptUntil'), time(r.retainUntil)],
      [t('rec.hold'), r.hold ? t('common.yes') : null],
      [t('rec.sha'), h('code', { class: 'hash' }, r.sha256)],
      [t('rec.seq'), String(r.seq)],
    ]),
  );
  // Back to the list as it was searched, when the user came from it.
  const back = document.getElementById('back') as HTMLAnchorElement;
  back.addEventListener('click', (ev) => {
    if (history.length > 1) {
      ev.preventDefault();
      history.back();
    }
  });
};
