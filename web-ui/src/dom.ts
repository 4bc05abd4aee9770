/** A small element builder: text always goes in as text (never HTML), so names and notes cannot inject markup. */
export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Array<Child | Child[]>): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function replace(el: Element, ...children: Array<Child | Child[]>): void {
  el.replaceChildren();
  append(el, ...children);
}

/** A definition list of label/value pairs, skipping empty values. */
export function facts(pairs: Array<[string, Child | Child[]]>, cls = 'facts'): HTMLDListElement {
  const dl = h('dl', { class: cls });
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    append(dl, h('dt', {}, k), h('dd', {}, ...[v].flat()));
  }
  return dl;
}

/** A message line: `kind` is `info`, `ok`, `warn` or `error`. */
export function note(kind: 'info' | 'ok' | 'warn' | 'error', ...text: Child[]): HTMLParagraphElement {
  return h('p', { class: `note ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}
