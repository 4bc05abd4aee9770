import { createReadStream } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ArchiveRecord } from '../ledger/archives.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ListOf, ListQuery, decodeCursor, page } from './pagination.js';
import { IdParam } from './schemas.js';
import { userOf } from './guard.js';

const Label = {
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  unit: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
};
const HoldArchiveBody = Type.Object(Label, { additionalProperties: false });
const ArchiveBody = Type.Object(
  { holdId: Type.Optional(Type.Integer({ minimum: 1 })), caseRef: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' })), ...Label },
  { additionalProperties: false },
);
const ArchiveId = Type.String({ pattern: '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$' });
const ArchiveParam = Type.Object({ id: ArchiveId }, { additionalProperties: false });
const ImageParam = Type.Object({ id: ArchiveId, n: Type.Integer({ minimum: 1, maximum: 2 }) }, { additionalProperties: false });
const ArchivesQuery = Type.Object({ ...ListQuery, hold: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

const ArchiveSchema = Type.Object({
  id: Type.String(),
  holdId: Type.Union([Type.Integer(), Type.Null()]),
  caseRef: Type.String(),
  title: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  files: Type.Integer(),
  bytes: Type.Integer(),
  images: Type.Array(Type.Object({ n: Type.Integer(), name: Type.String(), size: Type.Integer(), sha256: Type.String(), url: Type.String() })),
});

const archiveView = (a: ArchiveRecord) => ({
  id: a.id,
  holdId: a.holdId,
  caseRef: a.caseRef,
  title: a.title,
  createdBy: a.createdBy,
  createdAt: a.createdAt,
  files: a.files,
  bytes: a.bytes,
  images: a.images.map((i) => ({ ...i, url: `/api/archives/${a.id}/${i.n}` })),
});

type Cursor = [number, string];
const isCursor = (v: unknown): v is Cursor => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].length <= 64;

/** Archive discs (004 §16): two identical ISO 9660 images of a hold's or a case's footage, made and handed out by supervisor or legal. */
export const archivesPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const services = deps.retention;
  if (!services) return;
  const { archives } = services;

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof HoldArchiveBody> }>(
    '/api/holds/:id/archive',
    {
      config: { action: 'holds.manage' },
      schema: { params: IdParam, body: HoldArchiveBody, response: { 201: ArchiveSchema, '4xx': ErrorBody } },
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req, reply) => {
      const a = await archives.create({ holdId: req.params.id, ...req.body }, userOf(req).username);
      return reply.code(201).send(archiveView(a));
    },
  );

  app.post<{ Body: Static<typeof ArchiveBody> }>(
    '/api/archives',
    { config: { action: 'holds.manage' }, schema: { body: ArchiveBody, response: { 201: ArchiveSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const a = await archives.create(req.body, userOf(req).username);
      return reply.code(201).send(archiveView(a));
    },
  );

  app.get<{ Querystring: Static<typeof ArchivesQuery> }>(
    '/api/archives',
    { config: { action: 'holds.read' }, schema: { querystring: ArchivesQuery, response: { 200: ListOf(ArchiveSchema), '4xx': ErrorBody } } },
    async (req) => {
      const before = decodeCursor(req.query.cursor, isCursor);
      const rows = archives.list({ limit: req.query.limit + 1, ...(req.query.hold ? { holdId: req.query.hold } : {}), ...(before ? { before: { createdAtMs: before[0], id: before[1] } } : {}) });
      return page(rows, req.query.limit, (a): Cursor => [a.createdAtMs, a.id], archiveView);
    },
  );

  app.get<{ Params: Static<typeof ArchiveParam> }>(
    '/api/archives/:id',
    { config: { action: 'holds.read' }, schema: { params: ArchiveParam, response: { 200: ArchiveSchema, '4xx': ErrorBody } } },
    async (req) => archiveView(await archives.get(req.params.id)),
  );

  app.get<{ Params: Static<typeof ImageParam> }>(
    '/api/archives/:id/:n',
    { config: { action: 'holds.manage' }, schema: { params: ImageParam, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      const im = await archives.openImage(req.params.id, req.params.n, userOf(req));
      return reply
        .header('content-type', 'application/x-iso9660-image')
        .header('content-length', String(im.size))
        .header('content-disposition', `attachment; filename="${im.name}"`)
        .header('x-sha256', im.sha256)
        .send(createReadStream(im.path));
    },
  );
};
