import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { CaseRecord } from '../ledger/catalogue.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { scopeOfRequest, userOf } from './guard.js';
import { holdView, HoldSchema } from './holds.js';
import { ListOf, ListQuery, decodeCursor, isInt, page } from './pagination.js';
import { IdParam, NStr, RecordingSchema } from './schemas.js';
import { canSeeRecording } from './services/access.js';
import { DOCUMENT_TYPES, attachDocument, linkRecordings, noteRecording, openCase } from './services/catalogue.js';
import { ServiceError } from './services/errors.js';
import { recordingView } from './views.js';

const Line = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const TargetBody = Type.Object(
  { kind: Type.Union([Type.Literal('person'), Type.Literal('company')]), name: Line(200), idNo: Type.Optional(Type.Union([Type.String({ maxLength: 64, pattern: '^[0-9A-Za-z-]*$' }), Type.Null()])) },
  { additionalProperties: false },
);
const TargetSchema = Type.Union([Type.Object({ kind: Type.String(), name: Type.String(), idNo: NStr }), Type.Null()]);
const CaseBody = Type.Object(
  { caseNo: Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S(.*\\S)?$' }), name: Line(200), matterId: Type.String({ minLength: 1, maxLength: 32 }), target: Type.Optional(Type.Union([TargetBody, Type.Null()])) },
  { additionalProperties: false },
);
const LinkBody = Type.Object({ recordingIds: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
const NoteBody = Type.Object(
  {
    contentNote: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    speakers: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    gist: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    target: Type.Optional(Type.Union([TargetBody, Type.Null()])),
  },
  { additionalProperties: false },
);
const CasesQuery = Type.Object({ ...ListQuery, q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), matter: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: false });
const DocQuery = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\\\]+$' }) }, { additionalProperties: false });
const DocParam = Type.Object({ id: Type.Integer({ minimum: 1 }), docId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

const MatterSchema = Type.Object({
  id: Type.String(),
  category: Type.String(),
  matter: Type.String(),
  stage: Type.String(),
  place: Type.String(),
  recorder: Type.String(),
  start: Type.String(),
  content: Type.String(),
  end: Type.String(),
  storage: Type.String(),
  recordClass: Type.String(),
  note: Type.String(),
  keepWithCase: Type.Boolean(),
});
const CaseSchema = Type.Object({
  id: Type.Integer(),
  caseNo: Type.String(),
  name: Type.String(),
  matterId: Type.String(),
  category: Type.String(),
  matter: Type.String(),
  keepWithCase: Type.Boolean(),
  target: TargetSchema,
  createdBy: Type.String(),
  createdAt: Type.String(),
});
const DocumentSchema = Type.Object({ id: Type.Integer(), name: Type.String(), mediaType: Type.String(), size: Type.Integer(), sha256: Type.String(), addedBy: Type.String(), addedAt: Type.String(), url: Type.String() });
const NoteSchema = Type.Union([Type.Object({ contentNote: NStr, speakers: NStr, gist: NStr, target: TargetSchema, updatedBy: Type.String() }), Type.Null()]);
const CatalogueSchema = Type.Object({
  recordingId: Type.Integer(),
  evidenceNo: NStr,
  note: NoteSchema,
  cases: Type.Array(Type.Object({ caseId: Type.Integer(), caseNo: Type.String(), linkedBy: Type.String(), linkedAt: Type.String(), holdId: Type.Union([Type.Integer(), Type.Null()]) })),
  confidential: Type.Union([Type.Object({ class: Type.String(), reason: Type.String(), markedBy: Type.String(), markedAt: Type.String() }), Type.Null()]),
});
const CaseDetailSchema = Type.Object({
  case: CaseSchema,
  recordings: Type.Array(Type.Object({ recording: RecordingSchema, note: NoteSchema })),
  /** Linked recordings this user may not see (confidential, or another officer's). */
  hidden: Type.Integer(),
  documents: Type.Array(DocumentSchema),
  holds: Type.Array(HoldSchema),
});

const caseView = (c: CaseRecord) => ({ id: c.id, caseNo: c.caseNo, name: c.name, matterId: c.matterId, category: c.category, matter: c.matter, keepWithCase: c.keepWithCase, target: c.target, createdBy: c.createdBy, createdAt: c.createdAt });

/**
 * The catalogue (001 (二)2, 000 (二)8, 004 annex 3): the matters catalogue, cases and activities with their matter
 * and enforcement target, the recordings linked to them (a link under a matter kept "as the written records"
 * places a `case` hold), notes on what each recording shows, and the case's documents, all on one case page.
 */
export const cataloguePlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger } = deps;
  const svc = { ledger, config: deps.config, retention: deps.retention, now: deps.clock.now, iso: deps.iso };
  const maxBytes = deps.config.catalogue.documentMaxMiB * 1024 * 1024;
  app.addContentTypeParser(Object.keys(DOCUMENT_TYPES), { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

  const noteView = (id: number) => {
    const n = ledger.catalogue.note(id);
    return n ? { contentNote: n.contentNote, speakers: n.speakers, gist: n.gist, target: n.target, updatedBy: n.updatedBy } : null;
  };
  /** An officer sees a case they opened or one holding a recording of theirs; the others (search scope `all`) every case. */
  const visibleCase = (req: FastifyRequest, id: number): CaseRecord => {
    const c = ledger.catalogue.getCase(id);
    const user = userOf(req);
    const sees = (x: CaseRecord) =>
      scopeOfRequest(req) === 'all' || x.createdBy === user.username || ledger.catalogue.linksOfCase(x.id).some((l) => ledger.recordings.get(l.recordingId)?.officerNo === user.username);
    if (!c || !sees(c)) throw new ServiceError('not_found', `no case ${id}`);
    return c;
  };

  app.get('/api/matters', { config: { action: 'recordings.search' }, schema: { response: { 200: Type.Array(MatterSchema), '4xx': ErrorBody } } }, async () => deps.config.catalogue.matters);

  app.post<{ Body: Static<typeof CaseBody> }>(
    '/api/cases',
    { config: { action: 'catalogue.edit' }, schema: { body: CaseBody, response: { 201: CaseSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      const b = req.body;
      const target = b.target ? { kind: b.target.kind, name: b.target.name, idNo: b.target.idNo ?? null } : null;
      return reply.code(201).send(caseView(openCase(svc, userOf(req), { caseNo: b.caseNo, name: b.name, matterId: b.matterId, target })));
    },
  );

  app.get<{ Querystring: Static<typeof CasesQuery> }>(
    '/api/cases',
    { config: { action: 'recordings.search' }, schema: { querystring: CasesQuery, response: { 200: ListOf(CaseSchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      const beforeId = decodeCursor(q.cursor, isInt);
      const rows = ledger.catalogue.listCases({
        limit: q.limit + 1,
        ...(beforeId !== undefined ? { beforeId } : {}),
        ...(scopeOfRequest(req) === 'own' ? { officerNo: userOf(req).username } : {}),
        ...(q.q ? { text: q.q.trim() } : {}),
        ...(q.matter ? { matterId: q.matter } : {}),
      });
      return page(rows, q.limit, (c) => c.id, caseView);
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/cases/:id',
    { config: { action: 'recordings.search' }, schema: { params: IdParam, response: { 200: CaseDetailSchema, '4xx': ErrorBody } } },
    async (req) => {
      const c = visibleCase(req, req.params.id);
      const user = userOf(req);
      const scope = scopeOfRequest(req);
      const now = deps.clock.now();
      // One answer everywhere: the case's recordings are those search finds by its number (links, holds, activities).
      const recs = ledger.catalogue
        .recordingIdsForCase(c.caseNo)
        .map((id) => ledger.recordings.get(id)!)
        .filter((r) => r.purgedAtMs === null);
      const visible = recs.filter((r) => canSeeRecording(ledger, user, scope, r, now));
      const held = ledger.holds.heldIds(visible.map((r) => r.id));
      return {
        case: caseView(c),
        recordings: visible.map((r) => ({ recording: recordingView(r, held.has(r.id)), note: noteView(r.id) })),
        hidden: recs.length - visible.length,
        documents: ledger.catalogue.documents(c.id).map((d) => ({ id: d.id, name: d.name, mediaType: d.mediaType, size: d.size, sha256: d.sha256, addedBy: d.addedBy, addedAt: d.addedAt, url: `/api/cases/${c.id}/documents/${d.id}` })),
        holds: ledger.holds.list({ limit: 100, caseRef: c.caseNo }).map(holdView),
      };
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof LinkBody> }>(
    '/api/cases/:id/recordings',
    { config: { action: 'catalogue.edit' }, schema: { params: IdParam, body: LinkBody, response: { 200: Type.Object({ linked: Type.Array(Type.Integer()), holdId: Type.Union([Type.Integer(), Type.Null()]) }), '4xx': ErrorBody } } },
    async (req) => linkRecordings(svc, userOf(req), scopeOfRequest(req), req.params.id, req.body.recordingIds),
  );

  app.post<{ Params: Static<typeof IdParam>; Querystring: Static<typeof DocQuery> }>(
    '/api/cases/:id/documents',
    { config: { action: 'catalogue.edit' }, bodyLimit: maxBytes, schema: { params: IdParam, querystring: DocQuery, response: { 201: DocumentSchema, '4xx': ErrorBody } } },
    async (req, reply) => {
      if (scopeOfRequest(req) === 'own') visibleCase(req, req.params.id);
      const mediaType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (!Buffer.isBuffer(req.body)) throw new ServiceError('invalid', `content-type: one of ${Object.keys(DOCUMENT_TYPES).join(', ')}`, 'content-type');
      const d = await attachDocument(svc, userOf(req), req.params.id, { name: req.query.name, mediaType, bytes: req.body });
      return reply.code(201).send({ id: d.id, name: d.name, mediaType: d.mediaType, size: d.size, sha256: d.sha256, addedBy: d.addedBy, addedAt: d.addedAt, url: `/api/cases/${req.params.id}/documents/${d.id}` });
    },
  );

  app.get<{ Params: Static<typeof DocParam> }>(
    '/api/cases/:id/documents/:docId',
    { config: { action: 'recordings.search' }, schema: { params: DocParam, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      const c = visibleCase(req, req.params.id);
      const d = ledger.catalogue.documents(c.id).find((x) => x.id === req.params.docId);
      if (!d) throw new ServiceError('not_found', `case ${c.id} has no document ${req.params.docId}`);
      return reply
        .header('content-type', d.mediaType)
        .header('content-disposition', `attachment; filename="document-${d.id}.${DOCUMENT_TYPES[d.mediaType] ?? 'bin'}"`)
        .header('x-sha256', d.sha256)
        .send(createReadStream(join(deps.config.dataDir, d.storedPath)));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/recordings/:id/catalogue',
    { config: { action: 'recordings.search' }, schema: { params: IdParam, response: { 200: CatalogueSchema, '4xx': ErrorBody } } },
    async (req) => {
      const rec = ledger.recordings.get(req.params.id);
      if (!rec) throw new ServiceError('not_found', `no recording ${req.params.id}`);
      if (!canSeeRecording(ledger, userOf(req), scopeOfRequest(req), rec, deps.clock.now())) throw new ServiceError('forbidden', 'not a recording this user may see');
      const mark = ledger.catalogue.confidential(rec.id);
      return {
        recordingId: rec.id,
        evidenceNo: rec.evidenceNo,
        note: noteView(rec.id),
        cases: ledger.catalogue.linksOfRecording(rec.id).map((l) => ({ caseId: l.caseId, caseNo: l.caseNo, linkedBy: l.linkedBy, linkedAt: l.linkedAt, holdId: l.holdId })),
        confidential: mark ? { class: mark.class, reason: mark.reason, markedBy: mark.markedBy, markedAt: mark.markedAt } : null,
      };
    },
  );

  app.post<{ Params: Static<typeof IdParam>; Body: Static<typeof NoteBody> }>(
    '/api/recordings/:id/catalogue',
    { config: { action: 'catalogue.edit' }, schema: { params: IdParam, body: NoteBody, response: { 200: Type.Object({ ok: Type.Boolean() }), '4xx': ErrorBody } } },
    async (req) => {
      const b = req.body;
      noteRecording(svc, userOf(req), scopeOfRequest(req), req.params.id, {
        contentNote: b.contentNote ?? null,
        speakers: b.speakers ?? null,
        gist: b.gist ?? null,
        target: b.target ? { kind: b.target.kind, name: b.target.name, idNo: b.target.idNo ?? null } : null,
      });
      return { ok: true };
    },
  );
};
