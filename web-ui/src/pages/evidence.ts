import { api, ApiError, qs, session, type List, type Me, type Recording, type Role } from '../api.js';
import { append, facts, h, note, replace } from '../dom.js';
import { dayBound, time } from '../format.js';
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

export const KIND_LABEL: Record<Kind, string> = {
  view: 'View (查阅)',
  copy: 'Copy (复制)',
  agency: 'Another authority (外单位调阅)',
  party: 'A party or their lawyer (当事人/律师)',
};
const KIND_HELP: Record<Kind, string> = {
  view: 'Staff who are not the case handler watch footage with the head of the unit’s approval (004 annex 1 §5).',
  copy: 'A verifiable copy leaves the dock only with the legal head’s approval (§4).',
  agency: 'Police, procuratorate, court and other authorities bring a letter and valid ID; the records keeper checks them (§6). From another region the head approves (§8).',
  party: 'A party or their lawyer brings a letter and valid ID; a lawyer also the power of attorney and licence. The head approves (§7).',
};
const STATUS_LABEL: Record<string, string> = { pending: 'Waiting for a decision', approved: 'Approved', denied: 'Denied', expired: 'Expired' };
const CLASS_LABEL: Record<string, string> = { state_secret: 'State secret (国家秘密)', commercial_secret: 'Commercial secret (商业秘密)', privacy: 'Personal privacy (个人隐私)' };
export const confidentialLabel = (c: string | null | undefined) => (c ? (CLASS_LABEL[c] ?? c) : '');
const EVENT_LABEL: Record<string, string> = {
  recorded: 'Recorded 摄录',
  stored: 'Stored 入库',
  signed: 'Signed 签名',
  flagged: 'Flagged 标记',
  catalogued: 'Noted 著录',
  linked: 'Linked 关联',
  confidential: 'Confidential 定密',
  unmarked: 'Unmarked 解密',
  held: 'Held 保全',
  released: 'Released 解除',
  archived: 'Archived 刻盘',
  requested: 'Requested 申请',
  approved: 'Approved 批准',
  denied: 'Denied 驳回',
  view: 'Viewed 查阅',
  thumbnail: 'Still 截图',
  copy: 'Copied 复制',
  export: 'Exported 导出',
  archive: 'Disc image 镜像',
  kept: 'Kept longer 延期',
  purge_decided: 'Purge decided',
  purged: 'Purged 清除',
  refused: 'Refused 拒绝',
};

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
const errorText = (e: unknown) => (e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e));
const recLink = (id: number) => h('a', { href: `#/recordings/${id}` }, `#${id}`);

