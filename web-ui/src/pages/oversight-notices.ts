import { api, may, type Me } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { reminderNote, type Reminder } from './reports.js';
import { unreviewedNote, type UnitReview } from './spot-checks.js';

/**
 * What the home page tells those who oversee (issue 17): last year's report still to export (from 1 January until
 * it is exported), and the units with no footage review this year. Nothing for roles without those rights.
 */
export async function oversightNotices(me: Me): Promise<HTMLElement[]> {
  const out: HTMLElement[] = [];
  const [reminder, units] = await Promise.all([
    may(me, 'yearly-reports') ? api.get<Reminder>('/api/reports/yearly/reminder').catch(() => null) : null,
    may(me, 'spot-checks') ? api.get<UnitReview[]>('/api/spot-checks/units').catch(() => null) : null,
  ]);
  const due = reminder ? reminderNote(reminder) : null;
  if (due) out.push(h('a', { href: '#/reports', class: 'notice-link', id: 'report-reminder' }, due));
  const missing = units ? unreviewedNote(units) : null;
  if (missing) out.push(h('a', { href: '#/spot-checks', class: 'notice-link', id: 'units-unreviewed' }, missing));
  if (out.length) return [h('div', { class: 'oversight-notices', 'aria-label': t('nav.reports') }, out)];
  return out;
}
