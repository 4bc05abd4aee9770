import { api, ApiError, errorText, may, qs, type Device, type DockingSession, type Finding, type List, type Officer, type Period } from '../api.js';
import { append, facts, h, note, replace } from '../dom.js';
import { deviceWhere } from '../device-state.js';
import { bytes, drift, duration, pct, time } from '../format.js';
import { t } from '../i18n/index.js';
import { deviceStatusLabel, findingLabel, findingStateLabel, readinessLabel, sessionResultLabel } from '../labels.js';
import type { Page, PageContext } from '../main.js';
import { officerLabel, officers } from '../names.js';
import { officerPicker, table, td } from '../ui.js';

const storage = (d: Device) => (d.freeMiB !== null && d.totalMiB ? t('common.percentFree', { p: Math.round((d.freeMiB / d.totalMiB) * 100) }) : '');

/** Every recorder the dock knows, with status, battery, storage and who has it. */
export const renderDevices: Page = async ({ main, me }) => {
  const [list, names] = await Promise.all([api.get<List<Device>>('/api/devices?limit=1000'), officers(may(me, 'registry.read'))]);
  if (list.items.length === 0) {
    replace(main, h('h1', {}, t('devices.title')), h('div', { class: 'empty card' }, h('p', {}, t('devices.empty')), h('p', { class: 'muted' }, t('devices.emptyHint'))));
    return;
  }
  replace(
    main,
    h('h1', {}, t('devices.title')),
    table(
      'devices',
      [t('devices.col.recorder'), t('devices.col.status'), t('devices.col.officer'), t('devices.col.battery'), t('devices.col.storage'), t('devices.col.lastDocked')],
      list.items.map((d) =>
        h(
          'tr',
          { 'data-serial': d.serial },
          td(h('a', { href: `#/devices/${d.serial}`, class: 'rowlink' }, d.serial)),
          td(deviceStatusLabel(d.status), d.docked ? h('span', { class: 'chip ok' }, t('devices.docked')) : null),
          td(d.checkedOutTo ? officerLabel(d.checkedOutTo, names) : h('span', { class: 'muted' }, t('common.dash'))),
          td(pct(d.battery)),
          td(storage(d)),
          td(time(d.lastDockedAt)),
        ),
      ),
    ),
  );
};

/** The first page of a recorder's ledger; the pages after it answer `device`, `checkouts` and `nextCursor` only. */
interface DeviceDetail {
  device: Device;
  checkouts: Period[];
  /** Opens the next page of older checkout periods; null after the oldest. */
  nextCursor: string | null;
  sessions: DockingSession[];
  findings: Finding[] | null;
}
type LedgerPage = Pick<DeviceDetail, 'checkouts' | 'nextCursor'>;

/** Checkout periods asked for at a time: the ledger of a recorder in daily use holds about a thousand. */
const LEDGER_PAGE = 50;
/** The dockings and findings the dock answers with the ledger's first page: the recorder's last ones. */
const RECENT = 20;

/**
 * One recorder's ledger (004 §4): checkouts with handover times and who, docking sessions, findings; checkout and
 * check-in. The checkouts come a page at a time, newest first, in a box of their own: the next page loads as its
 * end scrolls into view, or with the button under it, so the dockings below stay in reach of a short scroll.
 */
export const renderDevice: Page = async (ctx) => {
  let stop = () => {};
  // After a checkout or check-in the page is drawn again, saying what was done (issue 18: no confirmation).
  const draw = async (done?: string): Promise<void> => {
    stop();
    stop = await drawDevice(ctx, (d) => void draw(d));
    const m = document.getElementById('device-msg');
    if (done && m) replace(m, note('ok', done));
  };
  await draw();
  return () => stop();
};

