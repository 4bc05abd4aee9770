/** Small building blocks the pages share: labelled fields, tables, the officer picker with search. */
import type { Officer } from './api.js';
import { type Child, h } from './dom.js';
import { t } from './i18n/index.js';

let seq = 0;
/** A unique id for an input a label points at. */
export const uid = (prefix: string) => `${prefix}-${++seq}`;

/** A label and its input (the input's id is set when it has none), with an optional hint under it. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  if (!input.id) input.id = uid('f');
  const hintEl = hint ? h('p', { class: 'muted small', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

/** A table with a header row, scrolled sideways on a small screen. */
export function table(id: string, headers: string[], rows: HTMLTableRowElement[], empty?: string): HTMLElement {
  if (rows.length === 0 && empty) return h('p', { class: 'muted', id }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'list', id }, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)),
  );
}

export const td = (...c: Array<Child | Child[]>) => h('td', {}, ...c);

/**
 * The officer picker (issue 18: a list of hundreds with no search): a search box that narrows the list by
 * name, number or unit as one types, and the list of matches to choose from.
 */
export function officerPicker(id: string, officers: Iterable<Officer>, opts: { any?: string; selected?: string; required?: boolean } = {}): { el: HTMLElement; select: HTMLSelectElement } {
  const all = [...officers].sort((a, b) => a.officerNo.localeCompare(b.officerNo));
  const search = h('input', { type: 'search', id: `${id}-search`, placeholder: t('common.searchPlaceholder'), autocomplete: 'off', 'aria-label': t('common.searchPlaceholder') });
  const select = h('select', { id, required: opts.required ?? false });
  const text = (o: Officer) => `${t('common.nameNo', { name: o.name, no: o.officerNo })} · ${o.unitName}`;
  const fill = () => {
    const q = search.value.trim().toLowerCase();
    const keep = select.value || opts.selected || '';
    const shown = q ? all.filter((o) => `${o.officerNo} ${o.name} ${o.unitName} ${o.unitNo}`.toLowerCase().includes(q)) : all;
    select.replaceChildren(
      h('option', { value: '' }, opts.any ?? t('device.chooseOfficer')),
      ...shown.slice(0, 300).map((o) => h('option', { value: o.officerNo, selected: o.officerNo === keep }, text(o))),
    );
    // One match: choose it, so typing a number is enough.
    if (q && shown.length === 1) select.value = shown[0]!.officerNo;
  };
  search.addEventListener('input', fill);
  fill();
  return { el: h('div', { class: 'picker' }, search, select), select };
}

/** A date input's value as the API's local time (the dock's zone, no offset). */
export const localDateTime = (v: string) => (v.length === 16 ? `${v}:00` : v);
