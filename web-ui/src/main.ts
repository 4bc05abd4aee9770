import { api, ApiError, errorText, may, session, type Action, type Me } from './api.js';
import { h, note, replace } from './dom.js';
import { LANG_NAMES, LANGS, lang, langFor, onLangChange, setLang, t, useLang, type Key } from './i18n/index.js';
import { roleLabel } from './labels.js';
import { renderLedgerExport, renderSessions, renderUsers } from './pages/admin.js';
import { renderAudit } from './pages/audit.js';
import { renderDevice, renderDevices } from './pages/devices.js';
import { renderCase, renderCases, renderCustody, renderRegister, renderRequests } from './pages/evidence.js';
import { renderFindings } from './pages/findings.js';
import { renderHolds } from './pages/holds.js';
import { renderKiosk } from './pages/kiosk.js';
import { renderLogin, renderPasswordChange } from './pages/login.js';
import { renderPlayer, renderRecordings } from './pages/recordings.js';
import { renderActivities, renderOfficers } from './pages/registry.js';
import { renderRetention, renderTombstones } from './pages/retention.js';
import { renderReports } from './pages/reports.js';
import { renderSpotCheck, renderSpotChecks } from './pages/spot-checks.js';
import { renderStatus } from './pages/status.js';

/** What a page gets: where to draw, the route's parameters and query, and who is logged in. */
export interface PageContext {
  main: HTMLElement;
  params: string[];
  query: URLSearchParams;
  me: Me;
}
/** A page draws itself and may return a clean-up (close a stream) run when the user leaves it. */
// biome-ignore lint/suspicious/noConfusingVoidType: a page that cleans nothing up returns nothing (an async function's Promise<void>)
export type Page = (ctx: PageContext) => Promise<(() => void) | void>;

/**
 * A page of the console: its path, its title (a catalogue key) and the actions of the rights matrix that open
 * it (any one of them; read from /api/me). `nav` puts it in the navigation for those roles and hides it from the
 * rest. To add a page: one line here.
 */
interface Route {
  pattern: RegExp;
  page: Page;
  title: Key;
  /** Any of these actions opens the page; none: every logged-in role. */
  needs?: Action[];
  /** Also required: a test on the session beyond the matrix (e.g. not the administrator). */
  also?: (me: Me) => boolean;
  nav?: { href: string; label: Key; officerLabel?: Key };
}