/** `#/requests`: file a request, and the requests this user may read, with approve and deny where the user decides. */
export const renderRequests: Page = async ({ main, query, me }) => {
  const ids = h('input', { id: 'rq-recordings', name: 'recordingIds', required: true, value: query.get('recording') ?? '', placeholder: 'e.g. 12, 13', pattern: '\\s*\\d+(\\s*,\\s*\\d+)*\\s*' });
  const kind = h('select', { id: 'rq-kind', name: 'kind' }, (Object.keys(KIND_LABEL) as Kind[]).map((k) => h('option', { value: k, selected: query.get('kind') === k }, KIND_LABEL[k])));
  const help = h('p', { class: 'muted small', id: 'rq-help' });
  const purpose = h('textarea', { id: 'rq-purpose', name: 'purpose', required: true, rows: 2, maxlength: 1000, placeholder: 'Why the footage is needed (事由)' });
  const text = (id: string, ph: string) => h('input', { id, name: id, maxlength: 200, placeholder: ph });
  const requester = text('rq-requester', 'Name of the person who comes');
  const authority = text('rq-authority', 'e.g. 舞钢市公安局');
  const letterRef = text('rq-letter', 'Reference of the letter (介绍信)');
  const idDocument = text('rq-id', 'Kind and number of the valid ID');
  const otherRegion = h('input', { type: 'checkbox', id: 'rq-other-region' });
  const lawyer = h('input', { type: 'checkbox', id: 'rq-lawyer' });
  const poa = text('rq-poa', 'Power of attorney (委托书、授权书)');
  const licence = text('rq-licence', 'Lawyer’s licence no. (律师执业证)');
  const agencyOnly = h('label', { class: 'check' }, otherRegion, ' From another region (the head approves, §8)');
  const lawyerBox = h('div', {}, h('label', { class: 'check' }, lawyer, ' Asked by a lawyer'), h('div', { class: 'outside-grid' }, field('Power of attorney', poa), field('Licence', licence)));
  const outside = h(
    'fieldset',
    { class: 'outside', id: 'rq-outside' },
    h('legend', {}, 'Papers brought (checked before approval)'),
    h('div', { class: 'outside-grid' }, field('Requester', requester), field('Authority or party', authority), field('Letter', letterRef), field('ID document', idDocument)),
    agencyOnly,
    lawyerBox,
  );
  const sync = () => {
    const k = kind.value as Kind;
    help.textContent = KIND_HELP[k];
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
    h('h2', {}, 'Ask to see or copy footage'),
    h('div', { class: 'filters' }, field('Recordings (numbers)', ids), field('Kind', kind)),
    help,
    field('Purpose', purpose),
    outside,
    h('p', { class: 'muted small' }, 'No fee is ever charged (§11). Nobody approves their own request.'),
    h('button', { type: 'submit', id: 'rq-send' }, 'File the request'),
    msg,
  );
  const list = h('div', { id: 'requests' });
  replace(main, h('h1', {}, 'Access requests (查阅登记)'), form, h('h2', {}, readsRegister(me.role) ? 'All requests' : 'My requests'), list);

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
        replace(msg, note('ok', `Request ${r.id} filed. It waits for ${k === 'copy' ? 'the legal head' : k === 'agency' ? 'the records keeper or the head' : 'the head of the unit'}.`));
        purpose.value = '';
        return draw();
      })
      .catch((e: unknown) => replace(msg, note('error', errorText(e))));
  });

  const decision = (r: AccessRequest): HTMLElement | null => {
    if (!mayDecide(me, r)) return null;
    const outsideKind = r.kind === 'agency' || r.kind === 'party';
    const checked = h('input', { type: 'checkbox', id: `checked-${r.id}` });
    const reason = h('input', { id: `reason-${r.id}`, placeholder: 'Reason (needed to deny)', maxlength: 1000 });
    const out = h('div', { class: 'msg' });
    const act = (path: string, body: unknown) =>
      api
        .post(`/api/access-requests/${r.id}/${path}`, body)
        .then(() => draw())
        .catch((e: unknown) => replace(out, note('error', errorText(e))));
    return h(
      'div',
      { class: 'decide' },
      outsideKind ? h('label', { class: 'check' }, checked, r.lawyer ? ' Letter, ID, power of attorney and licence checked' : ' Letter and ID checked') : null,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'approve', onclick: () => void act('approve', outsideKind ? { documentsChecked: checked.checked } : {}) }, 'Approve'), reason, h('button', { type: 'button', class: 'secondary deny', onclick: () => void act('deny', { reason: reason.value }) }, 'Deny')),
      out,
    );
  };
  const usable = (r: AccessRequest) =>
    r.status === 'approved' && r.filedBy === me.username
      ? h(
          'p',
          { class: 'small' },
          ...r.recordingIds.flatMap((id) => [h('a', { href: `#/recordings/${id}`, class: 'button secondary' }, `Watch #${id}`), ' ', r.kind === 'copy' || r.kind === 'agency' ? h('a', { href: `/api/recordings/${id}/export`, class: 'button secondary', download: '' }, `Download verifiable copy #${id}`) : null, ' ']),
        )
      : null;
  const draw = async () => {
    const rows = (await api.get<List<AccessRequest>>('/api/access-requests?limit=200')).items;
    if (rows.length === 0) return replace(list, h('div', { class: 'empty card' }, h('p', {}, 'No request yet.')));
    replace(
      list,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'list requests' },
          h('thead', {}, h('tr', {}, h('th', {}, 'No.'), h('th', {}, 'Kind'), h('th', {}, 'Recordings'), h('th', {}, 'Purpose and papers'), h('th', {}, 'Filed'), h('th', {}, 'State'))),
          h(
            'tbody',
            {},
            rows.map((r) =>
              h(
                'tr',
                { 'data-id': r.id, class: `rq-${r.status}` },
                h('td', {}, String(r.id)),
                h('td', {}, KIND_LABEL[r.kind]),
                h('td', {}, r.recordingIds.flatMap((id, i) => [i ? ', ' : '', recLink(id)])),
                h(
                  'td',
                  {},
                  h('span', { lang: 'zh' }, r.purpose),
                  r.requester || r.authority ? h('p', { class: 'muted small' }, [r.requester, r.authority, r.letterRef, r.idDocument, r.lawyer ? `lawyer: ${r.powerOfAttorney ?? ''}, ${r.lawyerLicence ?? ''}` : null, r.otherRegion ? 'another region' : null].filter(Boolean).join(' · ')) : null,
                ),
                h('td', {}, r.filedBy, h('br', {}), h('span', { class: 'muted small' }, `${roleLabel(r.filedByRole)} · ${time(r.filedAt)}`)),
                h(
                  'td',
                  {},
                  h('span', { class: `chip ${r.status === 'approved' ? 'ok' : r.status === 'pending' ? 'busy' : 'warn'}` }, STATUS_LABEL[r.status] ?? r.status),
                  r.decidedBy ? h('p', { class: 'muted small' }, `by ${r.decidedBy} ${time(r.decidedAt)}${r.expiresAt ? ` · until ${time(r.expiresAt)}` : ''}${r.decisionReason ? ` · ${r.decisionReason}` : ''}`) : null,
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
  const kind = h('select', { id: 'reg-kind' }, h('option', { value: '' }, 'Any'), ['view', 'thumbnail', 'copy', 'export', 'archive'].map((k) => h('option', { value: k, selected: v('kind') === k }, k)));
  const from = h('input', { type: 'date', id: 'reg-from', value: v('from') });
  const to = h('input', { type: 'date', id: 'reg-to', value: v('to') });
  const form = h(
    'form',
    { class: 'filters card' },
    field('Recording', recording),
    field('User', username),
    field('Kind', kind),
    field('From', from),
    field('To', to),
    h('div', { class: 'field submit' }, h('button', { type: 'submit' }, 'Show')),
  );
  const params = () => ({ recording: v('recording') || undefined, username: v('username') || undefined, kind: v('kind') || undefined, from: dayBound(v('from'), false), to: dayBound(v('to'), true) });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/register${qs({ recording: recording.value, username: username.value, kind: kind.value, from: from.value, to: to.value })}`;
  });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  let cursor: string | null = null;
  const load = async () => {
    const list = await api.get<List<Entry>>(`/api/access-register${qs({ ...params(), limit: 50, cursor: cursor ?? undefined })}`);
    cursor = list.next;
    more.hidden = cursor === null;
    for (const e of list.items) {
      append(body, h('tr', {}, h('td', {}, time(e.at)), h('td', {}, e.username, h('br', {}), h('span', { class: 'muted small' }, roleLabel(e.role))), h('td', {}, recLink(e.recordingId)), h('td', {}, e.kind), h('td', {}, e.requestId !== null ? h('a', { href: '#/requests' }, `request ${e.requestId}`) : e.ground), h('td', {}, String(e.requests))));
    }
    if (body.childElementCount === 0) append(body, h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'Nothing registered for this filter.')));
  };
  more.addEventListener('click', () => void load());
  replace(
    main,
    h('h1', {}, 'Access register (查阅登记簿)'),
    h('p', { class: 'muted' }, 'Every view, still, copy, export and disc image taken of footage: who, when, which recording and on what ground.'),
    form,
    h('p', {}, h('a', { class: 'button secondary', id: 'register-csv', href: `/api/access-register${qs({ ...params(), format: 'csv' })}`, download: '' }, 'Download as CSV')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'register' }, h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Recording'), h('th', {}, 'What'), h('th', {}, 'Ground'), h('th', {}, 'Requests'))), body)),
    h('p', {}, more),
  );
  await load();
};

const targetText = (t: Target | null) => (t ? `${t.name}${t.idNo ? `（${t.idNo}）` : ''} · ${t.kind === 'company' ? 'company' : 'person'}` : '');

/** `#/cases`: find a case or activity by number, name or target; open one under a matter of the catalogue. */
export const renderCases: Page = async ({ main, query, me }) => {
  const q = h('input', { id: 'case-q', value: query.get('q') ?? '', placeholder: 'Case number, name, target or ID number' });
  const search = h('form', { class: 'filters card' }, field('Find', q), h('div', { class: 'field submit' }, h('button', { type: 'submit' }, 'Find')));
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/cases${qs({ q: q.value.trim() })}`;
  });
  const list = h('div', { id: 'cases' });
  const parts: HTMLElement[] = [h('h1', {}, 'Cases and activities'), search, list];
  if (editsCatalogue(me.role)) parts.push(await newCaseForm());
  replace(main, ...parts);
  const rows = (await api.get<List<CaseRecord>>(`/api/cases${qs({ q: query.get('q') ?? undefined, limit: 100 })}`)).items;
  if (rows.length === 0) return replace(list, h('div', { class: 'empty card' }, h('p', {}, 'No case found.')));
  replace(
    list,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Case'), h('th', {}, 'Matter'), h('th', {}, 'Target'), h('th', {}, 'Opened'))),
        h('tbody', {}, rows.map((c) => h('tr', {}, h('td', {}, h('a', { href: `#/cases/${c.id}` }, c.caseNo), h('br', {}), h('span', { lang: 'zh' }, c.name)), h('td', { lang: 'zh' }, `${c.category} · ${c.matter}`), h('td', { lang: 'zh' }, targetText(c.target)), h('td', {}, c.createdBy, h('br', {}), h('span', { class: 'muted small' }, time(c.createdAt)))))),
      ),
    ),
  );
};

async function newCaseForm(): Promise<HTMLElement> {
  const matters = await api.get<Matter[]>('/api/matters');
  const caseNo = h('input', { id: 'case-no', required: true, maxlength: 64, placeholder: 'e.g. 舞环罚〔2026〕7号' });
  const name = h('input', { id: 'case-name', required: true, maxlength: 200 });
  const matter = h('select', { id: 'case-matter' }, matters.map((m) => h('option', { value: m.id }, `${m.category} · ${m.matter} · ${m.stage}${m.keepWithCase ? ' · 随案卷保存' : ''}`)));
  const tKind = h('select', { id: 'case-target-kind' }, h('option', { value: '' }, 'No target yet'), h('option', { value: 'person' }, 'A person'), h('option', { value: 'company' }, 'A company'));
  const tName = h('input', { id: 'case-target-name', maxlength: 200 });
  const tId = h('input', { id: 'case-target-id', maxlength: 64, pattern: '[0-9A-Za-z-]*', placeholder: 'ID card or credit code' });
  const msg = h('div', { class: 'msg' });
  const form = h(
    'form',
    { class: 'card', id: 'case-form' },
    h('h2', {}, 'Open a case or activity'),
    h('div', { class: 'filters' }, field('Case number', caseNo), field('Name', name), field('Matter (音像记录事项清单)', matter)),
    h('div', { class: 'filters' }, field('Enforcement target', tKind), field('Target name', tName), field('Target ID number', tId)),
    h('p', { class: 'muted small' }, 'Footage linked to a matter whose storage time is “as the written records” is held with the case file.'),
    h('button', { type: 'submit' }, 'Open the case'),
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
      h('td', {}, h('a', { href: `#/recordings/${r.id}` }, r.evidenceNo ?? `#${r.id}`), r.confidential ? h('span', { class: 'chip warn' }, 'confidential') : null, r.hold ? h('span', { class: 'chip' }, 'held') : null),
      h('td', {}, time(r.correctedStart ?? r.recordedStart)),
      h('td', {}, r.officerNo ?? ''),
      h('td', { lang: 'zh' }, n ? [n.contentNote, n.speakers ? h('p', { class: 'muted small' }, `对话人员：${n.speakers}`) : null, n.gist ? h('p', { class: 'muted small' }, `主要内容：${n.gist}`) : null] : h('span', { class: 'muted' }, 'no note yet')),
    ),
  );
  const docs = d.documents.map((x) => h('li', {}, h('a', { href: x.url, download: '' }, x.name), h('span', { class: 'muted small' }, ` · ${Math.ceil(x.size / 1024)} KiB · ${x.addedBy} · ${time(x.addedAt)}`)));
  const msg = h('div', { class: 'msg' });
  const linkIds = h('input', { id: 'link-ids', placeholder: 'Recording numbers, e.g. 12, 13' });
  const fileInput = h('input', { type: 'file', id: 'doc-file', accept: 'application/pdf,image/jpeg,image/png' });
  const editing = edit
    ? h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Add to this case'),
        h(
          'form',
          { id: 'link-form', class: 'filters' },
          field('Link recordings', linkIds),
          h('div', { class: 'field submit' }, h('button', { type: 'submit' }, 'Link')),
        ),
        h('form', { id: 'doc-form', class: 'filters' }, field('Attach a document (PDF, photo of a form)', fileInput), h('div', { class: 'field submit' }, h('button', { type: 'submit' }, 'Attach'))),
        msg,
      )
    : null;
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/cases' }, '← Cases')),
    h('h1', { lang: 'zh' }, `${c.caseNo} ${c.name}`),
    facts([
      ['Matter', h('span', { lang: 'zh' }, `${c.category} · ${c.matter}`)],
      ['Storage', c.keepWithCase ? h('span', { lang: 'zh' }, '与文字材料存储时间一致 — footage is held with the case file') : 'the retention period'],
      ['Enforcement target', targetText(c.target) || null],
      ['Opened', `${c.createdBy}, ${time(c.createdAt)}`],
    ]),
    h('h2', {}, 'Audio-video records'),
    recs.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'case-recordings' }, h('thead', {}, h('tr', {}, h('th', {}, 'Evidence no.'), h('th', {}, 'Started'), h('th', {}, 'Officer'), h('th', {}, 'What it shows'))), h('tbody', {}, recs)))
      : h('p', { class: 'muted' }, 'No recording linked yet.'),
    d.hidden > 0 ? note('info', `${d.hidden} more recording${d.hidden === 1 ? '' : 's'} of this case you may not see (confidential or another officer’s).`) : null,
    h('h2', {}, 'Text records'),
    docs.length ? h('ul', { id: 'case-documents' }, docs) : h('p', { class: 'muted' }, 'No document attached.'),
    d.holds.length ? h('h2', {}, 'Holds') : null,
    d.holds.length ? h('ul', {}, d.holds.map((x) => h('li', {}, `Hold ${x.id}: ${x.reason}, ${x.active ? 'active' : 'released'} · ${x.placedBy} ${time(x.placedAt)}`))) : null,
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
    if (!f) return replace(msg, note('warn', 'Choose a file first.'));
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
    h('p', { class: 'crumbs' }, h('a', { href: `#/recordings/${id}` }, '← The recording')),
    h('h1', {}, 'Chain of custody (保管链)'),
    facts([
      ['Evidence number', r.recording.evidenceNo],
      ['File', r.recording.name],
      ['Recorder', r.recording.serial],
      ['SHA-256', h('code', { class: 'hash' }, r.recording.sha256)],
      ['Signed in', r.recording.manifestSessionId ?? 'not yet signed'],
      ['Confidential', confidentialLabel(r.recording.confidential) || null],
      ['Report made', time(r.generatedAt)],
    ]),
    h('p', {}, h('a', { class: 'button', id: 'custody-pdf', href: `/api/recordings/${id}/custody?format=pdf`, target: '_blank', rel: 'noopener' }, 'Printable report (PDF, 中文)')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list', id: 'custody' },
        h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Event'), h('th', {}, 'Who'), h('th', {}, 'Detail'))),
        h('tbody', {}, r.events.map((e) => h('tr', {}, h('td', {}, time(e.at)), h('td', {}, EVENT_LABEL[e.event] ?? e.event), h('td', {}, e.actor ?? ''), h('td', { class: 'detail', lang: 'zh' }, e.textZh)))),
      ),
    ),
  );
};

