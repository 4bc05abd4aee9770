import { api, ApiError, errorText, session, type Me } from '../api.js';
import { h, note, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { langSwitch, loggedIn, type Page } from '../main.js';

/** Log in with a username (officers: their 6-digit officer number) and password. */
export const renderLogin: Page = async ({ main }) => {
  const msg = h('div', { class: 'msg', 'aria-live': 'assertive' });
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'login card' },
    h('div', { class: 'login-head' }, h('h1', {}, t('app.name')), langSwitch()),
    h('p', { class: 'muted' }, t('login.hint')),
    h('label', { for: 'username' }, t('login.username')),
    user,
    h('label', { for: 'password' }, t('login.password')),
    pass,
    submit,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    replace(msg);
    api
      .post<Me>('/api/login', { username: user.value.trim(), password: pass.value })
      .then((me) => loggedIn(me))
      .catch((e: unknown) => {
        const text =
          e instanceof ApiError && e.status === 401
            ? t('login.wrong')
            : e instanceof ApiError && e.status === 429
              ? t('login.tooMany', { s: Number(/(\d+) s/.exec(String(e.body.error ?? ''))?.[1] ?? 60) })
              : errorText(e);
        replace(msg, note('error', text));
        pass.value = '';
        pass.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  replace(main, h('div', { class: 'login-wrap' }, form), h('p', { class: 'login-kiosk' }, h('a', { href: '#/kiosk' }, t('nav.kiosk'))));
  user.focus();
};

/**
 * The password change: required after an administrator's reset (or when the password in use is below today's
 * rules: 12 characters at least, not a common one), and open to everyone from the menu.
 */
export const renderPasswordChange: Page = async ({ main, me }) => {
  const msg = h('div', { class: 'msg', 'aria-live': 'assertive' });
  const current = h('input', { id: 'current', name: 'current', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { id: 'new', name: 'new', type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const again = h('input', { id: 'again', name: 'again', type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const submit = h('button', { type: 'submit' }, t('password.submit'));
  const form = h(
    'form',
    { class: 'login card', id: 'password-form' },
    h('h1', {}, me.mustChangePassword ? t('password.requiredTitle') : t('password.title')),
    h('p', { class: 'muted' }, t('password.hint', { user: me.username })),
    h('label', { for: 'current' }, t('password.current')),
    current,
    h('label', { for: 'new' }, t('password.new')),
    next,
    h('label', { for: 'again' }, t('password.again')),
    again,
    submit,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    replace(msg);
    if (next.value !== again.value) {
      replace(msg, note('error', t('password.differ')));
      return;
    }
    submit.disabled = true;
    api
      .post<Me>('/api/me/password', { current: current.value, new: next.value })
      .then((m) => {
        if (me.mustChangePassword) return loggedIn(m);
        // A new session (cookie and CSRF token) for this tab; the user stays here and is told it is done.
        session.set(m);
        form.reset();
        replace(msg, note('ok', t('password.changed')));
      })
      .catch((e: unknown) => {
        const text =
          e instanceof ApiError && e.status === 429 ? t('err.tooMany', { s: 60 }) : e instanceof ApiError && e.body.field === 'current' ? t('password.wrongCurrent') : errorText(e);
        replace(msg, note('error', text));
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  replace(main, h('div', { class: 'login-wrap' }, form));
  current.focus();
};
