import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { QueueItem } from '../ledger/retention.js';
import type { TombstoneRecord } from '../ledger/tombstones.js';
import { parseQueryTime } from '../policy/time-format.js';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ServiceError } from './services/errors.js';
import { ListOf, ListQuery, decodeCursor, page } from './pagination.js';
import { NStr, NInt } from './schemas.js';
import { userOf } from './guard.js';

const Ids = Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 1000 });
const Reason = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' });
const PurgeBody = Type.Object({ ids: Ids, reason: Reason }, { additionalProperties: false });
const KeepBody = Type.Object({ ids: Ids, reason: Reason, until: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}', maxLength: 40 }) }, { additionalProperties: false });
const Refused = Type.Array(Type.Object({ id: Type.Integer(), reason: Type.String() }));
const PurgeAnswer = Type.Object({ purged: Type.Array(Type.Integer()), refused: Refused });
const KeepAnswer = Type.Object({ kept: Type.Array(Type.Integer()), refused: Refused });
const QueueQuery = Type.Object(ListQuery, { additionalProperties: false });

const QueueItemSchema = Type.Object({
  id: Type.Integer(),
  serial: Type.String(),
  seq: Type.Integer(),
  name: Type.String(),
  officerNo: NStr,
  unitNo: NStr,
  size: Type.Integer(),
  sha256: Type.String(),
  start: Type.String(),
  retainUntil: Type.String(),
  enteredAt: NStr,
  autoPurgeAt: NStr,
  hold: Type.Boolean(),
});
const TombstoneSchema = Type.Object({
  recordingId: Type.Integer(),
  serial: Type.String(),
  seq: Type.Integer(),
  name: Type.String(),
  storedPath: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  approvedBy: Type.String(),
  at: Type.String(),
  reason: Type.String(),
  manifest: Type.String(),
  fileRemovedAt: NStr,
  pending: Type.Boolean(),
  seqno: NInt,
});

type QueueCursor = [number, number];
const isPair = (v: unknown): v is QueueCursor => Array.isArray(v) && v.length === 2 && v.every((x) => Number.isSafeInteger(x));

/** The retention review queue (004 §15), purge and keep, and the tombstones purges left. */
export const retentionPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const services = deps.retention;
  if (!services) return;
  const { service } = services;
  const { autoPurge, autoPurgeGraceDays } = deps.config.retention;
  const queueView = (i: QueueItem) => ({
    id: i.recordingId,
    serial: i.serial,
    seq: i.seq,
    name: i.name,
    officerNo: i.officerNo,
    unitNo: i.unitNo,
    size: i.size,
    sha256: i.sha256,
    start: deps.iso(i.startMs),
    retainUntil: i.retainUntil,
    enteredAt: i.enteredAt,
    autoPurgeAt: autoPurge && i.enteredAtMs !== null && !i.held ? deps.iso(i.enteredAtMs + autoPurgeGraceDays * 86_400_000) : null,
    hold: i.held,
  });
  const tombstoneView = (t: TombstoneRecord) => ({
    recordingId: t.recordingId,
    serial: t.serial,
    seq: t.seq,
    name: t.name,
    storedPath: t.storedPath,
    size: t.size,
    sha256: t.sha256,
    approvedBy: t.approvedBy,
    at: t.at,
    reason: t.reason,
    manifest: t.manifestSessionId,
    fileRemovedAt: t.fileRemovedAtMs === null ? null : deps.iso(t.fileRemovedAtMs),
    pending: t.fileRemovedAtMs === null,
    seqno: deps.ledger.manifests.get(t.manifestSessionId)?.seqno ?? null,
  });

  app.get<{ Querystring: Static<typeof QueueQuery> }>(
    '/api/retention/queue',
    { config: { action: 'retention.read' }, schema: { querystring: QueueQuery, response: { 200: ListOf(QueueItemSchema), '4xx': ErrorBody } } },
    async (req) => {
      const after = decodeCursor(req.query.cursor, isPair);
      const rows = deps.ledger.retention.queue({ nowMs: deps.clock.now(), limit: req.query.limit + 1, ...(after ? { after: { retainUntilMs: after[0], id: after[1] } } : {}) });
      return page(rows, req.query.limit, (i): QueueCursor => [i.retainUntilMs, i.recordingId], queueView);
    },
  );

  app.get<{ Querystring: Static<typeof QueueQuery> }>(
    '/api/retention/tombstones',
    { config: { action: 'retention.read' }, schema: { querystring: QueueQuery, response: { 200: ListOf(TombstoneSchema), '4xx': ErrorBody } } },
    async (req) => {
      const before = decodeCursor(req.query.cursor, isPair);
      const rows = deps.ledger.tombstones.list({ limit: req.query.limit + 1, ...(before ? { beforeAtMs: { atMs: before[0], recordingId: before[1] } } : {}) });
      return page(rows, req.query.limit, (t): QueueCursor => [t.atMs, t.recordingId], tombstoneView);
    },
  );

  app.post<{ Body: Static<typeof PurgeBody> }>(
    '/api/retention/purge',
    { config: { action: 'retention.decide' }, schema: { body: PurgeBody, response: { 200: PurgeAnswer, '4xx': ErrorBody } } },
    async (req) => service.purge(req.body.ids, req.body.reason, userOf(req).username),
  );

  app.post<{ Body: Static<typeof KeepBody> }>(
    '/api/retention/keep',
    { config: { action: 'retention.decide' }, schema: { body: KeepBody, response: { 200: KeepAnswer, '4xx': ErrorBody } } },
    async (req) => {
      const untilMs = parseQueryTime(req.body.until, deps.config.timezone);
      if (untilMs === null) throw new ServiceError('invalid', 'body.until: not an ISO 8601 date or time', 'until');
      return service.keep(req.body.ids, req.body.reason, untilMs, userOf(req).username);
    },
  );
};
