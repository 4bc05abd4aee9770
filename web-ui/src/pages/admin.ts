import { api, errorText, may, qs, type DockingSession, type List, type Role } from '../api.js';
import { append, h, note, replace } from '../dom.js';
import { sessionResultLabel } from '../labels.js';
import { drift, time } from '../format.js';
import { label, t } from '../i18n/index.js';
import type { Page } from '../main.js';
import { officers } from '../names.js';
import { field, table, td } from '../ui.js';

const ROLES: Role[] = ['officer', 'equipment_manager', 'supervisor', 'legal', 'auditor', 'admin'];
interface User {
  username: string;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  pending: { kind: string; role: Role; requestedBy: string } | null;
}

const say = (id: string, kind: 'ok' | 'error', message: string) => {
  const m = document.getElementById(id);
  if (m) replace(m, note(kind, message));
};

/** `#/users` (administrator): create, disable, reset, change roles; a supervisor confirms grants that see footage. */
export const renderUsers: Page = async (ctx) => {
  const { main, me } = ctx;
  const manage = may(me, 'users.manage');
  const confirmGrants = may(me, 'users.confirm');
  const msg = h('div', { class: 'msg', id: 'users-msg', 'aria-live': 'polite' });
  const parts: Array<HTMLElement | null> = [h('h1', {}, t('users.title')), msg];
  const again = (message: string) => void renderUsers(ctx).then(() => say('users-msg', 'ok', message));
  const fail = (e: unknown) => say('users-msg', 'error', errorText(e));

  if (manage) {
    const names = await officers(may(me, 'registry.read'));
    const users = (await api.get<List<User>>('/api/users?limit=500')).items;
    const username = h('input', { id: 'user-name', required: true, maxlength: 64, autocomplete: 'off' });
    const role = h('select', { id: 'user-role' }, ROLES.map((r) => h('option', { value: r }, label('role', r))));
    const password = h('input', { id: 'user-password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' });
    const form = h(
      'form',
      { class: 'card', id: 'user-form' },
      h('h2', {}, t('users.add')),
      h('div', { class: 'filters' }, field(t('users.username'), username), field(t('users.role'), role), field(t('users.password'), password)),
      h('button', { type: 'submit' }, t('users.submit')),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const u = username.value.trim();
      // An officer's account is their number in the registry: said here before the dock refuses it.
      if (role.value === 'officer' && names.size > 0 && !names.has(u)) return say('users-msg', 'error', t('users.officerUnknown', { no: u }));
      api
        .post<User>('/api/users', { username: u, role: role.value, password: password.value })
        .then((x) => again(x.pending ? t('users.addedPending', { user: x.username }) : t('users.added', { user: x.username })))
        .catch(fail);
    });
    const rows = users.map((u) => {
      const self = u.username === me.username;
      const roleSel = h('select', { 'aria-label': t('users.changeRole'), id: `role-${u.username}` }, ROLES.map((r) => h('option', { value: r, selected: r === u.role }, label('role', r))));
      const actions = self
        ? h('span', { class: 'muted' }, t('users.you'))
        : h(
            'div',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                class: u.disabled ? 'secondary' : 'danger',
                onclick: () => {
                  if (!u.disabled && !confirm(t('users.confirmDisable', { user: u.username }))) return;
                  api
                    .post(`/api/users/${u.username}/disabled`, { disabled: !u.disabled })
                    .then(() => again(t(u.disabled ? 'users.enabled' : 'users.disabled')))
                    .catch(fail);
                },
              },
              u.disabled ? t('users.enable') : t('users.disable'),
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () =>
                  void api
                    .post<{ temporaryPassword: string }>(`/api/users/${u.username}/reset`, {})
                    .then((r) => renderUsers(ctx).then(() => say('users-msg', 'ok', t('users.resetDone', { user: u.username, password: r.temporaryPassword }))))
                    .catch(fail),
              },
              t('users.reset'),
            ),
            roleSel,
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () =>
                  void api
                    .post(`/api/users/${u.username}/role`, { role: roleSel.value })
                    .then(() => again(t('users.roleChanged', { user: u.username })))
                    .catch(fail),
              },
              t('users.changeRole'),
            ),
          );
      return h(
        'tr',
        { 'data-user': u.username },
        td(u.username),
        td(label('role', u.role)),
        td(
          h('span', { class: `chip ${u.disabled ? 'warn' : 'ok'}` }, u.disabled ? t('users.disabled') : t('users.enabled')),
          u.mustChangePassword ? h('small', { class: 'muted' }, ' ', t('users.mustChange')) : null,
          u.pending ? h('p', { class: 'small muted' }, t('users.pending', { what: label('role', u.pending.role) })) : null,
        ),
        td(actions),
      );
    });
    parts.push(form, table('users', [t('users.col.user'), t('users.col.role'), t('users.col.state'), t('users.col.actions')], rows));
  }

  if (confirmGrants) {
    const pending = (await api.get<{ items: User[] }>('/api/users/pending')).items;
    parts.push(
      h('h2', {}, t('users.pendingTitle')),
      pending.length === 0
        ? h('p', { class: 'muted' }, t('users.noPending'))
        : table(
            'pending',
            [t('users.col.user'), t('users.col.role'), t('common.by', { who: '' }), t('users.col.actions')],
            pending.map((u) =>
              h(
                'tr',
                { 'data-user': u.username },
                td(u.username),
                td(label('role', u.pending?.role ?? u.role)),
                td(u.pending?.requestedBy ?? ''),
                td(
                  h('div', { class: 'actions' },
                    h('button', { type: 'button', class: 'approve', onclick: () => void api.post(`/api/users/${u.username}/confirm`, {}).then(() => again(t('common.done'))).catch(fail) }, t('users.confirmGrant')),
                    h('button', { type: 'button', class: 'secondary', onclick: () => void api.post(`/api/users/${u.username}/reject`, {}).then(() => again(t('common.done'))).catch(fail) }, t('users.rejectGrant')),
                  ),
                ),
              ),
            ),
          ),
    );
  }
  replace(main, ...parts);
};

