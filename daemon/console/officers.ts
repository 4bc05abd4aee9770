import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ListOf, ListQuery, decodeCursor, isStr, page } from './pagination.js';
import { scopeOf } from './rights.js';
import { FindingSchema, OfficerNo, OfficerSchema, PeriodSchema } from './schemas.js';
import { ServiceError } from './services/errors.js';
import { LedgerView } from './services/ledger-view.js';
import { decodeCsv, OfficerRegistry } from './services/officers.js';
import { findingView } from './views.js';
import { userOf } from './guard.js';

const OfficerBody = Type.Object(
  { officerNo: OfficerNo, name: Type.String({ minLength: 1, maxLength: 64 }), unitNo: Type.String({ minLength: 1, maxLength: 32 }), unitName: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const OfficersQuery = Type.Object({ ...ListQuery, unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })) }, { additionalProperties: false });
const OfficerParam = Type.Object({ officerNo: OfficerNo }, { additionalProperties: false });

/** The officer registry (names checked for the recorder's GBK fields), CSV import, each officer's ledger. */
export const officersPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const registry = new OfficerRegistry(deps.ledger, deps.clock.now);
  const view = new LedgerView(deps.ledger, deps.iso, deps.clock.now);
  // UTF-8 or GBK (a Chinese spreadsheet's "CSV"): decoded here, so the schema and the import see text.
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: 4 * 1024 * 1024 }, (_req, body, done) => done(null, decodeCsv(body as Buffer)));

  app.get<{ Querystring: Static<typeof OfficersQuery> }>(
    '/api/officers',
    { config: { action: 'registry.read' }, schema: { querystring: OfficersQuery, response: { 200: ListOf(OfficerSchema), '4xx': ErrorBody } } },
    async (req) => {
      const after = decodeCursor(req.query.cursor, isStr);
      const rows = deps.ledger.officers.list({ limit: req.query.limit + 1, ...(after !== undefined ? { after } : {}), ...(req.query.unit ? { unitNo: req.query.unit } : {}) });
      return page(rows, req.query.limit, (o) => o.officerNo, (o) => o);
    },
  );

  app.get<{ Params: Static<typeof OfficerParam> }>(
    '/api/officers/:officerNo',
    {
      config: { action: 'registry.read' },
      schema: {
        params: OfficerParam,
        response: { 200: Type.Object({ officer: OfficerSchema, checkouts: Type.Array(PeriodSchema), findings: Type.Union([Type.Array(FindingSchema), Type.Null()]) }), '4xx': ErrorBody },
      },
    },
    async (req) => {
      const officer = deps.ledger.officers.get(req.params.officerNo);
      if (!officer) throw new ServiceError('not_found', `no officer ${req.params.officerNo}`);
      const mayReadFindings = scopeOf(userOf(req).role, 'findings.read') === 'all';
      return {
        officer,
        checkouts: view.forOfficer(officer.officerNo),
        findings: mayReadFindings ? deps.ledger.findings.query({ officerNo: officer.officerNo, limit: 100 }).map((f) => findingView(f, deps.iso)) : null,
      };
    },
  );

  app.post<{ Body: Static<typeof OfficerBody> }>(
    '/api/officers',
    { config: { action: 'registry.edit' }, schema: { body: OfficerBody, response: { 200: OfficerSchema, 201: OfficerSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const { officer, created } = registry.save(req.body, userOf(req).username);
      return reply.code(created ? 201 : 200).send(officer);
    },
  );

  app.post<{ Body: string }>(
    '/api/officers/import',
    {
      config: { action: 'registry.edit' },
      preValidation: async (req, reply) => {
        if (!/^text\/csv\b/i.test(String(req.headers['content-type'] ?? ''))) return reply.code(415).send({ error: 'import takes a text/csv body' });
      },
      schema: { body: Type.String({ minLength: 1 }), response: { 200: Type.Object({ created: Type.Integer(), updated: Type.Integer() }), '4xx': ErrorBody } },
    },
    async (req) => registry.importCsv(req.body, userOf(req).username),
  );

  /** What the import would do, every row checked and nothing saved: the console shows its problems first. */
  app.post<{ Body: string }>(
    '/api/officers/import/preview',
    {
      config: { action: 'registry.edit' },
      preValidation: async (req, reply) => {
        if (!/^text\/csv\b/i.test(String(req.headers['content-type'] ?? ''))) return reply.code(415).send({ error: 'import takes a text/csv body' });
      },
      schema: {
        body: Type.String({ minLength: 1 }),
        response: {
          200: Type.Object({
            officers: Type.Array(OfficerSchema),
            problems: Type.Array(Type.Object({ line: Type.Integer(), field: Type.Union([Type.String(), Type.Null()]), message: Type.String() })),
            created: Type.Integer(),
            updated: Type.Integer(),
          }),
          '4xx': ErrorBody,
        },
      },
    },
    async (req) => registry.previewCsv(req.body),
  );
};
