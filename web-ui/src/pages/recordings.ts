import { api, qs, type Device, type List, type Recording } from '../api.js';
import { h, facts, note, replace, append } from '../dom.js';
import { bytes, dayBound, drift, duration, time } from '../format.js';
import { can, findingLabel } from '../labels.js';
import type { Page } from '../main.js';
import { officerLabel, officers } from '../names.js';
import { evidenceBox, hasApprovedRequest } from './evidence.js';

const FLAGS = ['gap', 'seq_missing', 'drift', 'clock_reset', 'late_offload', 'hash_mismatch', 'wrong_officer', 'no_checkout', 'interrupted', 'unreadable', 'container_unreadable', 'duration_mismatch'];
const PAGE = 24;

/** When a recording started: the dock's corrected time, else the recorder's own clock. */
const startOf = (r: Recording) => r.correctedStart ?? r.recordedStart;

/** The file's own creation time against the recorder's catalog: a second witness of the recorder's clock. */
function containerAgreement(offsetMs: number | null): string {
  if (offsetMs === null) return '';
  const s = Math.round(Math.abs(offsetMs) / 1000);
  if (s <= 2) return " (agrees with the recorder's catalog)";
  const text = s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
  return ` (${text} ${offsetMs > 0 ? 'later' : 'earlier'} than the recorder's catalog)`;
}

function flagChips(flags: string[]): HTMLElement | null {
  return flags.length === 0 ? null : h('ul', { class: 'chips' }, flags.map((f) => h('li', { class: 'chip warn' }, findingLabel(f))));
}

