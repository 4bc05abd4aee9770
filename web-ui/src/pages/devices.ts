import { api, ApiError, type Device, type DockingSession, type Finding, type List, type Officer, type Period } from '../api.js';
import { h, facts, note, replace } from '../dom.js';
import { bytes, drift, duration, time } from '../format.js';
import { can, deviceStatusLabel, findingLabel, findingStateLabel, readinessLabel, sessionResultLabel } from '../labels.js';
import type { Page } from '../main.js';
import { officerLabel, officers } from '../names.js';

const storage = (d: Device) => (d.freeMiB !== null && d.totalMiB ? `${Math.round((d.freeMiB / d.totalMiB) * 100)} % free` : '');

/** Every recorder the dock knows, with status, battery, storage and who has it. */
export const renderDevices: Page = async ({ main, me }) => {
  const [list, names] = await Promise.all([api.get<List<Device>>('/api/devices?limit=1000'), officers(can(me.role).registry)]);
  if (list.items.length === 0) {
    replace(main, h('h1', {}, 'Recorders'), h('div', { class: 'empty card' }, h('p', {}, 'The dock has not seen any recorder yet.'), h('p', { class: 'muted' }, 'A recorder is registered the first time it is docked.')));
    return;
  }
  replace(
    main,
    h('h1', {}, 'Recorders'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'list', id: 'devices' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Recorder'), h('th', {}, 'Status'), h('th', {}, 'With officer'), h('th', {}, 'Battery'), h('th', {}, 'Storage'), h('th', {}, 'Last docked'))),
        h(
          'tbody',
          {},
          list.items.map((d) =>
            h(
              'tr',
              { 'data-serial': d.serial },
              h('td', {}, h('a', { href: `#/devices/${d.serial}`, class: 'rowlink' }, d.serial)),
              h('td', {}, deviceStatusLabel(d.status), d.docked ? h('span', { class: 'chip ok' }, 'docked') : null),
              h('td', {}, d.checkedOutTo ? officerLabel(d.checkedOutTo, names) : h('span', { class: 'muted' }, '—')),
              h('td', {}, d.battery === null ? '' : `${d.battery} %`),
              h('td', {}, storage(d)),
              h('td', {}, time(d.lastDockedAt)),
            ),
          ),
        ),
      ),
    ),
  );
};

interface DeviceDetail {
  device: Device;
  checkouts: Period[];
  sessions: DockingSession[];
  findings: Finding[] | null;
}

