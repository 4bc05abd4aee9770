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
