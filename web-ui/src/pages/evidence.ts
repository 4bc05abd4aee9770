import { api, ApiError, errorWords, qs, session, type List, type Me, type Recording, type Role } from '../api.js';
import { append, facts, h, note, replace } from '../dom.js';
import { bytes, dayBound, time } from '../format.js';
import { label, t } from '../i18n/index.js';
import { roleLabel } from '../labels.js';
import type { Page } from '../main.js';

/** The access register (查阅登记簿), cases and the chain of custody (issue 15). */

type Kind = 'view' | 'copy' | 'agency' | 'party';
interface AccessRequest {
  id: number;
  kind: Kind;
  purpose: string;
  recordingIds: number[];
  filedBy: string;
  filedByRole: string;
  filedAt: string;
  requester: string | null;
  authority: string | null;
  otherRegion: boolean;
  letterRef: string | null;
  idDocument: string | null;
  lawyer: boolean;
  powerOfAttorney: string | null;
  lawyerLicence: string | null;
  state: 'pending' | 'approved' | 'denied';
  status: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  documentsChecked: boolean;
  expiresAt: string | null;
}
interface Entry {
  id: number;
  at: string;
  username: string;
  role: Role;
  recordingId: number;
  kind: string;
  ground: string;
  requestId: number | null;
  requests: number;
}
interface Target {
  kind: 'person' | 'company';
  name: string;
  idNo: string | null;
}
interface Matter {
  id: string;
  category: string;
  matter: string;
  stage: string;
  storage: string;
  keepWithCase: boolean;
}
interface CaseRecord {
  id: number;
  caseNo: string;
  name: string;
  matterId: string;
  category: string;
  matter: string;
  keepWithCase: boolean;
  target: Target | null;
  createdBy: string;
  createdAt: string;
}
interface Note {
  contentNote: string | null;
  speakers: string | null;
  gist: string | null;
  target: Target | null;
}
type EvidenceRecording = Recording & { evidenceNo: string | null; confidential: string | null };
interface CaseDetail {
  case: CaseRecord;
  recordings: Array<{ recording: EvidenceRecording; note: Note | null }>;
  hidden: number;
  documents: Array<{ id: number; name: string; mediaType: string; size: number; sha256: string; addedBy: string; addedAt: string; url: string }>;
  holds: Array<{ id: number; reason: string; caseRef: string; active: boolean; placedBy: string; placedAt: string }>;
}
interface CustodyEvent {
  at: string;
  event: string;
  actor: string | null;
  text: string;
  textZh: string;
}
interface Custody {
  generatedAt: string;
  recording: { id: number; evidenceNo: string | null; name: string; serial: string; officerNo: string | null; sha256: string; manifestSessionId: string | null; confidential: string | null; purged: boolean };
  events: CustodyEvent[];
}

export const KIND_LABEL: Record<Kind, () => string> = {
  view: () => t('ev.kind.view'),
  copy: () => t('ev.kind.copy'),
  agency: () => t('ev.kind.agency'),
  party: () => t('ev.kind.party'),
};
const KIND_HELP: Record<Kind, () => string> = {
  view: () => t('ev.help.view'),
  copy: () => t('ev.help.copy'),
  agency: () => t('ev.help.agency'),
  party: () => t('ev.help.party'),
};
const STATUS_LABEL = (s: string) => label('ev.status', s);
const CLASSES = ['state_secret', 'commercial_secret', 'privacy'];
export const confidentialLabel = (c: string | null | undefined) => label('ev.class', c);

/** Who decides which kind (CONTRACT "Who may do what"); the dock checks it again. */
export function mayDecide(me: Me, r: AccessRequest): boolean {
  if (r.state !== 'pending' || r.filedBy === me.username) return false;
  if (r.kind === 'view' || r.kind === 'party') return me.role === 'supervisor';
  if (r.kind === 'copy') return me.role === 'legal';
  return r.otherRegion ? me.role === 'supervisor' : me.role === 'supervisor' || me.role === 'equipment_manager';
}
const readsRegister = (role: Role) => ['equipment_manager', 'supervisor', 'legal', 'auditor'].includes(role);
export const editsCatalogue = (role: Role) => ['officer', 'supervisor', 'legal'].includes(role);
const field = (label: string, input: HTMLElement, hint?: string) => h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint ? h('p', { class: 'muted small' }, hint) : null);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const recLink = (id: number) => h('a', { href: `#/recordings/${id}` }, `#${id}`);