const ROUTES: Route[] = [
  { pattern: /^\/status$/, page: renderStatus, title: 'nav.status', nav: { href: '#/status', label: 'nav.status' } },
  { pattern: /^\/devices$/, page: renderDevices, title: 'nav.devices', needs: ['registry.read'], nav: { href: '#/devices', label: 'nav.devices' } },
  { pattern: /^\/devices\/([A-Za-z0-9]{1,8})$/, page: renderDevice, title: 'nav.devices', needs: ['registry.read'] },
  { pattern: /^\/recordings$/, page: renderRecordings, title: 'nav.recordings', needs: ['recordings.search'], nav: { href: '#/recordings', label: 'nav.recordings', officerLabel: 'nav.myRecordings' } },
  { pattern: /^\/recordings\/(\d+)$/, page: renderPlayer, title: 'nav.recordings', needs: ['recordings.search'] },
  { pattern: /^\/findings$/, page: renderFindings, title: 'nav.findings', needs: ['findings.read'], nav: { href: '#/findings', label: 'nav.findings', officerLabel: 'nav.myFindings' } },
  { pattern: /^\/cases$/, page: renderCases, title: 'nav.cases', needs: ['recordings.search'], nav: { href: '#/cases', label: 'nav.cases' } },
  { pattern: /^\/cases\/(\d+)$/, page: renderCase, title: 'nav.cases', needs: ['recordings.search'] },
  { pattern: /^\/requests$/, page: renderRequests, title: 'nav.requests', needs: ['access.request'], nav: { href: '#/requests', label: 'nav.requests' } },
  { pattern: /^\/register$/, page: renderRegister, title: 'nav.register', needs: ['access.read'], nav: { href: '#/register', label: 'nav.register' } },
  { pattern: /^\/recordings\/(\d+)\/custody$/, page: renderCustody, title: 'nav.recordings', needs: ['custody.read'] },
  { pattern: /^\/spot-checks$/, page: renderSpotChecks, title: 'nav.spotChecks', needs: ['spot-checks'], nav: { href: '#/spot-checks', label: 'nav.spotChecks' } },
  { pattern: /^\/spot-checks\/(\d+)$/, page: renderSpotCheck, title: 'nav.spotChecks', needs: ['spot-checks'] },
  { pattern: /^\/reports$/, page: renderReports, title: 'nav.reports', needs: ['yearly-reports'], nav: { href: '#/reports', label: 'nav.reports' } },
  { pattern: /^\/retention$/, page: renderRetention, title: 'nav.retention', needs: ['retention.read'], nav: { href: '#/retention', label: 'nav.retention' } },
  { pattern: /^\/tombstones$/, page: renderTombstones, title: 'nav.tombstones', needs: ['retention.read'], nav: { href: '#/tombstones', label: 'nav.tombstones' } },
  { pattern: /^\/holds$/, page: renderHolds, title: 'nav.holds', needs: ['holds.read'], nav: { href: '#/holds', label: 'nav.holds' } },
  { pattern: /^\/activities$/, page: renderActivities, title: 'nav.activities', needs: ['activities.write'], nav: { href: '#/activities', label: 'nav.activities' } },
  { pattern: /^\/officers$/, page: renderOfficers, title: 'nav.officers', needs: ['registry.read'], nav: { href: '#/officers', label: 'nav.officers' } },
  { pattern: /^\/sessions$/, page: renderSessions, title: 'nav.sessions', needs: ['registry.read'], nav: { href: '#/sessions', label: 'nav.sessions' } },
  { pattern: /^\/ledger$/, page: renderLedgerExport, title: 'nav.ledger', needs: ['registry.edit'], nav: { href: '#/ledger', label: 'nav.ledger' } },
  { pattern: /^\/users$/, page: renderUsers, title: 'nav.users', needs: ['users.manage', 'users.confirm'], nav: { href: '#/users', label: 'nav.users' } },
  { pattern: /^\/audit$/, page: renderAudit, title: 'nav.audit', needs: ['audit.read'], nav: { href: '#/audit', label: 'nav.audit' } },
];

/** Whether the logged-in role may open a route (the dock refuses the requests behind it anyway). */
function allowed(r: Route, me: Me): boolean {
  return (!r.needs || r.needs.some((a) => may(me, a))) && (!r.also || r.also(me));
}

const $ = (id: string) => document.getElementById(id)!;
// biome-ignore lint/suspicious/noConfusingVoidType: what a Page resolves to
let cleanup: (() => void) | void;
let generation = 0;

/** The language switch: each language named in its own script, the one in use pressed. */
export function langSwitch(): HTMLElement {
  return h(
    'div',
    { class: 'lang', role: 'group', 'aria-label': t('app.lang') },
    LANGS.map((l) =>
      h(
        'button',
        {
          type: 'button',
          class: l === lang() ? 'lang-on' : 'secondary',
          'aria-pressed': l === lang() ? 'true' : 'false',
          lang: l === 'zh' ? 'zh-CN' : 'en',
          'data-lang': l,
          onclick: () => setLang(l, session.get()?.username ?? null),
        },
        LANG_NAMES[l],
      ),
    ),
  );
}

function drawHeader(me: Me | null): void {
  const top = $('top');
  top.hidden = me === null;
  $('brand').textContent = t('app.name');
  $('logout').textContent = t('nav.logout');
  $('skip').textContent = t('app.skip');
  $('nav').setAttribute('aria-label', t('nav.label'));
  replace($('lang-slot'), langSwitch());
  if (!me) return;
  $('who-name').textContent = me.username;
  $('who-role').textContent = roleLabel(me.role);
  const path = location.hash.slice(1).split('?')[0] ?? '';
  const links = ROUTES.filter((r) => r.nav && allowed(r, me)).map((r) => {
    const n = r.nav!;
    const active = path === n.href.slice(1) || path.startsWith(`${n.href.slice(1)}/`);
    return h('a', { href: n.href, class: active ? 'active' : null, 'aria-current': active ? 'page' : null }, t(me.role === 'officer' && n.officerLabel ? n.officerLabel : n.label));
  });
  links.push(h('a', { href: '#/password', class: path === '/password' ? 'active' : null, 'aria-current': path === '/password' ? 'page' : null }, t('nav.password')));
  replace($('nav'), links);
}

