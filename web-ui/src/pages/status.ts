import { api, type Slot } from '../api.js';
import { h, note, replace } from '../dom.js';
import { bytes, drift, percent, rate, time } from '../format.js';
import { findingLabel, slotStateLabel } from '../labels.js';
import type { Page } from '../main.js';

const SETTLED = new Set(['ready', 'failed', 'interrupted']);

function tone(state: string): string {
  if (state === 'ready') return 'ok';
  if (state === 'failed' || state === 'interrupted') return 'bad';
  return 'busy';
}

function battery(p: number | null): string {
  return p === null ? '' : `${p} %`;
}

/** One slot as a card: recorder, officer, state in words, progress with bytes and rate, drift, battery, findings. */
function slotCard(s: Slot): HTMLElement {
  const p = s.progress;
  const working = !SETTLED.has(s.state);
  const pct = percent(p.bytesDone, p.bytesTotal);
  const progressText =
    p.bytesTotal > 0
      ? `${pct} % · ${bytes(p.bytesDone)} of ${bytes(p.bytesTotal)} · file ${Math.min(p.filesDone + (working && p.filesDone < p.filesTotal ? 1 : 0), p.filesTotal)} of ${p.filesTotal}${working && p.rate > 0 ? ` · ${rate(p.rate)}` : ''}`
      : working
        ? 'Preparing…'
        : 'Nothing new to copy';
  return h(
    'article',
    { class: `slot card ${tone(s.state)}`, 'data-serial': s.serial ?? '', 'data-state': s.state },
    h(
      'header',
      {},
      h('span', { class: 'serial' }, s.serial ?? 'Unknown recorder'),
      h('span', { class: 'state' }, slotStateLabel(s.state)),
    ),
    h(
      'p',
      { class: 'officer' },
      s.officer ? [h('span', { class: 'name', lang: 'zh' }, s.officer.name), ` · No. ${s.officer.officerNo}`] : h('span', { class: 'muted' }, 'No officer recorded on it'),
    ),
    h('progress', { max: Math.max(1, p.bytesTotal), value: p.bytesTotal > 0 ? p.bytesDone : s.state === 'ready' ? 1 : 0, 'aria-label': 'Offload progress' }),
    h('p', { class: 'progress-text' }, progressText),
    h(
      'ul',
      { class: 'meta' },
      h('li', {}, h('span', { class: 'k' }, 'Clock '), h('span', { class: s.driftMs !== null && Math.abs(s.driftMs) >= 30_000 ? 'warn' : '' }, s.driftMs === null ? 'not read yet' : drift(s.driftMs))),
      h('li', {}, h('span', { class: 'k' }, 'Battery '), battery(s.battery) || 'not read yet'),
      h('li', {}, h('span', { class: 'k' }, 'Docked '), time(s.startedAt)),
    ),
    s.findings.length > 0 ? h('ul', { class: 'chips' }, s.findings.map((f) => h('li', { class: 'chip warn' }, findingLabel(f)))) : null,
    s.error ? note('error', s.error) : null,
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
  const waiting = `${u.objectsPending} files and ${u.rowsPending} records waiting`;
  if (u.lastError) return h('p', { class: 'upstream warn', 'data-upstream': 'error' }, `Agency store not reachable: ${waiting}. The dock keeps working; it sends them when the store is back. (${u.lastError})`);
  if (u.objectsPending + u.rowsPending > 0) return h('p', { class: 'upstream muted', 'data-upstream': 'sending' }, `Sending to the agency store: ${waiting}`);
  return h('p', { class: 'upstream muted', 'data-upstream': 'ok' }, `Agency store up to date${u.lastSuccessAt ? ` · last sent ${time(u.lastSuccessAt)}` : ''}`);
}

/** Live dock status over Server-Sent Events: the whole list first, then each change. */
export const renderStatus: Page = async ({ main }) => {
  const slots = new Map<string, Slot>();
  const grid = h('div', { class: 'slots', id: 'slots' });
  const live = h('span', { class: 'live', id: 'live' }, 'Connecting…');
  const upstream = h('div', { id: 'upstream' });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Dock status'), live), upstream, grid);
  // The agency store's state, for the roles that may read it (an officer's 403 shows nothing).
  const refreshUpstream = () =>
    api.get<Upstream>('/api/upstream').then(
      (u) => replace(upstream, upstreamLine(u)),
      () => replace(upstream),
    );
  void refreshUpstream();
  const upstreamTimer = setInterval(() => void refreshUpstream(), 10_000);

  let pending = false;
  const draw = () => {
    pending = false;
    if (slots.size === 0) {
      replace(grid, h('div', { class: 'empty card' }, h('p', {}, 'No recorder is in the dock.'), h('p', { class: 'muted' }, 'Put a recorder in a slot: it appears here and its footage is copied at once.')));
      return;
    }
    replace(grid, [...slots.values()].sort((a, b) => a.port.localeCompare(b.port)).map(slotCard));
  };
  // Many progress events may arrive in a burst: draw at most about ten times a second.
  const schedule = () => {
    if (pending) return;
    pending = true;
    setTimeout(draw, 100);
  };

  const es = new EventSource('/api/slots/stream');
  es.addEventListener('open', () => {
    live.textContent = 'Live';
    live.className = 'live on';
  });
  es.addEventListener('error', () => {
    live.textContent = 'Reconnecting…';
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
  return () => {
    es.close();
    clearInterval(upstreamTimer);
  };
};