/** `#/requests`: file a request, and the requests this user may read, with approve and deny where the user decides. */
export const renderRequests: Page = async ({ main, query, me }) => {
  const ids = h('input', { id: 'rq-recordings', name: 'recordingIds', required: true, value: query.get('recording') ?? '', placeholder: t('ev.egIds'), pattern: '\\s*\\d+(\\s*,\\s*\\d+)*\\s*' });
  const kind = h('select', { id: 'rq-kind', name: 'kind' }, (Object.keys(KIND_LABEL) as Kind[]).map((k) => h('option', { value: k, selected: query.get('kind') === k }, KIND_LABEL[k]())));
  const help = h('p', { class: 'muted small', id: 'rq-help' });
  const purpose = h('textarea', { id: 'rq-purpose', name: 'purpose', required: true, rows: 2, maxlength: 1000, placeholder: t('ev.purposePh') });
  const text = (id: string, ph: string) => h('input', { id, name: id, maxlength: 200, placeholder: ph });
  const requester = text('rq-requester', t('ev.requesterPh'));
  const authority = text('rq-authority', t('ev.authorityPh'));
  const letterRef = text('rq-letter', t('ev.letterPh'));
  const idDocument = text('rq-id', t('ev.idPh'));
  const otherRegion = h('input', { type: 'checkbox', id: 'rq-other-region' });
  const lawyer = h('input', { type: 'checkbox', id: 'rq-lawyer' });
  const poa = text('rq-poa', t('ev.poaPh'));
  const licence = text('rq-licence', t('ev.licencePh'));
  const agencyOnly = h('label', { class: 'check' }, otherRegion, ' ', t('ev.otherRegion'));
  const lawyerBox = h('div', {}, h('label', { class: 'check' }, lawyer, ' ', t('ev.byLawyer')), h('div', { class: 'outside-grid' }, field(t('ev.poa'), poa), field(t('ev.licence'), licence)));
  const outside = h(
    'fieldset',
    { class: 'outside', id: 'rq-outside' },
    h('legend', {}, t('ev.papers')),
    h('div', { class: 'outside-grid' }, field(t('ev.requester'), requester), field(t('ev.authority'), authority), field(t('ev.letter'), letterRef), field(t('ev.idDoc'), idDocument)),
    agencyOnly,
    lawyerBox,
  );
  const sync = () => {
    const k = kind.value as Kind;
    help.textContent = KIND_HELP[k]();
    outside.hidden = k !== 'agency' && k !== 'party';
    agencyOnly.hidden = k !== 'agency';
    lawyerBox.hidden = k !== 'party';
    for (const el of [requester, letterRef, idDocument]) el.required = !outside.hidden;
    authority.required = k === 'agency' || (k === 'party' && lawyer.checked);
    poa.required = licence.required = k === 'party' && lawyer.checked;
  };
  kind.addEventListener('change', sync);
  lawyer.addEventListener('change', sync);
  sync();
  const msg = h('div', { class: 'msg', id: 'rq-msg' });
  const form = h(
    'form',
    { class: 'card', id: 'request-form' },
    h('h2', {}, t('ev.askTitle')),
    h('div', { class: 'filters' }, field(t('ev.recordingNos'), ids), field(t('ev.kind'), kind)),
    help,
    field(t('ev.purpose'), purpose),
    outside,
    h('p', { class: 'muted small' }, t('ev.noFee')),
    h('button', { type: 'submit', id: 'rq-send' }, t('ev.file')),
    msg,
  );
  const list = h('div', { id: 'requests' });
  replace(main, h('h1', {}, t('ev.requestsTitle')), form, h('h2', {}, readsRegister(me.role) ? t('ev.allRequests') : t('ev.myRequests')), list);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const k = kind.value as Kind;
    const val = (el: HTMLInputElement) => el.value.trim() || undefined;
    const body: Record<string, unknown> = { recordingIds: ids.value.split(',').map((s) => Number(s.trim())).filter((n) => n > 0), kind: k, purpose: purpose.value };
    if (k === 'agency' || k === 'party') Object.assign(body, { requester: val(requester), authority: val(authority), letterRef: val(letterRef), idDocument: val(idDocument) });
    if (k === 'agency' && otherRegion.checked) body.otherRegion = true;
    if (k === 'party' && lawyer.checked) Object.assign(body, { lawyer: true, powerOfAttorney: val(poa), lawyerLicence: val(licence) });
    api
      .post<AccessRequest>('/api/access-requests', body)
      .then((r) => {
        replace(msg, note('ok', t(k === 'copy' ? 'ev.filedLegal' : k === 'agency' ? 'ev.filedKeeper' : 'ev.filedHead', { id: r.id })));
        purpose.value = '';
        return draw();
      })
      .catch((e: unknown) => replace(msg, note('error', errorText(e))));
  });

  const decision = (r: AccessRequest): HTMLElement | null => {
    if (!mayDecide(me, r)) return null;
    const outsideKind = r.kind === 'agency' || r.kind === 'party';
    const checked = h('input', { type: 'checkbox', id: `checked-${r.id}` });
    const reason = h('input', { id: `reason-${r.id}`, placeholder: t('ev.denyReason'), maxlength: 1000 });
    const out = h('div', { class: 'msg' });
    const act = (path: string, body: unknown) =>
      api
        .post(`/api/access-requests/${r.id}/${path}`, body)
        .then(() => draw())
        .catch((e: unknown) => replace(out, note('error', errorText(e))));
    return h(
      'div',
      { class: 'decide' },
      outsideKind ? h('label', { class: 'check' }, checked, ' ', r.lawyer ? t('ev.checkedLawyer') : t('ev.checkedPapers')) : null,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'approve', onclick: () => void act('approve', outsideKind ? { documentsChecked: checked.checked } : {}) }, t('findings.approve')), reason, h('button', { type: 'button', class: 'secondary deny', onclick: () => void act('deny', { reason: reason.value }) }, t('ev.deny'))),
      out,
    );
  };
  const usable = (r: AccessRequest) =>
    r.status === 'approved' && r.filedBy === me.username
      ? h(
          'p',
          { class: 'small' },
          ...r.recordingIds.flatMap((id) => [h('a', { href: `#/recordings/${id}`, class: 'button secondary' }, t('ev.watch', { id })), ' ', r.kind === 'copy' || r.kind === 'agency' ? h('a', { href: `/api/recordings/${id}/export`, class: 'button secondary', download: '' }, t('ev.downloadCopy', { id })) : null, ' ']),
        )
      : null;
  const draw = async () => {
    const rows = (await api.get<List<AccessRequest>>('/api/access-requests?limit=200')).items;
    if (rows.length === 0) return replace(list, h('div', { class: 'empty card' }, h('p', {}, t('ev.noRequest'))));
    replace(
      list,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'list requests' },
          h('thead', {}, h('tr', {}, h('th', {}, t('holds.col.no')), h('th', {}, t('ev.kind')), h('th', {}, t('holds.col.recordings')), h('th', {}, t('ev.purposePapers')), h('th', {}, t('ev.filed')), h('th', {}, t('common.state')))),
          h(
            'tbody',
            {},
            rows.map((r) =>
              h(
                'tr',
                { 'data-id': r.id, class: `rq-${r.status}` },
                h('td', {}, String(r.id)),
                h('td', {}, KIND_LABEL[r.kind]()),
                h('td', {}, r.recordingIds.flatMap((id, i) => [i ? ', ' : '', recLink(id)])),
                h(
                  'td',
                  {},
                  h('span', { lang: 'zh' }, r.purpose),
                  r.requester || r.authority ? h('p', { class: 'muted small' }, [r.requester, r.authority, r.letterRef, r.idDocument, r.lawyer ? t('ev.lawyerPapers', { poa: r.powerOfAttorney ?? '', licence: r.lawyerLicence ?? '' }) : null, r.otherRegion ? t('ev.anotherRegion') : null].filter(Boolean).join(' · ')) : null,
                ),
                h('td', {}, r.filedBy, h('br', {}), h('span', { class: 'muted small' }, `${roleLabel(r.filedByRole)} · ${time(r.filedAt)}`)),
                h(
                  'td',
                  {},
                  h('span', { class: `chip ${r.status === 'approved' ? 'ok' : r.status === 'pending' ? 'busy' : 'warn'}` }, STATUS_LABEL(r.status)),
                  r.decidedBy ? h('p', { class: 'muted small' }, t('common.by', { who: r.decidedBy }), ' ', time(r.decidedAt), r.expiresAt ? [' · ', t('ev.until', { t: time(r.expiresAt) })] : null, r.decisionReason ? ` · ${r.decisionReason}` : null) : null,
                  decision(r),
                  usable(r),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  await draw();
};

/** `#/register`: the access register, filtered and paged, with its CSV. */
export const renderRegister: Page = async ({ main, query }) => {
  const v = (k: string) => query.get(k) ?? '';
  const recording = h('input', { id: 'reg-recording', inputmode: 'numeric', value: v('recording'), pattern: '\\d*' });
  const username = h('input', { id: 'reg-username', value: v('username') });
  const kind = h('select', { id: 'reg-kind' }, h('option', { value: '' }, t('common.any')), ['view', 'thumbnail', 'copy', 'export', 'archive'].map((k) => h('option', { value: k, selected: v('kind') === k }, label('ev.rkind', k))));
  const from = h('input', { type: 'date', id: 'reg-from', value: v('from') });
  const to = h('input', { type: 'date', id: 'reg-to', value: v('to') });
  const form = h(
    'form',
    { class: 'filters card' },
    field(t('findings.recording'), recording),
    field(t('field.username'), username),
    field(t('ev.kind'), kind),
    field(t('common.from'), from),
    field(t('common.to'), to),
    h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('common.search'))),
  );
  const params = () => ({ recording: v('recording') || undefined, username: v('username') || undefined, kind: v('kind') || undefined, from: dayBound(v('from'), false), to: dayBound(v('to'), true) });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/register${qs({ recording: recording.value, username: username.value, kind: kind.value, from: from.value, to: to.value })}`;
  });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('common.more'));
  let cursor: string | null = null;
  const load = async () => {
    const list = await api.get<List<Entry>>(`/api/access-register${qs({ ...params(), limit: 50, cursor: cursor ?? undefined })}`);
    cursor = list.next;
    more.hidden = cursor === null;
    for (const e of list.items) {
      append(body, h('tr', {}, h('td', {}, time(e.at)), h('td', {}, e.username, h('br', {}), h('span', { class: 'muted small' }, roleLabel(e.role))), h('td', {}, recLink(e.recordingId)), h('td', {}, label('ev.rkind', e.kind)), h('td', {}, e.requestId !== null ? h('a', { href: '#/requests' }, t('ev.requestNo', { id: e.requestId })) : label('ev.ground', e.ground)), h('td', {}, String(e.requests))));
    }
    if (body.childElementCount === 0) append(body, h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('ev.nothingRegistered'))));
  };
  more.addEventListener('click', () => void load());
  replace(
    main,
    h('h1', {}, t('ev.registerTitle')),
    h('p', { class: 'muted' }, t('ev.registerIntro')),
    form,
    h('p', {}, h('a', { class: 'button secondary', id: 'register-csv', href: `/api/access-register${qs({ ...params(), format: 'csv' })}`, download: '' }, t('ev.csv'))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'register' }, h('thead', {}, h('tr', {}, h('th', {}, t('common.when')), h('th', {}, t('common.who')), h('th', {}, t('findings.recording')), h('th', {}, t('common.what')), h('th', {}, t('ev.ground')), h('th', {}, t('ev.requests')))), body)),
    h('p', {}, more),
  );
  await load();
};

const targetText = (x: Target | null) => (x ? `${x.name}${x.idNo ? `（${x.idNo}）` : ''} · ${x.kind === 'company' ? t('ev.company') : t('ev.person')}` : '');

/** `#/cases`: find a case or activity by number, name or target; open one under a matter of the catalogue. */
export const renderCases: Page = async ({ main, query, me }) => {
  const q = h('input', { id: 'case-q', value: query.get('q') ?? '', placeholder: t('ev.casePh') });
  const search = h('form', { class: 'filters card' }, field(t('off.filter'), q), h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('common.search'))));
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/cases${qs({ q: q.value.trim() })}`;
  });
  const list = h('div', { id: 'cases' });
  const parts: HTMLElement[] = [h('h1', {}, t('ev.casesTitle')), search, list];
  if (editsCatalogue(me.role)) parts.push(await newCaseForm());
  replace(main, ...parts);
  const rows = (await api.get<List<CaseRecord>>(`/api/cases${qs({ q: query.get('q') ?? undefined, limit: 100 })}`)).items;
  if (rows.length === 0) return replace(list, h('div', { class: 'empty card' }, h('p', {}, t('ev.noCase'))));
  replace(
    list,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', {}, t('holds.col.case')), h('th', {}, t('ev.matter')), h('th', {}, t('ev.target')), h('th', {}, t('ev.opened')))),
        h('tbody', {}, rows.map((c) => h('tr', {}, h('td', {}, h('a', { href: `#/cases/${c.id}` }, c.caseNo), h('br', {}), h('span', { lang: 'zh' }, c.name)), h('td', { lang: 'zh' }, `${c.category} · ${c.matter}`), h('td', { lang: 'zh' }, targetText(c.target)), h('td', {}, c.createdBy, h('br', {}), h('span', { class: 'muted small' }, time(c.createdAt)))))),
      ),
    ),
  );
};