async function route(): Promise<void> {
  const gen = ++generation;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const main = $('page');
  const raw = location.hash.replace(/^#/, '') || '/status';
  const [path = '', search = ''] = raw.split('?');
  const me = session.get();
  // The dock's own screen: open without a login, showing slot state only.
  if (path === '/kiosk') {
    $('top').hidden = true;
    document.title = `${t('nav.kiosk')} · ${t('app.name')}`;
    cleanup = await renderKiosk(main);
    return;
  }
  drawHeader(me);
  if (!me) {
    document.title = `${t('login.title')} · ${t('app.name')}`;
    cleanup = await renderLogin({ main, params: [], query: new URLSearchParams(search), me: null as unknown as Me });
    return;
  }
  if (me.mustChangePassword || path === '/password') {
    document.title = `${t('password.title')} · ${t('app.name')}`;
    cleanup = await renderPasswordChange({ main, params: [], query: new URLSearchParams(search), me });
    return;
  }
  const r = ROUTES.find((x) => x.pattern.test(path));
  if (!r) {
    location.replace('#/status');
    return;
  }
  document.title = `${t(r.title)} · ${t('app.name')}`;
  if (!allowed(r, me)) {
    replace(main, h('h1', {}, t(r.title)), note('warn', t('app.noAccess', { role: roleLabel(me.role) })));
    return;
  }
  replace(main, h('p', { class: 'muted' }, t('app.loading')));
  try {
    const params = r.pattern.exec(path)!.slice(1);
    const c = await r.page({ main, params, query: new URLSearchParams(search), me });
    keyboardReachable(main);
    if (gen !== generation) {
      if (typeof c === 'function') c();
    } else cleanup = c;
  } catch (e) {
    if (gen !== generation) return;
    if (e instanceof ApiError && e.status === 401) return;
    replace(main, h('h1', {}, t(r.title)), note('error', errorText(e)));
  }
}

/**
 * Tables wider than the screen scroll sideways: each scrolled region is reachable by keyboard (tab to it, then the
 * arrow keys) and named for a screen reader by the heading before it, on every page, whoever drew it.
 */
function keyboardReachable(main: HTMLElement): void {
  const mark = () => {
    for (const w of Array.from(main.querySelectorAll<HTMLElement>('.table-wrap:not([tabindex])'))) {
      w.tabIndex = 0;
      w.setAttribute('role', 'region');
      let prev = w.previousElementSibling;
      while (prev && !/^H[1-3]$/.test(prev.tagName)) prev = prev.previousElementSibling;
      w.setAttribute('aria-label', (prev?.textContent ?? document.title).trim());
    }
  };
  mark();
  new MutationObserver(mark).observe(main, { childList: true, subtree: true });
}

export function loggedIn(me: Me): void {
  session.set(me);
  useLang(langFor(me.username));
  if (!location.hash || location.hash.startsWith('#/login') || location.hash.startsWith('#/password')) location.hash = '#/status';
  else void route();
}

async function logout(): Promise<void> {
  try {
    await api.post('/api/logout', {});
  } catch {
    /* the session is gone either way */
  }
  session.set(null);
  location.hash = '#/login';
  void route();
}

async function boot(): Promise<void> {
  useLang(langFor(null));
  session.onLoggedOut(() => void route());
  onLangChange(() => void route());
  $('logout').addEventListener('click', () => void logout());
  window.addEventListener('hashchange', () => void route());
  try {
    const me = await api.get<Me>('/api/me');
    session.set(me);
    useLang(langFor(me.username));
  } catch {
    session.set(null);
  }
  if (session.get() && (!location.hash || location.hash.startsWith('#/login'))) location.replace('#/status');
  await route();
}

void boot();
