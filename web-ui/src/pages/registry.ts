import { api, ApiError, errorText, may, qs, session, type List, type Officer } from '../api.js';
import { h, note, replace } from '../dom.js';
import { time } from '../format.js';
import { t } from '../i18n/index.js';
import type { Page } from '../main.js';
import { forgetOfficers, officerLabel, officers } from '../names.js';
import { field, localDateTime, officerPicker, table, td } from '../ui.js';
import { csvText } from '../csv.js';

interface Activity {
  id: number;
  officerNo: string;
  start: string;
  end: string;
  caseRef: string | null;
  title: string;
  createdBy: string;
  createdAt: string;
}
interface Preview {
  officers: Officer[];
  problems: Array<{ line: number; field: string | null; message: string }>;
  created: number;
  updated: number;
}

const ok = (id: string, message: string) => {
  const m = document.getElementById(id);
  if (m) replace(m, note('ok', message));
};

/** `#/activities`: declare an enforcement activity (checked for footage over its time) and see the declared ones. */
export const renderActivities: Page = async (ctx) => {
  const { main, me } = ctx;
  const own = me.rights['activities.write'] === 'own';
  const names = await officers(may(me, 'registry.read'));
  const list = await api.get<List<Activity>>(`/api/activities${qs({ limit: 100, officer: own ? me.username : undefined })}`);
  const msg = h('div', { class: 'msg', id: 'act-msg', 'aria-live': 'polite' });
  let form: HTMLElement | null = null;
  if (may(me, 'activities.write')) {
    const picker = own ? null : officerPicker('act-officer', names.values(), { required: true });
    const start = h('input', { type: 'datetime-local', id: 'act-start', required: true });
    const end = h('input', { type: 'datetime-local', id: 'act-end', required: true });
    const caseRef = h('input', { id: 'act-case', maxlength: 64 });
    const title = h('input', { id: 'act-title', required: true, maxlength: 200 });
    const f = h(
      'form',
      { class: 'card', id: 'activity-form' },
      h('h2', {}, t('act.declare')),
      h(
        'div',
        { class: 'filters' },
        picker ? h('div', { class: 'field' }, h('label', { for: 'act-officer' }, t('act.officer')), picker.el) : null,
        field(t('act.name'), title),
        field(t('act.start'), start),
        field(t('act.end'), end),
        field(t('act.caseRef'), caseRef),
      ),
      h('button', { type: 'submit' }, t('act.submit')),
    );
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      api
        .post<{ gapsRaised: number }>('/api/activities', {
          officerNo: picker ? picker.select.value : me.username,
          start: localDateTime(start.value),
          end: localDateTime(end.value),
          caseRef: caseRef.value.trim() || null,
          title: title.value.trim(),
        })
        .then((r) => renderActivities(ctx).then(() => ok('act-msg', t('act.done', { n: r.gapsRaised }))))
        .catch((e: unknown) => replace(msg, note('error', errorText(e))));
    });
    form = f;
  }
  replace(
    main,
    h('h1', {}, t('act.title')),
    h('p', { class: 'muted' }, t('act.intro')),
    msg,
    form,
    table(
      'activities',
      [t('act.col.when'), t('act.col.what'), t('common.officer'), t('act.col.by')],
      list.items.map((a) => h('tr', { 'data-id': a.id }, td(time(a.start), ' – ', time(a.end)), td(a.title, a.caseRef ? h('small', { class: 'muted' }, ` · ${a.caseRef}`) : null), td(officerLabel(a.officerNo, names)), td(a.createdBy, h('br'), h('small', { class: 'muted' }, time(a.createdAt))))),
      t('act.empty'),
    ),
  );
};

/** Send a file as text/csv (GBK or UTF-8: the dock decodes it). */
async function postCsv<T>(url: string, file: File): Promise<T> {
  const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'text/csv', 'x-csrf-token': session.get()?.csrfToken ?? '' }, body: file });
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, data as { error?: string });
  return data;
}