/** Recordings search (officer, recorder, dates, flags) with thumbnails; each opens the player. */
export const renderRecordings: Page = async ({ main, query, me }) => {
  const rights = can(me.role);
  const [names, devices] = await Promise.all([officers(rights.registry), rights.registry ? api.get<List<Device>>('/api/devices?limit=1000').then((l) => l.items) : Promise.resolve([])]);
  const v = (k: string) => query.get(k) ?? '';

  const officer =
    me.role === 'officer'
      ? null
      : h('select', { name: 'officer', id: 'f-officer' }, h('option', { value: '' }, 'Any officer'), [...names.values()].map((o) => h('option', { value: o.officerNo, selected: v('officer') === o.officerNo }, `${o.name} (${o.officerNo})`)));
  const serial =
    devices.length > 0
      ? h('select', { name: 'serial', id: 'f-serial' }, h('option', { value: '' }, 'Any recorder'), devices.map((d) => h('option', { value: d.serial, selected: v('serial') === d.serial }, d.serial)))
      : h('input', { name: 'serial', id: 'f-serial', value: v('serial'), placeholder: 'e.g. A000001', pattern: '[A-Za-z0-9]{1,8}', autocapitalize: 'characters' });
  const from = h('input', { type: 'date', name: 'from', id: 'f-from', value: v('from') });
  const to = h('input', { type: 'date', name: 'to', id: 'f-to', value: v('to') });
  const flag = h('select', { name: 'flag', id: 'f-flag' }, h('option', { value: '' }, 'Any'), FLAGS.map((f) => h('option', { value: f, selected: v('flag') === f }, findingLabel(f))));
  const field = (label: string, id: string, input: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const form = h(
    'form',
    { class: 'filters card', id: 'search' },
    officer ? field('Officer', 'f-officer', officer) : null,
    field('Recorder', 'f-serial', serial),
    field('From', 'f-from', from),
    field('To', 'f-to', to),
    field('Flagged', 'f-flag', flag),
    h('div', { class: 'field submit' }, h('button', { type: 'submit' }, 'Search')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const params: Record<string, string> = {};
    for (const [k, el] of [['officer', officer], ['serial', serial], ['from', from], ['to', to], ['flag', flag]] as const) if (el?.value) params[k] = el.value;
    const next = `#/recordings${qs(params)}`;
    if (location.hash === next) void search();
    else location.hash = next;
  });

  const results = h('div', { class: 'recordings', id: 'results' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const count = h('p', { class: 'muted', id: 'result-count' });
  replace(main, h('h1', {}, me.role === 'officer' ? 'My recordings' : 'Recordings'), form, count, results, h('p', {}, more));

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
      append(results, h('div', { class: 'empty card' }, h('p', {}, 'No recording matches.'), h('p', { class: 'muted' }, 'Widen the dates or clear a filter.')));
    }
    count.textContent = shown === 0 ? '' : `${shown}${cursor ? '+' : ''} recording${shown === 1 ? '' : 's'}`;
    for (const r of list.items) {
      append(
        results,
        h(
          'a',
          { class: 'rec card', href: `#/recordings/${r.id}`, 'data-id': r.id },
          rights.play && !r.mediaType.startsWith('audio/')
            ? h('img', { class: 'thumb', src: `/api/recordings/${r.id}/thumbnail`, alt: '', loading: 'lazy', width: 160, height: 90 })
            : h('div', { class: 'thumb none' }, r.mediaType.startsWith('audio') ? 'Audio' : 'No preview'),
          h(
            'div',
            { class: 'rec-text' },
            h('p', { class: 'rec-when' }, time(startOf(r)) || 'time unknown'),
            h('p', {}, officerLabel(r.officerNo, names), ` · ${r.serial}`),
            h('p', { class: 'muted' }, `${r.mediaType.startsWith('image/') ? 'Photo' : duration(r.durationMs)} · ${bytes(r.size)}${r.hold ? ' · on hold' : ''}`),
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
      .catch((e: unknown) => append(results, note('error', e instanceof Error ? e.message : String(e))))
      .finally(() => {
        more.disabled = false;
      });
  });
  await search();
};

/** One recording: its facts and, for those who may watch it, the player (HTTP Range, so seeking works). */
export const renderPlayer: Page = async ({ main, params, me }) => {
  const id = Number(params[0]);
  const rights = can(me.role);
  const [r, names] = await Promise.all([api.get<Recording>(`/api/recordings/${id}`), officers(rights.registry)]);
  const src = `/api/recordings/${id}/media`;
  const mayPlay = rights.play || (await hasApprovedRequest(id));
  let player: HTMLElement;
  if (!mayPlay) player = note('info', 'Watching this recording needs an approved access request.');
  else if (r.mediaType.startsWith('video/')) player = h('video', { id: 'player', controls: true, preload: 'metadata', src, playsinline: true });
  else if (r.mediaType.startsWith('audio/')) player = h('audio', { id: 'player', controls: true, preload: 'metadata', src });
  else player = h('img', { id: 'player', src, alt: r.name });
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/recordings', id: 'back' }, '← Back to the list')),
    h('h1', { class: 'filename' }, r.name),
    h('div', { class: 'player-wrap' }, player),
    mayPlay ? h('p', { class: 'muted small' }, 'Watching is written to the access register with your name and the time.') : null,
    flagChips(r.flags),
    evidenceBox(me, r, () => void renderPlayer({ main, params, me, query: new URLSearchParams() })),
    facts([
      ['Officer', officerLabel(r.officerNo, names)],
      ['Recorder', r.serial],
      ['Started (dock time)', time(r.correctedStart) || 'not corrected'],
      ["Started (recorder's clock)", time(r.recordedStart)],
      ["Recorder's clock at docking", r.driftMs !== null ? drift(r.driftMs) : null],
      ["Started (the file's own record)", r.containerCreationTime ? [time(r.containerCreationTime), ' UTC', containerAgreement(r.containerStartOffsetMs)] : null],
      ['Length', r.mediaType.startsWith('image/') ? null : duration(r.durationMs)],
      ['Size', bytes(r.size)],
      ['Offloaded', [time(r.offloadedAt), r.delayMs !== null ? ` (${duration(r.delayMs)} after it ended)` : '']],
      ['Kept until', time(r.retainUntil)],
      ['On hold', r.hold ? 'yes' : null],
      ['SHA-256', h('code', { class: 'hash' }, r.sha256)],
      ['File number', String(r.seq)],
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