/** One recorder's ledger (004 §4): checkouts with handover times and who, docking sessions, findings; checkout and check-in. */
export const renderDevice: Page = async (ctx) => {
  const { main, params, me } = ctx;
  const serial = params[0]!;
  const rights = can(me.role);
  const [detail, names] = await Promise.all([api.get<DeviceDetail>(`/api/devices/${serial}`), officers(rights.registry)]);
  const { device: d } = detail;
  const msg = h('div', { class: 'msg', id: 'device-msg' });
  const again = () => void renderDevice(ctx);

  const actions = h('div', { class: 'actions' });
  if (rights.checkout) {
    if (d.checkedOutTo === null) {
      const pick = h('select', { id: 'checkout-officer', 'aria-label': 'Officer' }, h('option', { value: '' }, 'Choose the officer…'), [...names.values()].map((o: Officer) => h('option', { value: o.officerNo }, `${o.name} (${o.officerNo}) · ${o.unitName}`)));
      const go = h('button', { type: 'button', id: 'checkout' }, 'Check out to officer');
      go.addEventListener('click', () => {
        if (!pick.value) return replace(msg, note('warn', 'Choose the officer who takes the recorder.'));
        go.disabled = true;
        replace(msg, note('info', 'Checking the recorder and writing the officer into it…'));
        api
          .post(`/api/devices/${serial}/checkout`, { officerNo: pick.value })
          .then(again)
          .catch((e: unknown) => {
            go.disabled = false;
            if (e instanceof ApiError && Array.isArray(e.body.reasons) && e.body.reasons.length > 0) {
              replace(msg, note('error', 'This recorder cannot be handed out now:'), h('ul', { class: 'reasons' }, e.body.reasons.map((r) => h('li', {}, readinessLabel(r)))));
            } else replace(msg, note('error', e instanceof Error ? e.message : String(e)));
          });
      });
      actions.append(h('label', { for: 'checkout-officer' }, 'Hand this recorder to'), pick, go);
    } else {
      const back = h('button', { type: 'button', id: 'checkin', class: 'secondary' }, 'Check in');
      back.addEventListener('click', () => {
        back.disabled = true;
        api
          .post(`/api/devices/${serial}/checkin`, {})
          .then(again)
          .catch((e: unknown) => {
            back.disabled = false;
            replace(msg, note('error', e instanceof Error ? e.message : String(e)));
          });
      });
      actions.append(h('p', {}, 'Checked out to ', officerLabel(d.checkedOutTo, names), '.'), back);
    }
  }

  const periods =
    detail.checkouts.length === 0
      ? h('p', { class: 'muted' }, 'Never checked out.')
      : h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'list', id: 'checkouts' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Officer'), h('th', {}, 'Handed out'), h('th', {}, 'Left the dock'), h('th', {}, 'Handed back'), h('th', {}, 'Recorded'))),
            h(
              'tbody',
              {},
              detail.checkouts.map((p) =>
                h(
                  'tr',
                  {},
                  h('td', {}, officerLabel(p.officerNo, names, p.officerName)),
                  h('td', {}, time(p.outAt), h('br'), h('small', { class: 'muted' }, `by ${p.outBy}`)),
                  h('td', {}, time(p.leftDockAt) || h('span', { class: 'muted' }, '—')),
                  h('td', {}, p.inAt ? [time(p.inAt), h('br'), h('small', { class: 'muted' }, p.inBy === 'dock' ? 'docked' : `by ${p.inBy}`)] : h('span', { class: 'chip busy' }, 'still out')),
                  h('td', {}, `${p.recordings} recordings, ${duration(p.durationMs)}`),
                ),
              ),
            ),
          ),
        );

  const sessions =
    detail.sessions.length === 0
      ? h('p', { class: 'muted' }, 'Not docked yet.')
      : h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'list', id: 'sessions' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Docked'), h('th', {}, 'Result'), h('th', {}, 'Clock'), h('th', {}, 'Battery'), h('th', {}, 'Copied'))),
            h(
              'tbody',
              {},
              detail.sessions.map((s) =>
                h(
                  'tr',
                  {},
                  h('td', {}, time(s.startedAt), s.endedAt ? h('small', { class: 'muted' }, ` to ${time(s.endedAt).slice(11)}`) : null),
                  h('td', {}, sessionResultLabel(s.result), s.error ? h('small', { class: 'muted' }, h('br'), s.error) : null),
                  h('td', {}, drift(s.driftMs)),
                  h('td', {}, s.battery === null ? '' : `${s.battery} %`),
                  h('td', {}, `${s.filesStored} files, ${bytes(s.bytesStored)}`),
                ),
              ),
            ),
          ),
        );

  const findings =
    detail.findings === null || detail.findings.length === 0
      ? null
      : [
          h('h2', {}, 'Findings'),
          h(
            'ul',
            { class: 'plain' },
            detail.findings.map((f) => h('li', {}, h('a', { href: `#/findings?serial=${serial}` }, findingLabel(f.kind)), ` · ${findingStateLabel(f.state)} · ${time(f.createdAt)}`)),
          ),
        ];

  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/devices' }, '← All recorders')),
    h('h1', {}, `Recorder ${d.serial}`),
    facts([
      ['Status', d.docked && d.status !== 'in_dock' ? `${deviceStatusLabel(d.status)}, in the dock now` : deviceStatusLabel(d.status)],
      ['With officer', d.checkedOutTo ? officerLabel(d.checkedOutTo, names) : null],
      ['Battery', d.battery === null ? null : `${d.battery} %`],
      ['Storage', d.freeMiB !== null && d.totalMiB ? `${bytes(d.freeMiB * 1048576)} free of ${bytes(d.totalMiB * 1048576)}` : null],
      ['Clock last set', time(d.lastSyncAt)],
      ['Model / firmware', `${d.idCode} · ${d.firmware}`],
    ]),
    rights.checkout ? h('section', { class: 'card' }, h('h2', {}, 'Hand out or take back'), actions, msg) : null,
    h('h2', {}, 'Who had it (usage ledger)'),
    periods,
    h('h2', {}, 'Dockings'),
    sessions,
    findings,
    h('p', {}, h('a', { href: `#/recordings?serial=${serial}`, class: 'button secondary' }, 'Recordings of this recorder')),
  );
};
