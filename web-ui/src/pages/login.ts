import { api, ApiError, type Me } from '../api.js';
import { h, note, replace } from '../dom.js';
import { loggedIn, type Page } from '../main.js';

/** Log in with a username (officers: their 6-digit officer number) and password. */
export const renderLogin: Page = async ({ main }) => {
  const msg = h('div', { class: 'msg' });
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Log in');
  const form = h(
    'form',
    { class: 'login card' },
    h('h1', {}, 'Recorder dock'),
    h('p', { class: 'muted' }, 'Officers: your username is your 6-digit officer number.'),
    h('label', { for: 'username' }, 'Username'),
    user,
    h('label', { for: 'password' }, 'Password'),
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
          e instanceof ApiError && e.status === 401 ? 'Wrong username or password.' : e instanceof ApiError && e.status === 429 ? `Too many failed attempts. ${e.message}` : e instanceof Error ? e.message : String(e);
        replace(msg, note('error', text));
        pass.value = '';
        pass.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  replace(main, h('div', { class: 'login-wrap' }, form));
  user.focus();
};

/**
 * The password change required after an administrator's reset (or when the password in use is below today's
 * rules: 12 characters at least, not a common one). Until it is done the dock answers nothing else.
 */
export const renderPasswordChange: Page = async ({ main, me }) => {
  const msg = h('div', { class: 'msg' });
  const current = h('input', { id: 'current', name: 'current', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { id: 'new', name: 'new', type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const again = h('input', { id: 'again', name: 'again', type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const submit = h('button', { type: 'submit' }, 'Change password');
  const form = h(
    'form',
    { class: 'login card' },
    h('h1', {}, 'Password change required'),
    h('p', { class: 'muted' }, `${me.username}: choose a new password of at least 12 characters that is not a common one.`),
    h('label', { for: 'current' }, 'Current (or temporary) password'),
    current,
    h('label', { for: 'new' }, 'New password'),
    next,
    h('label', { for: 'again' }, 'New password again'),
    again,
    submit,
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    replace(msg);
    if (next.value !== again.value) {
      replace(msg, note('error', 'The two new passwords differ.'));
      return;
    }
    submit.disabled = true;
    api
      .post<Me>('/api/me/password', { current: current.value, new: next.value })
      .then((m) => loggedIn(m))
      .catch((e: unknown) => {
        const text = e instanceof ApiError && e.status === 429 ? `Too many failed attempts. ${e.message}` : e instanceof Error ? e.message : String(e);
        replace(msg, note('error', text));
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  replace(main, h('div', { class: 'login-wrap' }, form));
  current.focus();
};
