import { api, ApiError, session, type Me } from './api.js';
import { h, note, replace } from './dom.js';
import { can, roleLabel } from './labels.js';
import { renderAudit } from './pages/audit.js';
import { renderDevice, renderDevices } from './pages/devices.js';
import { renderFindings } from './pages/findings.js';
import { renderLogin, renderPasswordChange } from './pages/login.js';
import { renderPlayer, renderRecordings } from './pages/recordings.js';
import { renderStatus } from './pages/status.js';
import { renderCase, renderCases, renderCustody, renderRegister, renderRequests } from './pages/evidence.js';

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

interface Route {
  pattern: RegExp;
  page: Page;
  title: string;
  allowed: (me: Me) => boolean;
}

const ROUTES: Route[] = [
  { pattern: /^\/status$/, page: renderStatus, title: 'Dock status', allowed: () => true },
  { pattern: /^\/devices$/, page: renderDevices, title: 'Recorders', allowed: (me) => can(me.role).registry },
  { pattern: /^\/devices\/([A-Za-z0-9]{1,8})$/, page: renderDevice, title: 'Recorder', allowed: (me) => can(me.role).registry },
  { pattern: /^\/recordings$/, page: renderRecordings, title: 'Recordings', allowed: (me) => can(me.role).search },
  { pattern: /^\/recordings\/(\d+)$/, page: renderPlayer, title: 'Recording', allowed: (me) => can(me.role).search },
  { pattern: /^\/findings$/, page: renderFindings, title: 'Findings', allowed: (me) => can(me.role).search },
  { pattern: /^\/audit$/, page: renderAudit, title: 'Audit trail', allowed: (me) => can(me.role).audit },
  { pattern: /^\/cases$/, page: renderCases, title: 'Cases', allowed: (me) => can(me.role).search },
  { pattern: /^\/cases\/(\d+)$/, page: renderCase, title: 'Case', allowed: (me) => can(me.role).search },
  { pattern: /^\/requests$/, page: renderRequests, title: 'Access requests', allowed: (me) => me.role !== 'admin' },
  { pattern: /^\/register$/, page: renderRegister, title: 'Access register', allowed: (me) => ['equipment_manager', 'supervisor', 'legal', 'auditor'].includes(me.role) },
  { pattern: /^\/recordings\/(\d+)\/custody$/, page: renderCustody, title: 'Chain of custody', allowed: (me) => ['equipment_manager', 'supervisor', 'legal', 'auditor'].includes(me.role) },
];

const NAV: Array<{ href: string; label: string; route: number }> = [
  { href: '#/status', label: 'Dock status', route: 0 },
  { href: '#/devices', label: 'Recorders', route: 1 },
  { href: '#/recordings', label: 'Recordings', route: 3 },
  { href: '#/findings', label: 'Findings', route: 5 },
  { href: '#/audit', label: 'Audit trail', route: 6 },
  { href: '#/cases', label: 'Cases', route: 7 },
  { href: '#/requests', label: 'Requests', route: 9 },
  { href: '#/register', label: 'Register', route: 10 },
];

const $ = (id: string) => document.getElementById(id)!;
// biome-ignore lint/suspicious/noConfusingVoidType: what a Page resolves to
let cleanup: (() => void) | void;
let generation = 0;

function drawHeader(me: Me | null): void {
  const top = $('top');
  top.hidden = me === null;
  if (!me) return;
  $('who-name').textContent = me.username;
  $('who-role').textContent = roleLabel(me.role);
  const path = location.hash.slice(1).split('?')[0] ?? '';
  replace(
    $('nav'),
    NAV.filter((n) => ROUTES[n.route]!.allowed(me)).map((n) => {
      const active = path === n.href.slice(1) || path.startsWith(n.href.slice(1) + '/');
      return h('a', { href: n.href, class: active ? 'active' : null, 'aria-current': active ? 'page' : null }, n.label);
    }),
  );
}

async function route(): Promise<void> {
  const gen = ++generation;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const main = $('page');
  const raw = location.hash.replace(/^#/, '') || '/status';
  const [path = '', search = ''] = raw.split('?');
  const me = session.get();
  drawHeader(me);
  if (!me) {
    document.title = 'Log in · Recorder dock';
    cleanup = await renderLogin({ main, params: [], query: new URLSearchParams(search), me: null as unknown as Me });
    return;
  }
  if (me.mustChangePassword) {
    document.title = 'Change password · Recorder dock';
    cleanup = await renderPasswordChange({ main, params: [], query: new URLSearchParams(search), me });
    return;
  }
  const r = ROUTES.find((x) => x.pattern.test(path));
  if (!r) {
    location.replace('#/status');
    return;
  }
  document.title = `${r.title} · Recorder dock`;
  if (!r.allowed(me)) {
    replace(main, h('h1', {}, r.title), note('warn', `As ${roleLabel(me.role).toLowerCase()} you do not have this page.`));
    return;
  }
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const params = r.pattern.exec(path)!.slice(1);
    const c = await r.page({ main, params, query: new URLSearchParams(search), me });
    if (gen !== generation) {
      if (typeof c === 'function') c();
    } else cleanup = c;
  } catch (e) {
    if (gen !== generation) return;
    if (e instanceof ApiError && e.status === 401) return;
    replace(main, h('h1', {}, r.title), note('error', e instanceof Error ? e.message : String(e)));
  }
}

export function loggedIn(me: Me): void {
  session.set(me);
  if (!location.hash || location.hash.startsWith('#/login')) location.hash = '#/status';
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
  session.onLoggedOut(() => void route());
  $('logout').addEventListener('click', () => void logout());
  window.addEventListener('hashchange', () => void route());
  try {
    session.set(await api.get<Me>('/api/me'));
  } catch {
    session.set(null);
  }
  if (session.get() && (!location.hash || location.hash.startsWith('#/login'))) location.replace('#/status');
  await route();
}

void boot();
