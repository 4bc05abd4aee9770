import { api, errorText, may, type Finding, type List, type Slot, type SlotEnding } from '../api.js';
import { h, note, replace } from '../dom.js';
import { bytes, drift, pct, percent, rate, time } from '../format.js';
import { t } from '../i18n/index.js';
import { findingLabel, slotStateLabel } from '../labels.js';
import type { Page } from '../main.js';
import { oversightNotices } from './oversight-notices.js';

export const SETTLED = new Set(['ready', 'failed', 'interrupted']);

export function tone(state: string): string {
  if (state === 'ready') return 'ok';
  if (state === 'failed' || state === 'interrupted') return 'bad';
  return 'busy';
}

/** "file 2 of 3": the one being copied while working, the ones done once settled. */
export function fileNo(s: Pick<Slot, 'progress' | 'state'>): number {
  const p = s.progress;
  const working = !SETTLED.has(s.state);
  return Math.min(p.filesDone + (working && p.filesDone < p.filesTotal ? 1 : 0), p.filesTotal);
}

function progressText(s: Slot): string {
  const p = s.progress;
  const working = !SETTLED.has(s.state);
  if (p.bytesTotal === 0) return working ? t('status.preparing') : t('status.nothingNew');
  const args = { pct: percent(p.bytesDone, p.bytesTotal), done: bytes(p.bytesDone), total: bytes(p.bytesTotal), file: fileNo(s), files: p.filesTotal };
  return working && p.rate > 0 ? t('status.progressRate', { ...args, rate: rate(p.rate) }) : t('status.progress', args);
}

const chips = (kinds: string[]) => (kinds.length > 0 ? h('ul', { class: 'chips' }, kinds.map((f) => h('li', { class: 'chip warn' }, findingLabel(f)))) : null);

/** One slot as a card: recorder, officer, state in words, progress with bytes and rate, drift, battery, findings. */
function slotCard(s: Slot): HTMLElement {
  const p = s.progress;
  return h(
    'article',
    { class: `slot card ${tone(s.state)}`, 'data-serial': s.serial ?? '', 'data-state': s.state, 'aria-label': s.serial ?? t('status.unknownRecorder') },
    h('header', {}, h('span', { class: 'serial' }, s.serial ?? t('status.unknownRecorder')), h('span', { class: 'state' }, slotStateLabel(s.state))),
    h(
      'p',
      { class: 'officer' },
      s.officer ? [h('span', { class: 'name' }, s.officer.name), ' · ', t('status.officerNo', { no: s.officer.officerNo })] : h('span', { class: 'muted' }, t('status.noOfficer')),
    ),
    h('progress', { max: Math.max(1, p.bytesTotal), value: p.bytesTotal > 0 ? p.bytesDone : s.state === 'ready' ? 1 : 0, 'aria-label': t('status.progressAria') }),
    h('p', { class: 'progress-text' }, progressText(s)),
    h(
      'ul',
      { class: 'meta' },
      h('li', {}, h('span', { class: 'k' }, t('status.clock')), ' ', h('span', { class: s.driftMs !== null && Math.abs(s.driftMs) >= 30_000 ? 'warn' : '' }, s.driftMs === null ? t('status.notRead') : drift(s.driftMs))),
      h('li', {}, h('span', { class: 'k' }, t('status.battery')), ' ', pct(s.battery) || t('status.notRead')),
      h('li', {}, h('span', { class: 'k' }, t('status.docked')), ' ', time(s.startedAt)),
    ),
    chips(s.findings),
    s.error ? note('error', s.error) : null,
  );
}

/** A docking that ended badly (the recorder left mid-offload, or it failed): kept until someone has seen it. */
function endingCard(e: SlotEnding, seen: (id: string) => void): HTMLElement {
  const p = e.progress;
  return h(
    'article',
    { class: 'slot card bad ended', 'data-serial': e.serial ?? '', 'data-state': 'gone', 'aria-label': e.serial ?? t('status.unknownRecorder') },
    h('header', {}, h('span', { class: 'serial' }, e.serial ?? t('status.unknownRecorder')), h('span', { class: 'state' }, t('slot.gone'))),
    note('warn', t('status.goneNote')),
    h('p', { class: 'progress-text' }, t('status.filesDone', { done: p.filesDone, files: p.filesTotal }), ' · ', t('status.endedDuring', { state: slotStateLabel(e.lastState) })),
    h('ul', { class: 'meta' }, h('li', {}, h('span', { class: 'k' }, t('status.finished')), ' ', time(e.endedAt))),
    chips(e.findings),
    h('button', { type: 'button', class: 'secondary seen', onclick: () => seen(e.sessionId) }, t('status.dismiss')),
  );
}

/** `GET /api/upstream`: replication to the agency store (issue 16). */
interface Upstream {
  objectsPending: number;
  rowsPending: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  enabled: boolean;
}

