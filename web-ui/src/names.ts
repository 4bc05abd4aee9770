import { api, type List, type Officer } from './api.js';
import { h } from './dom.js';
import { t } from './i18n/index.js';

let cache: Promise<Map<string, Officer>> | null = null;

/** The officer registry, for names beside officer numbers (roles that may not read it get an empty map). */
export function officers(allowed: boolean): Promise<Map<string, Officer>> {
  if (!allowed) return Promise.resolve(new Map());
  cache ??= api
    .get<List<Officer>>('/api/officers?limit=1000')
    .then((l) => new Map(l.items.map((o) => [o.officerNo, o])))
    .catch(() => {
      cache = null;
      return new Map<string, Officer>();
    });
  return cache;
}

/** Forget the registry (after an edit or import). */
export function forgetOfficers(): void {
  cache = null;
}

/** "张三（100001）" when the name is known, else the number. */
export function officerLabel(no: string | null | undefined, names: Map<string, Officer>, fallbackName?: string | null): HTMLElement {
  if (!no) return h('span', { class: 'muted' }, t('common.unknown'));
  const name = names.get(no)?.name ?? fallbackName;
  return name ? h('span', {}, t('common.nameNo', { name, no })) : h('span', {}, no);
}