async function newCaseForm(): Promise<HTMLElement> {
  const matters = await api.get<Matter[]>('/api/matters');
  const caseNo = h('input', { id: 'case-no', required: true, maxlength: 64, placeholder: t('ev.caseNoPh') });
  const name = h('input', { id: 'case-name', required: true, maxlength: 200 });
  const matter = h('select', { id: 'case-matter' }, matters.map((m) => h('option', { value: m.id }, `${m.category} · ${m.matter} · ${m.stage}${m.keepWithCase ? ' · 随案卷保存' : ''}`)));
  const tKind = h('select', { id: 'case-target-kind' }, h('option', { value: '' }, t('ev.noTarget')), h('option', { value: 'person' }, t('ev.person')), h('option', { value: 'company' }, t('ev.company')));
  const tName = h('input', { id: 'case-target-name', maxlength: 200 });
  const tId = h('input', { id: 'case-target-id', maxlength: 64, pattern: '[0-9A-Za-z-]*', placeholder: t('ev.idNoPh') });
  const msg = h('div', { class: 'msg' });
  const form = h(
    'form',
    { class: 'card', id: 'case-form' },
    h('h2', {}, t('ev.openCase')),
    h('div', { class: 'filters' }, field(t('field.caseNo'), caseNo), field(t('field.name'), name), field(t('ev.matterList'), matter)),
    h('div', { class: 'filters' }, field(t('ev.target'), tKind), field(t('ev.targetName'), tName), field(t('ev.targetId'), tId)),
    h('p', { class: 'muted small' }, t('ev.keepWithCase')),
    h('button', { type: 'submit' }, t('ev.openCaseBtn')),
    msg,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const target = tKind.value ? { kind: tKind.value, name: tName.value.trim(), idNo: tId.value.trim() || null } : null;
    api
      .post<CaseRecord>('/api/cases', { caseNo: caseNo.value.trim(), name: name.value.trim(), matterId: matter.value, target })
      .then((c) => {
        location.hash = `#/cases/${c.id}`;
      })
      .catch((e: unknown) => replace(msg, note('error', errorText(e))));
  });
  return form;
}