/** The page itself; answers what stops its loading of more checkouts. */
async function drawDevice(ctx: PageContext, again: (done: string) => void): Promise<() => void> {
  const { main, params, me } = ctx;
  const serial = params[0]!;
  const [detail, names] = await Promise.all([api.get<DeviceDetail>(`/api/devices/${serial}${qs({ limit: LEDGER_PAGE })}`), officers(may(me, 'registry.read'))]);
  const { device: d } = detail;
  const msg = h('div', { class: 'msg', id: 'device-msg', 'aria-live': 'polite' });

  const actions = h('div', { class: 'actions' });
  if (may(me, 'registry.edit')) {
    if (d.checkedOutTo === null) {
      const picker = officerPicker('checkout-officer', names.values(), { required: true });
      const go = h('button', { type: 'button', id: 'checkout' }, t('device.checkout'));
      go.addEventListener('click', () => {
        const no = picker.select.value;
        if (!no) return replace(msg, note('warn', t('device.chooseOfficer')));
        go.disabled = true;
        replace(msg, note('info', t('device.checkingOut')));
        api
          .post(`/api/devices/${serial}/checkout`, { officerNo: no })
          .then(() => again(t('device.checkedOut', { who: names.get(no)?.name ? t('common.nameNo', { name: names.get(no)!.name, no }) : no })))
          .catch((e: unknown) => {
            go.disabled = false;
            if (e instanceof ApiError && Array.isArray(e.body.reasons) && e.body.reasons.length > 0) {
              replace(msg, note('error', t('device.cannotHand')), h('ul', { class: 'reasons' }, e.body.reasons.map((r) => h('li', {}, readinessLabel(r)))));
            } else replace(msg, note('error', errorText(e)));
          });
      });
      actions.append(h('label', { for: 'checkout-officer' }, t('device.handTo')), picker.el, go);
    } else {
      const back = h('button', { type: 'button', id: 'checkin', class: 'secondary' }, t('device.checkin'));
      back.addEventListener('click', () => {
        back.disabled = true;
        api
          .post(`/api/devices/${serial}/checkin`, {})
          .then(() => again(t('device.checkedIn')))
          .catch((e: unknown) => {
            back.disabled = false;
            replace(msg, note('error', errorText(e)));
          });
      });
      const who = names.get(d.checkedOutTo);
      actions.append(h('p', {}, t('device.checkedOutTo', { who: who ? t('common.nameNo', { name: who.name, no: d.checkedOutTo }) : d.checkedOutTo })), back);
    }
  }

  const ledger = ledgerPages(serial, detail, (p) => periodRow(p, names));

  const sessions = table(
    'sessions',
    [t('device.col.docked'), t('device.col.result'), t('device.col.clock'), t('device.battery'), t('device.col.copied')],
    detail.sessions.map((s) =>
      h(
        'tr',
        {},
        td(time(s.startedAt), s.endedAt ? h('small', { class: 'muted' }, ' ', t('device.until', { t: time(s.endedAt) })) : null),
        td(sessionResultLabel(s.result), s.error ? h('small', { class: 'muted' }, h('br'), s.error) : null),
        td(drift(s.driftMs)),
        td(pct(s.battery)),
        td(t('common.filesBytes', { files: s.filesStored, size: bytes(s.bytesStored) })),
      ),
    ),
    t('device.notDocked'),
  );

  const findings =
    detail.findings === null || detail.findings.length === 0
      ? null
      : [
          h('h2', {}, t('device.findings')),
          h(
            'ul',
            { class: 'plain' },
            detail.findings.map((f) => h('li', {}, h('a', { href: `#/findings?serial=${serial}&view=all` }, findingLabel(f.kind)), ' · ', findingStateLabel(f.state), ' · ', time(f.createdAt))),
          ),
          detail.findings.length >= RECENT ? h('p', {}, h('a', { href: `#/findings?serial=${serial}&view=all` }, t('device.allFindings'))) : null,
        ];

  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/devices' }, t('device.back'))),
    h('h1', {}, t('device.title', { serial: d.serial })),
    facts([
      [t('device.status'), h('span', { id: 'device-where' }, deviceWhere(d))],
      [t('device.officer'), d.checkedOutTo ? officerLabel(d.checkedOutTo, names) : null],
      [t('device.battery'), d.battery === null ? null : pct(d.battery)],
      [t('device.storage'), d.freeMiB !== null && d.totalMiB ? t('device.storageText', { free: bytes(d.freeMiB * 1048576), total: bytes(d.totalMiB * 1048576) }) : null],
      [t('device.lastSync'), time(d.lastSyncAt)],
      [t('device.model'), `${d.idCode} · ${d.firmware}`],
    ]),
    may(me, 'registry.edit') ? h('section', { class: 'card' }, h('h2', {}, t('device.handTitle')), actions, msg) : msg,
    h('h2', {}, t('device.ledger')),
    ledger.el,
    h('h2', {}, t('device.dockings')),
    sessions,
    // The dock answers the recorder's last RECENT dockings and findings; the rest are on their own pages.
    detail.sessions.length >= RECENT ? h('p', {}, h('a', { href: `#/sessions?serial=${serial}` }, t('device.allDockings'))) : null,
    findings,
    h('p', {}, h('a', { href: `#/recordings?serial=${serial}`, class: 'button secondary' }, t('device.recordings'))),
  );
  ledger.start();
  return ledger.stop;
}