/** The player page's evidence part: number, confidentiality, and the ways on (request, custody, marking). */
export function evidenceBox(me: Me, r: Recording & { evidenceNo?: string | null; confidential?: string | null }, onChange: () => void): HTMLElement {
  const links: HTMLElement[] = [h('a', { class: 'button secondary', href: `#/requests?recording=${r.id}`, id: 'ask-access' }, 'Ask to view or copy')];
  if (readsRegister(me.role)) links.push(h('a', { class: 'button secondary', href: `#/recordings/${r.id}/custody`, id: 'custody-link' }, 'Chain of custody'));
  const box = h(
    'div',
    { class: 'card evidence' },
    h('p', { id: 'evidence-no' }, 'Evidence number ', h('strong', {}, r.evidenceNo ?? '—')),
    r.confidential ? note('warn', `Confidential: ${confidentialLabel(r.confidential)}. Only its officer, supervisors, legal and holders of an approved request see it.`) : null,
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
              .then((res) => (res.ok ? onChange() : replace(msg, note('error', `The dock answered ${res.status}`))))
              .catch((e: unknown) => replace(msg, note('error', errorText(e)))),
        }, 'Remove the confidential mark'),
        msg,
      );
    } else {
      const cls = h('select', { id: 'conf-class' }, Object.entries(CLASS_LABEL).map(([k, v]) => h('option', { value: k }, v)));
      const reason = h('input', { id: 'conf-reason', required: true, maxlength: 1000, placeholder: 'Why (004 §14)' });
      const form = h('form', { class: 'filters', id: 'conf-form' }, field('Mark confidential', cls), field('Reason', reason), h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'secondary' }, 'Mark')));
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
