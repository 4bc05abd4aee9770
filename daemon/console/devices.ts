import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { emptyBodyIsObject } from './params.js';
import { ListOf, ListQuerySchema, decodeCursor, isStr, page, type ListQueryT } from './pagination.js';
import { scopeOf } from './rights.js';
import { DeviceSchema, FindingSchema, OfficerNo, PeriodSchema, SerialParam, SessionSchema } from './schemas.js';
import { LedgerView } from './services/ledger-view.js';
import { ServiceError } from './services/errors.js';
import { deviceView, findingView, sessionView } from './views.js';
import { userOf } from './guard.js';

const StatusBody = Type.Object({ status: Type.Union([Type.Literal('in_dock'), Type.Literal('in_repair'), Type.Literal('retired'), Type.Literal('checked_out')]) }, { additionalProperties: false });
const CheckoutBody = Type.Object({ officerNo: OfficerNo }, { additionalProperties: false });
const EmptyBody = Type.Object({}, { additionalProperties: false });
/** The recorder's last docking sessions and findings the device ledger shows with its first page. */
const RECENT = 20;
/** A page of a recorder's checkouts ends at this period: its out time and id. */
type PeriodCursor = [number, number];
const isPeriodCursor = (v: unknown): v is PeriodCursor => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && Number.isSafeInteger(v[1]);
const CheckoutAnswer = Type.Object({ checkout: PeriodSchema, battery: Type.Integer(), freeMiB: Type.Integer(), totalMiB: Type.Integer() });

/** Recorders: the registry with status, each recorder's ledger, checkout and check-in. */
export const devicesPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger, iso } = deps;
  const view = new LedgerView(ledger, iso, deps.clock.now);
  const withCheckout = (serial: string) => {
    const d = ledger.devices.get(serial);
    if (!d) throw new ServiceError('not_found', `no recorder ${serial}`);
    return deviceView(d, iso, ledger.checkouts.open(serial)?.officerNo ?? null);
  };

  app.get<{ Querystring: ListQueryT }>(
    '/api/devices',
    { config: { action: 'registry.read' }, schema: { querystring: ListQuerySchema, response: { 200: ListOf(DeviceSchema), '4xx': ErrorBody } } },
    async (req) => {
      const after = decodeCursor(req.query.cursor, isStr);
      const rows = ledger.devices.list({ limit: req.query.limit + 1, ...(after !== undefined ? { after } : {}) });
      return page(rows, req.query.limit, (d) => d.serial, (d) => deviceView(d, iso, ledger.checkouts.open(d.serial)?.officerNo ?? null));
    },
  );

  // The device ledger: the recorder, one page of its checkout periods newest first (`limit`, `cursor`; `nextCursor`
  // opens the next page, null after the oldest) and, with the first page, its last 20 docking sessions and findings
  // (all of them: /api/sessions?serial=, /api/findings?serial=). A page after the first leaves those out: they cost
  // more than its periods and are the same on every page; 100 of each took the first page past 20 ms at a million
  // recordings. A period's figures (recordings, hours, bytes) are computed for the periods of the page only.
  app.get<{ Params: Static<typeof SerialParam>; Querystring: ListQueryT }>(
    '/api/devices/:serial',
    {
      config: { action: 'registry.read' },
      schema: {
        params: SerialParam,
        querystring: ListQuerySchema,
        response: {
          200: Type.Object({
            device: DeviceSchema,
            checkouts: Type.Array(PeriodSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
            sessions: Type.Optional(Type.Array(SessionSchema)),
            findings: Type.Optional(Type.Union([Type.Array(FindingSchema), Type.Null()])),
          }),
          '4xx': ErrorBody,
        },
      },
    },
    async (req) => {
      const { serial } = req.params;
      const device = withCheckout(serial);
      const after = decodeCursor(req.query.cursor, isPeriodCursor);
      const rows = ledger.checkouts.pageOfDevice(serial, req.query.limit + 1, after ? { outAtMs: after[0], id: after[1] } : undefined);
      const periods = page(rows, req.query.limit, (c): PeriodCursor => [c.outAtMs, c.id], (c) => view.period(c));
      if (after) return { device, checkouts: periods.items, nextCursor: periods.next };
      const mayReadFindings = scopeOf(userOf(req).role, 'findings.read') === 'all';
      return {
        device,
        checkouts: periods.items,
        nextCursor: periods.next,
        sessions: ledger.sessions.list({ serial, limit: RECENT }).map((s) => sessionView(s, iso)),
        findings: mayReadFindings ? ledger.findings.recentOf(serial, RECENT).map((f) => findingView(f, iso)) : null,
      };
    },
  );

  app.post<{ Params: Static<typeof SerialParam>; Body: Static<typeof StatusBody> }>(
    '/api/devices/:serial/status',
    { config: { action: 'registry.edit' }, schema: { params: SerialParam, body: StatusBody, response: { 200: DeviceSchema, '4xx': ErrorBody } } },
    async (req) => {
      deps.checkout.setStatus(req.params.serial, req.body.status, userOf(req).username);
      return withCheckout(req.params.serial);
    },
  );

  app.post<{ Params: Static<typeof SerialParam>; Body: Static<typeof CheckoutBody> }>(
    '/api/devices/:serial/checkout',
    { config: { action: 'registry.edit' }, schema: { params: SerialParam, body: CheckoutBody, response: { 200: CheckoutAnswer, '4xx': ErrorBody } } },
    async (req) => {
      const out = await deps.checkout.checkout(req.params.serial, req.body.officerNo, userOf(req).username);
      return { checkout: view.period(out.checkout), battery: out.battery, freeMiB: out.freeMiB, totalMiB: out.totalMiB };
    },
  );

  app.post<{ Params: Static<typeof SerialParam> }>(
    '/api/devices/:serial/checkin',
    { config: { action: 'registry.edit' }, preValidation: emptyBodyIsObject, schema: { params: SerialParam, body: EmptyBody, response: { 200: Type.Object({ checkout: PeriodSchema }), '4xx': ErrorBody } } },
    async (req) => ({ checkout: view.period(deps.checkout.checkin(req.params.serial, userOf(req).username)) }),
  );
};