/** Raw upload of a case document (the API helper sends JSON only). */
async function upload(url: string, file: File): Promise<void> {
  const me = session.get();
  const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': file.type || 'application/octet-stream', 'x-csrf-token': me?.csrfToken ?? '' }, body: file });
  if (!res.ok) throw new ApiError(res.status, (await res.json().catch(() => ({}))) as { error?: string });
}

/** `#/cases/:id`: the text and audio-video records about one case or target together (000 (二)8). */
export const renderCase: Page = async ({ main, params, me }) => {
  const id = Number(params[0]);
  const d = await api.get<CaseDetail>(`/api/cases/${id}`);
  const c = d.case;
  const edit = editsCatalogue(me.role);
  const recs = d.recordings.map(({ recording: r, note: n }) =>
    h(
      'tr',
      { 'data-id': r.id },
      h('td', {}, h('a', { href: `#/recordings/${r.id}` }, r.evidenceNo ?? `#${r.id}`), r.confidential ? h('span', { class: 'chip warn' }, t('ev.confidentialChip')) : null, r.hold ? h('span', { class: 'chip' }, t('rec.onHold')) : null),
      h('td', {}, time(r.correctedStart ?? r.recordedStart)),
      h('td', {}, r.officerNo ?? ''),
      h('td', { lang: 'zh' }, n ? [n.contentNote, n.speakers ? h('p', { class: 'muted small' }, t('ev.speakers', { s: n.speakers })) : null, n.gist ? h('p', { class: 'muted small' }, t('ev.gist', { s: n.gist })) : null] : h('span', { class: 'muted' }, t('ev.noNote'))),
    ),
  );
  const docs = d.documents.map((x) => h('li', {}, h('a', { href: x.url, download: '' }, x.name), h('span', { class: 'muted small' }, ' · ', bytes(x.size), ` · ${x.addedBy} · `, time(x.addedAt))));
  const msg = h('div', { class: 'msg' });
  const linkIds = h('input', { id: 'link-ids', placeholder: t('ev.egIds') });
  const fileInput = h('input', { type: 'file', id: 'doc-file', accept: 'application/pdf,image/jpeg,image/png' });
  const editing = edit
    ? h(
        'div',
        { class: 'card' },
        h('h2', {}, t('ev.addToCase')),
        h(
          'form',
          { id: 'link-form', class: 'filters' },
          field(t('ev.link'), linkIds),
          h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('ev.linkBtn'))),
        ),
        h('form', { id: 'doc-form', class: 'filters' }, field(t('ev.attach'), fileInput), h('div', { class: 'field submit' }, h('button', { type: 'submit' }, t('ev.attachBtn')))),
        msg,
      )
    : null;
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/cases' }, t('ev.backCases'))),
    h('h1', { lang: 'zh' }, `${c.caseNo} ${c.name}`),
    facts([
      [t('ev.matter'), h('span', {}, `${c.category} · ${c.matter}`)],
      [t('ev.storage'), c.keepWithCase ? t('ev.storageCase') : t('ev.storagePeriod')],
      [t('ev.target'), targetText(c.target) || null],
      [t('ev.opened'), t('findings.byAt', { who: c.createdBy, at: time(c.createdAt) })],
    ]),
    h('h2', {}, t('ev.avRecords')),
    recs.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'case-recordings' }, h('thead', {}, h('tr', {}, h('th', {}, t('ev.evidenceNo')), h('th', {}, t('retention.col.start')), h('th', {}, t('common.officer')), h('th', {}, t('ev.shows')))), h('tbody', {}, recs)))
      : h('p', { class: 'muted' }, t('ev.noLinked')),
    d.hidden > 0 ? note('info', t('ev.hidden', { n: d.hidden })) : null,
    h('h2', {}, t('ev.textRecords')),
    docs.length ? h('ul', { id: 'case-documents' }, docs) : h('p', { class: 'muted' }, t('ev.noDoc')),
    d.holds.length ? h('h2', {}, t('holds.title')) : null,
    d.holds.length ? h('ul', {}, d.holds.map((x) => h('li', {}, t('ev.holdLine', { id: x.id, reason: label('hreason', x.reason), state: x.active ? t('holds.active') : t('holds.released'), who: x.placedBy, at: time(x.placedAt) })))) : null,
    editing,
  );
  if (!edit) return;
  document.getElementById('link-form')!.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ids = linkIds.value.split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
    api
      .post<{ linked: number[]; holdId: number | null }>(`/api/cases/${id}/recordings`, { recordingIds: ids })
      .then(() => renderCase({ main, params, me, query: new URLSearchParams() }))
      .catch((e: unknown) => replace(msg, note('error', errorText(e))));
  });
  document.getElementById('doc-form')!.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = fileInput.files?.[0];
    if (!f) return replace(msg, note('warn', t('off.chooseFile')));
    upload(`/api/cases/${id}/documents${qs({ name: f.name })}`, f)
      .then(() => renderCase({ main, params, me, query: new URLSearchParams() }))
      .catch((e: unknown) => replace(msg, note('error', errorText(e))));
  });
};