function periodRow(p: Period, names: Map<string, Officer>): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-checkout': p.id },
    td(officerLabel(p.officerNo, names, p.officerName)),
    td(time(p.outAt), h('br'), h('small', { class: 'muted' }, t('common.by', { who: p.outBy }))),
    td(time(p.leftDockAt) || h('span', { class: 'muted' }, t('common.dash'))),
    td(p.inAt ? [time(p.inAt), h('br'), h('small', { class: 'muted' }, p.inBy === 'dock' ? t('device.byDock') : t('common.by', { who: p.inBy ?? '' }))] : h('span', { class: 'chip busy' }, t('device.stillOut'))),
    td(t('device.recordedText', { n: p.recordings, d: duration(p.durationMs) })),
  );
}

/**
 * The checkout periods in a scrolled box, page after page by the answer's cursor: an IntersectionObserver on a
 * sentinel after the last row asks for the next page as it nears view, and a button does the same for a keyboard,
 * a screen reader or a browser without the observer. One request at a time, so no page is asked for twice.
 */
function ledgerPages(serial: string, first: LedgerPage, row: (p: Period) => HTMLTableRowElement): { el: HTMLElement; start: () => void; stop: () => void } {
  const heads = [t('common.officer'), t('device.col.out'), t('device.col.left'), t('device.col.in'), t('device.col.recorded')];
  if (first.checkouts.length === 0) return { el: table('checkouts', heads, [], t('device.never')), start: () => {}, stop: () => {} };
  const box = table('checkouts', heads, first.checkouts.map(row));
  box.classList.add('scroll-y');
  const body = box.querySelector('tbody')!;
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  box.append(sentinel);
  const count = h('p', { class: 'muted', id: 'ledger-count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', id: 'ledger-more' }, t('device.ledgerMore'));
  const msg = h('div', { id: 'ledger-msg' });
  let cursor = first.nextCursor;
  let shown = first.checkouts.length;
  let loading = false;
  let observer: IntersectionObserver | null = null;
  const show = () => {
    count.textContent = cursor ? t('device.ledgerShown', { n: shown }) : t('device.ledgerEnd', { n: shown });
    if (cursor === null) {
      // The button goes at the end: a keyboard on it moves to the ledger's box (scrolled with the arrow keys).
      if (document.activeElement === more) box.focus();
      more.hidden = true;
      observer?.disconnect();
    }
  };
  const load = async () => {
    if (loading || cursor === null) return;
    // The button says it is busy but is not disabled: a disabled button would drop the keyboard's focus.
    loading = true;
    more.setAttribute('aria-busy', 'true');
    more.textContent = t('app.loading');
    try {
      const next = await api.get<LedgerPage>(`/api/devices/${serial}${qs({ limit: LEDGER_PAGE, cursor })}`);
      append(body, next.checkouts.map(row));
      shown += next.checkouts.length;
      cursor = next.nextCursor;
      msg.replaceChildren();
    } catch (e) {
      replace(msg, note('error', errorText(e)));
    } finally {
      loading = false;
      more.removeAttribute('aria-busy');
      more.textContent = t('device.ledgerMore');
      show();
    }
    // Still in view after the rows came (a tall screen, a short page): observing again reports it, and loads on.
    if (observer && cursor !== null && !msg.hasChildNodes()) {
      observer.unobserve(sentinel);
      observer.observe(sentinel);
    }
  };
  more.addEventListener('click', () => void load());
  show();
  const el = h('div', { class: 'ledger' }, box, h('div', { class: 'ledger-foot' }, count, more), msg);
  return {
    el,
    start() {
      if (cursor === null || typeof IntersectionObserver === 'undefined') return;
      observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void load(), { root: box, rootMargin: '0px 0px 240px 0px' });
      observer.observe(sentinel);
    },
    stop: () => observer?.disconnect(),
  };
}
