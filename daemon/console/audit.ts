import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { verifyAuditTrail } from '../ingest/verify.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ListOf, ListQuery, decodeCursor, isInt, page } from './pagination.js';

const AuditQuery = Type.Object(
  { ...ListQuery, action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })), actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
);
const EntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Unknown(),
  prevHash: Type.String(),
  hash: Type.String(),
});
const VerifySchema = Type.Object({
  ok: Type.Boolean(),
  entries: Type.Integer(),
  head: Type.String(),
  brokenAt: Type.Optional(Type.Integer()),
  problem: Type.Optional(Type.String()),
  /** Signed manifests whose auditHead was checked, and how many entries (from the first) they anchor. */
  anchors: Type.Integer(),
  anchoredEntries: Type.Integer(),
  /** Each manifest whose anchor is not in the trail (or out of order): the trail was rewritten. */
  anchorProblems: Type.Array(Type.String()),
  /** Manifests that could not serve as anchors (signature, chain): `bwc-dock verify` says more. */
  manifestProblems: Type.Array(Type.String()),
});

/** The hash-chained audit trail, newest first, and its integrity check (the chain, and its anchors in the signed manifests). */
export const auditPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/audit',
    { config: { action: 'audit.read' }, schema: { querystring: AuditQuery, response: { 200: ListOf(EntrySchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      const beforeId = decodeCursor(q.cursor, isInt);
      const rows = deps.ledger.audit.list({ limit: q.limit + 1, ...(beforeId !== undefined ? { beforeId } : {}), ...(q.action ? { action: q.action } : {}), ...(q.actor ? { actor: q.actor } : {}) });
      return page(rows, q.limit, (e) => e.id, (e) => ({ id: e.id, at: e.at, actor: e.actor, action: e.action, subject: e.subject, detail: e.detail, prevHash: e.prevHash, hash: e.hash }));
    },
  );

  app.get('/api/audit/verify', { config: { action: 'audit.read' }, schema: { response: { 200: VerifySchema, '4xx': ErrorBody } } }, async () => {
    // The chain alone passes a trail rewritten with every hash recomputed; the signed manifests' auditHead do not.
    const v = verifyAuditTrail(deps.config.dataDir, deps.ledger.audit);
    return { ...v, anchors: v.anchors ?? 0, anchoredEntries: v.anchoredEntries ?? 0, anchorProblems: v.anchorProblems ?? [] };
  });
};