/** `#/officers`: the registry: find, add or change an officer, import a CSV after a preview of its problems. */
export const renderOfficers: Page = async (ctx) => {
  const { main, me } = ctx;
  const list = (await api.get<List<Officer>>('/api/officers?limit=1000')).items;
  const edit = may(me, 'registry.edit');
  const msg = h('div', { class: 'msg', id: 'off-msg', 'aria-live': 'polite' });
  const filter = h('input', { type: 'search', id: 'off-filter', placeholder: t('common.searchPlaceholder') });
  const no = h('input', { id: 'off-no', required: true, pattern: '[0-9]{6}', maxlength: 6, inputmode: 'numeric' });
  const name = h('input', { id: 'off-name', required: true, maxlength: 64 });
  const unitNo = h('input', { id: 'off-unit-no', required: true, maxlength: 32 });
  const unitName = h('input', { id: 'off-unit-name', required: true, maxlength: 64 });
  const fill = (o: Officer) => {
    no.value = o.officerNo;
    name.value = o.name;
    unitNo.value = o.unitNo;
    unitName.value = o.unitName;
    name.focus();
  };
  const rowsOf = (q: string) =>
    list
      .filter((o) => !q || `${o.officerNo} ${o.name} ${o.unitNo} ${o.unitName}`.toLowerCase().includes(q.toLowerCase()))
      .map((o) => h('tr', { 'data-no': o.officerNo }, td(o.officerNo), td(o.name), td(o.unitName, h('small', { class: 'muted' }, ` · ${o.unitNo}`)), td(edit ? h('button', { type: 'button', class: 'secondary', onclick: () => fill(o) }, t('off.edit')) : null)));
  const tableWrap = h('div', {}, table('officers', [t('field.officerNo'), t('field.name'), t('field.unitName'), ''], rowsOf(''), t('off.empty')));
  filter.addEventListener('input', () => replace(tableWrap, table('officers', [t('field.officerNo'), t('field.name'), t('field.unitName'), ''], rowsOf(filter.value.trim()), t('off.empty'))));
  const parts: Array<HTMLElement | null> = [h('h1', {}, t('off.title')), h('p', { class: 'muted' }, t('off.intro')), msg];
  if (edit) {
    const form = h(
      'form',
      { class: 'card', id: 'officer-form' },
      h('h2', {}, t('off.add')),
      h('div', { class: 'filters' }, field(t('field.officerNo'), no), field(t('field.name'), name), field(t('field.unitNo'), unitNo), field(t('field.unitName'), unitName)),
      h('button', { type: 'submit' }, t('off.save')),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = { officerNo: no.value.trim(), name: name.value.trim(), unitNo: unitNo.value.trim(), unitName: unitName.value.trim() };
      api
        .post<Officer>('/api/officers', body)
        .then((o) => {
          forgetOfficers();
          return renderOfficers(ctx).then(() => ok('off-msg', t('off.saved', { name: o.name, no: o.officerNo })));
        })
        .catch((e: unknown) => replace(msg, note('error', errorText(e))));
    });
    const file = h('input', { type: 'file', id: 'off-file', accept: '.csv,text/csv' });
    const preview = h('div', { id: 'off-preview', 'aria-live': 'polite' });
    const check = h('button', { type: 'button', class: 'secondary', id: 'off-check' }, t('off.preview'));
    const doImport = h('button', { type: 'button', id: 'off-import', hidden: true }, t('off.doImport'));
    check.addEventListener('click', () => {
      const f = file.files?.[0];
      if (!f) return replace(preview, note('warn', t('off.chooseFile')));
      doImport.hidden = true;
      postCsv<Preview>('/api/officers/import/preview', f)
        .then((p) => {
          if (p.problems.length > 0) {
            replace(
              preview,
              note('error', t('off.previewBad', { n: p.problems.length })),
              h('ul', { class: 'problems' }, p.problems.map((x) => h('li', {}, t('off.problem', { line: x.line, field: x.field ? fieldWords(x.field) : '', message: x.message })))),
            );
          } else {
            replace(preview, note('ok', t('off.previewOk', { created: p.created, updated: p.updated })));
            doImport.hidden = false;
          }
        })
        .catch((e: unknown) => replace(preview, note('error', errorText(e))));
    });
    doImport.addEventListener('click', () => {
      const f = file.files?.[0];
      if (!f) return;
      doImport.disabled = true;
      postCsv<{ created: number; updated: number }>('/api/officers/import', f)
        .then((r) => {
          forgetOfficers();
          return renderOfficers(ctx).then(() => ok('off-msg', t('off.imported', r)));
        })
        .catch((e: unknown) => replace(preview, note('error', errorText(e))))
        .finally(() => {
          doImport.disabled = false;
        });
    });
    const template = h('a', { class: 'button secondary', id: 'off-template', download: 'officers.csv', href: `data:text/csv;charset=utf-8,${encodeURIComponent(csvText([t('field.officerNo'), t('field.name'), t('field.unitNo'), t('field.unitName')], []))}` }, t('off.template'));
    parts.push(form, h('section', { class: 'card', id: 'officer-import' }, h('h2', {}, t('off.import')), h('p', { class: 'muted small' }, t('off.importHint')), field(t('off.file'), file), h('div', { class: 'actions' }, check, doImport, template), preview));
  }
  parts.push(h('div', { class: 'filters' }, field(t('off.filter'), filter)), tableWrap);
  replace(main, ...parts);
};

const fieldWords = (f: string) => ({ officerNo: t('field.officerNo'), name: t('field.name'), unitNo: t('field.unitNo'), unitName: t('field.unitName') })[f] ?? f;