/** `#/sessions`: every docking, newest first, with its result and its signed manifest. */
export const renderSessions: Page = async ({ main, me, query }) => {
  const serial = h('input', { id: 'sess-serial', value: query.get('serial') ?? '', pattern: '[A-Za-z0-9]{1,8}', maxlength: 8 });
  const form = h('form', { class: 'filters card' }, field(t('sess.filter'), serial), h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('common.search'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/sessions${qs({ serial: serial.value.trim() })}`;
  });
  const manifests = may(me, 'recordings.search');
  const body = h('div', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('common.more'));
  const rows: HTMLTableRowElement[] = [];
  let cursor: string | null = null;
  const load = async () => {
    const l = await api.get<List<DockingSession>>(`/api/sessions${qs({ limit: 50, cursor, serial: query.get('serial') || undefined })}`);
    cursor = l.next;
    more.hidden = cursor === null;
    for (const s of l.items)
      rows.push(
        h(
          'tr',
          { 'data-id': s.id, 'data-result': s.result },
          td(time(s.startedAt), s.endedAt ? h('small', { class: 'muted' }, ' ', t('device.until', { t: time(s.endedAt) })) : null),
          td(s.serial ? h('a', { href: `#/devices/${s.serial}` }, s.serial) : ''),
          td(s.officerNo ?? ''),
          td(h('span', { class: `chip ${s.result === 'ok' ? 'ok' : s.result === 'running' ? 'busy' : 'warn'}` }, sessionResultLabel(s.result)), s.error ? h('small', { class: 'muted' }, h('br'), s.error) : null, s.driftMs !== null ? h('small', { class: 'muted' }, h('br'), drift(s.driftMs)) : null),
          td(t('sess.files', { stored: s.filesStored, total: s.filesTotal ?? 0, skipped: s.filesSkipped, erased: s.filesErased })),
          td(manifests && s.result !== 'running' ? [h('a', { href: `/api/manifests/${s.id}`, target: '_blank', rel: 'noopener' }, t('sess.manifest')), ' · ', h('a', { href: `/api/manifests/${s.id}/sig`, download: '' }, t('sess.sig'))] : ''),
        ),
      );
    replace(body, table('sessions', [t('sess.col.started'), t('sess.col.recorder'), t('sess.col.officer'), t('sess.col.result'), t('sess.col.files'), t('sess.col.manifest')], rows, t('sess.empty')));
  };
  more.addEventListener('click', () => void load().catch((e: unknown) => append(body, note('error', errorText(e)))));
  replace(main, h('h1', {}, t('sess.title')), h('p', { class: 'muted' }, t('sess.intro')), form, body, h('p', {}, more));
  await load();
};

/** `#/ledger`: the usage ledger as CSV with Chinese column names (and a BOM) for a spreadsheet. */
export const renderLedgerExport: Page = async ({ main }) => {
  const serial = h('input', { id: 'ledger-serial', pattern: '[A-Za-z0-9]{1,8}', maxlength: 8 });
  const officer = h('input', { id: 'ledger-officer', pattern: '[0-9]{6}', maxlength: 6, inputmode: 'numeric' });
  const from = h('input', { id: 'ledger-from', type: 'date' });
  const to = h('input', { id: 'ledger-to', type: 'date' });
  const link = h('a', { class: 'button', id: 'ledger-csv', download: '', href: '/api/ledger/export.csv?lang=zh' }, t('ledger.download'));
  const sync = () => {
    link.setAttribute(
      'href',
      `/api/ledger/export.csv${qs({ lang: 'zh', serial: serial.value.trim(), officer: officer.value.trim(), from: from.value ? `${from.value}T00:00:00` : '', to: to.value ? `${to.value}T23:59:59` : '' })}`,
    );
  };
  for (const el of [serial, officer, from, to]) el.addEventListener('input', sync);
  replace(
    main,
    h('h1', {}, t('ledger.title')),
    h('p', { class: 'muted' }, t('ledger.intro')),
    h('div', { class: 'filters card' }, field(t('ledger.serial'), serial), field(t('ledger.officer'), officer), field(t('common.from'), from), field(t('common.to'), to)),
    h('p', {}, link),
  );
};
