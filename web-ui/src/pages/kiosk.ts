import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { bytes, percent, time } from '../format.js';
import { t } from '../i18n/index.js';
import { slotStateLabel } from '../labels.js';
import { langSwitch } from '../main.js';
import { fileNo, SETTLED, tone } from './status.js';

/** `GET /api/kiosk`: what the dock's own screen may show without a login. */
export interface KioskSlot {
  port: string;
  serial: string | null;
  state: string;
  progress: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number; rate: number };
  flagged: boolean;
  startedAt: string;
}
export interface Kiosk {
  time: string;
  slots: KioskSlot[];
  ended: Array<{ port: string; serial: string | null; lastState: string; endedAt: string }>;
  disk: { freeBytes: number | null; low: boolean };
}

/** The slot's number as printed beside it: the digits at the end of its port (ttyBWC3 → 3), else the port. */
export const slotNo = (port: string) => /(?:^|\D)(\d{1,2})$/.exec(port)?.[1] ?? port.split('/').pop() ?? port;

/** The big words of a slot: what the officer at the dock must do. */
function instruction(s: KioskSlot): string {
  if (s.state === 'ready') return t('kiosk.take');
  if (s.state === 'failed') return t('kiosk.failed');
  if (s.state === 'interrupted') return t('kiosk.interrupted');
  return t('kiosk.wait');
}

function card(s: KioskSlot): HTMLElement {
  const p = s.progress;
  const working = !SETTLED.has(s.state);
  return h(
    'article',
    { class: `kslot ${tone(s.state)}`, 'data-state': s.state, 'data-serial': s.serial ?? '', role: 'group', 'aria-label': t('kiosk.slot', { n: slotNo(s.port) }) },
    h('div', { class: 'kport' }, t('kiosk.slot', { n: slotNo(s.port) }), ' · ', h('span', { class: 'kserial' }, s.serial ?? t('status.unknownRecorder'))),
    h('div', { class: 'kstate' }, instruction(s)),
    working ? h('div', { class: 'kpct' }, p.bytesTotal > 0 ? t('common.percent', { p: percent(p.bytesDone, p.bytesTotal) }) : t('status.preparing')) : null,
    working ? h('progress', { max: Math.max(1, p.bytesTotal), value: p.bytesDone, 'aria-label': t('status.progressAria') }) : null,
    h('div', { class: 'kdetail' }, s.state === 'ready' ? t('status.filesDone', { done: p.filesDone, files: p.filesTotal }) : slotStateLabel(s.state), working && p.filesTotal > 0 ? [' · ', t('status.progress', { pct: percent(p.bytesDone, p.bytesTotal), done: bytes(p.bytesDone), total: bytes(p.bytesTotal), file: fileNo(s), files: p.filesTotal })] : null),
    s.flagged ? h('div', { class: 'kflag' }, t('kiosk.flagged')) : null,
  );
}

/** The dock's own screen: large slot cards, an alarm when a slot fails or the disk runs low; nothing else without a login. */
export async function renderKiosk(main: HTMLElement): Promise<() => void> {
  document.body.classList.add('kiosk');
  const clock = h('span', { class: 'clock' });
  const alarms = h('div', { id: 'kiosk-alarms', role: 'alert' });
  const grid = h('div', { class: 'kiosk-grid', id: 'kiosk-slots' });
  const offline = h('p', { class: 'kiosk-alarm', hidden: true }, t('kiosk.offline'));
  replace(
    main,
    h('div', { class: 'kiosk-head' }, h('h1', {}, t('app.name')), clock, langSwitch(), h('a', { href: '#/login' }, t('kiosk.login'))),
    offline,
    alarms,
    grid,
  );
  let stopped = false;
  const draw = (k: Kiosk) => {
    clock.textContent = time(k.time);
    const alarmLines: HTMLElement[] = [];
    for (const s of k.slots) if (s.state === 'failed') alarmLines.push(h('p', { class: 'kiosk-alarm' }, t('kiosk.alarm.slot', { n: slotNo(s.port) })));
    for (const e of k.ended) alarmLines.push(h('p', { class: 'kiosk-alarm', 'data-ended': e.serial ?? '' }, t('kiosk.alarm.ended', { n: slotNo(e.port), serial: e.serial ?? '' })));
    if (k.disk.low) alarmLines.push(h('p', { class: 'kiosk-alarm', id: 'disk-low' }, t('kiosk.alarm.disk', { free: bytes(k.disk.freeBytes) })));
    replace(alarms, alarmLines);
    replace(grid, k.slots.length === 0 ? h('div', { class: 'kslot empty' }, h('div', { class: 'kstate' }, t('kiosk.empty'))) : k.slots.map(card));
  };
  const tick = async () => {
    if (stopped) return;
    try {
      draw(await api.get<Kiosk>('/api/kiosk'));
      offline.hidden = true;
    } catch {
      offline.hidden = false;
    }
    if (!stopped) timer = setTimeout(() => void tick(), 1000);
  };
  let timer = setTimeout(() => undefined, 0);
  await tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.body.classList.remove('kiosk');
  };
}