/** `#/recordings/:id/custody`: every event from capture to now, and the printable PDF. */
export const renderCustody: Page = async ({ main, params }) => {
  const id = Number(params[0]);
  const r = await api.get<Custody>(`/api/recordings/${id}/custody`);
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: `#/recordings/${id}` }, t('ev.backRecording'))),
    h('h1', {}, t('ev.custody')),
    facts([
      [t('ev.evidenceNo'), r.recording.evidenceNo],
      [t('tomb.col.file'), r.recording.name],
      [t('common.recorder'), r.recording.serial],
      [t('rec.sha'), h('code', { class: 'hash' }, r.recording.sha256)],
      [t('ev.signedIn'), r.recording.manifestSessionId ?? t('ev.notSigned')],
      [t('ev.confidential'), confidentialLabel(r.recording.confidential) || null],
      [t('ev.reportMade'), time(r.generatedAt)],
    ]),
    h('p', {}, h('a', { class: 'button', id: 'custody-pdf', href: `/api/recordings/${id}/custody?format=pdf`, target: '_blank', rel: 'noopener' }, t('ev.pdf'))),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list', id: 'custody' },
        h('thead', {}, h('tr', {}, h('th', {}, t('common.when')), h('th', {}, t('ev.event')), h('th', {}, t('common.who')), h('th', {}, t('common.details')))),
        h('tbody', {}, r.events.map((e) => h('tr', {}, h('td', {}, time(e.at)), h('td', {}, label('ev.event', e.event)), h('td', {}, e.actor ?? ''), h('td', { class: 'detail', lang: 'zh' }, e.textZh)))),
      ),
    ),
  );
};