/** One line on the agency store: up to date, sending, or unreachable (the dock keeps working offline). */
function upstreamLine(u: Upstream): HTMLElement | null {
  if (!u.enabled) return null;
  const waiting = t('upstream.waiting', { files: u.objectsPending, rows: u.rowsPending });
  if (u.lastError) return h('p', { class: 'upstream warn', 'data-upstream': 'error' }, t('upstream.error', { waiting, error: u.lastError }));
  if (u.objectsPending + u.rowsPending > 0) return h('p', { class: 'upstream muted', 'data-upstream': 'sending' }, t('upstream.sending', { waiting }));
  return h('p', { class: 'upstream muted', 'data-upstream': 'ok' }, u.lastSuccessAt ? t('upstream.okAt', { at: time(u.lastSuccessAt) }) : t('upstream.ok'));
}

/** Live dock status over Server-Sent Events: the whole list first, then each change; endings until seen. */
export const renderStatus: Page = async ({ main, me }) => {
  const slots = new Map<string, Slot>();
  let endings: SlotEnding[] = [];
  const grid = h('div', { class: 'slots', id: 'slots' });
  const live = h('span', { class: 'live', id: 'live', role: 'status' }, t('status.connecting'));
  const waiting = h('div', { id: 'waiting' });
  const msg = h('div', { class: 'msg' });
  const upstream = h('div', { id: 'upstream' });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, t('status.title')), live), upstream, waiting, msg, grid);
  // Oversight (issue 17): last year's report still to export, units not reviewed this year.
  void oversightNotices(me).then((n) => upstream.before(...n));
  // The agency store's state, for the roles that may read it (an officer's 403 shows nothing).
  const refreshUpstream = () =>
    api.get<Upstream>('/api/upstream').then(
      (u) => replace(upstream, upstreamLine(u)),
      () => replace(upstream),
    );
  // Only the roles that may read it ask (an officer's request would be refused: a 403 in the browser's console).
  const readsUpstream = may(me, 'registry.read');
  if (readsUpstream) void refreshUpstream();
  const upstreamTimer = setInterval(() => readsUpstream && void refreshUpstream(), 10_000);

  // An officer is told when a finding waits for their justification (issue 18).
  if (me.role === 'officer' && may(me, 'findings.justify')) {
    api
      .get<List<Finding>>('/api/findings?state=open&limit=200')
      .then((l) => {
        const mine = l.items.filter((f) => f.officerNo === me.username).length;
        if (mine > 0) replace(waiting, note('warn', t('status.findingsWait', { n: mine }), ' ', h('a', { href: '#/findings' }, t('status.findingsOpen'))));
      })
      .catch(() => undefined);
  }

  const seen = (id: string) => {
    api
      .post(`/api/slots/ended/${encodeURIComponent(id)}/seen`, {})
      .then(() => {
        endings = endings.filter((e) => e.sessionId !== id);
        draw();
      })
      .catch((e: unknown) => replace(msg, note('error', errorText(e))));
  };

  let pending = false;
  const draw = () => {
    pending = false;
    if (slots.size === 0 && endings.length === 0) {
      replace(grid, h('div', { class: 'empty card' }, h('p', {}, t('status.empty')), h('p', { class: 'muted' }, t('status.emptyHint'))));
      return;
    }
    replace(grid, [...slots.values()].sort((a, b) => a.port.localeCompare(b.port)).map(slotCard), endings.map((e) => endingCard(e, seen)));
  };
  // Many progress events may arrive in a burst: draw at most about ten times a second.
  const schedule = () => {
    if (pending) return;
    pending = true;
    setTimeout(draw, 100);
  };

  const es = new EventSource('/api/slots/stream');
  es.addEventListener('open', () => {
    live.textContent = t('status.live');
    live.className = 'live on';
  });
  es.addEventListener('error', () => {
    live.textContent = t('status.reconnecting');
    live.className = 'live off';
    // A refused stream is not retried by the browser: find out whether the login ended (then the login page shows).
    if (es.readyState === EventSource.CLOSED) void api.get('/api/me').catch(() => undefined);
  });
  es.addEventListener('slots', (ev) => {
    slots.clear();
    for (const s of JSON.parse((ev as MessageEvent<string>).data) as Slot[]) slots.set(s.port, s);
    draw();
  });
  es.addEventListener('slot', (ev) => {
    const s = JSON.parse((ev as MessageEvent<string>).data) as Slot;
    slots.set(s.port, s);
    schedule();
  });
  es.addEventListener('gone', (ev) => {
    slots.delete((JSON.parse((ev as MessageEvent<string>).data) as { port: string }).port);
    schedule();
  });
  es.addEventListener('ended', (ev) => {
    endings = JSON.parse((ev as MessageEvent<string>).data) as SlotEnding[];
    schedule();
  });
  return () => {
    es.close();
    clearInterval(upstreamTimer);
  };
};