/** The player page's evidence part: number, confidentiality, and the ways on (request, custody, marking). */
export function evidenceBox(me: Me, r: Recording & { evidenceNo?: string | null; confidential?: string | null }, onChange: () => void): HTMLElement {
  const links: HTMLElement[] = [h('a', { class: 'button secondary', href: `#/requests?recording=${r.id}`, id: 'ask-access' }, t('ev.askAccess'))];
  if (readsRegister(me.role)) links.push(h('a', { class: 'button secondary', href: `#/recordings/${r.id}/custody`, id: 'custody-link' }, t('ev.custody')));
  const box = h(
    'div',
    { class: 'card evidence' },
    h('p', { id: 'evidence-no' }, t('ev.evidenceNo'), ' ', h('strong', {}, r.evidenceNo ?? t('common.dash'))),
    r.confidential ? note('warn', t('ev.confidentialNote', { c: confidentialLabel(r.confidential) })) : null,
    h('p', { class: 'actions' }, links),
  );
  if (me.role === 'supervisor' || me.role === 'legal') {
    const msg = h('div', { class: 'msg' });
    if (r.confidential) {
      append(
        box,
        h('button', {
          type: 'button',
          class: 'secondary',
          id: 'unmark',
          onclick: () =>
            void fetch(`/api/recordings/${r.id}/confidential`, { method: 'DELETE', credentials: 'same-origin', headers: { 'x-csrf-token': session.get()?.csrfToken ?? '' } })
              .then((res) => (res.ok ? onChange() : replace(msg, note('error', errorWords(res.status, {})))))
              .catch((e: unknown) => replace(msg, note('error', errorText(e)))),
        }, t('ev.unmark')),
        msg,
      );
    } else {
      const cls = h('select', { id: 'conf-class' }, CLASSES.map((k) => h('option', { value: k }, confidentialLabel(k))));
      const reason = h('input', { id: 'conf-reason', required: true, maxlength: 1000, placeholder: t('ev.whyMark') });
      const form = h('form', { class: 'filters', id: 'conf-form' }, field(t('ev.mark'), cls), field(t('common.reason'), reason), h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'secondary' }, t('ev.markBtn'))));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        api
          .post(`/api/recordings/${r.id}/confidential`, { class: cls.value, reason: reason.value })
          .then(() => onChange())
          .catch((e: unknown) => replace(msg, note('error', errorText(e))));
      });
      append(box, form, msg);
    }
  }
  return box;
}

/** Whether this user holds an approved, unexpired request naming the recording (equipment managers and auditors play with one). */
export async function hasApprovedRequest(id: number): Promise<boolean> {
  const me = session.get();
  if (!me || me.role === 'admin') return false;
  const mine = await api.get<List<AccessRequest>>(`/api/access-requests${qs({ mine: 'true', state: 'approved', recording: id, limit: 10 })}`);
  return mine.items.some((r) => r.status === 'approved');
}
