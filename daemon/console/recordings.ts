import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { ListOf, ListQuery, decodeCursor, page } from './pagination.js';
import { TimeQuery, timeParam } from './params.js';
import { IdParam, OfficerNo, RecordingSchema } from './schemas.js';
import { ServiceError } from './services/errors.js';
import { HOLD_REASONS } from '../ledger/holds.js';
import { canSeeRecording, hidesConfidential } from './services/access.js';
import { recordingView } from './views.js';
import { userOf, scopeOfRequest } from './guard.js';

const RecordingsQuery = Type.Object(
  {
    ...ListQuery,
    serial: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,8}$' })),
    officer: Type.Optional(OfficerNo),
    from: Type.Optional(Type.String(TimeQuery)),
    to: Type.Optional(Type.String(TimeQuery)),
    flag: Type.Optional(Type.String({ pattern: '^[a-z_]{1,32}$' })),
    case: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Catalogue fields (issue 15): the matter of a linked case, its category, a target's name or ID number, an evidence number, an active hold's reason. */
    matter: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,32}$' })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' })),
    evidence: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    holdReason: Type.Optional(Type.Union(HOLD_REASONS.map((r) => Type.Literal(r)))),
  },
  { additionalProperties: false },
);
type RecCursor = [number, number];
const isRecCursor = (v: unknown): v is RecCursor => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && Number.isSafeInteger(v[1]);

/** Recording search and detail; officers see only their own (officer number = username). */
export const recordingsPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const { ledger } = deps;

  app.get<{ Querystring: Static<typeof RecordingsQuery> }>(
    '/api/recordings',
    { config: { action: 'recordings.search' }, schema: { querystring: RecordingsQuery, response: { 200: ListOf(RecordingSchema), '4xx': ErrorBody } } },
    async (req) => {
      const q = req.query;
      const user = userOf(req);
      let officerNo = q.officer;
      if (scopeOfRequest(req) === 'own') {
        if (officerNo !== undefined && officerNo !== user.username) throw new ServiceError('forbidden', 'officers search only their own recordings');
        officerNo = user.username;
      }
      const zone = deps.config.timezone;
      const fromMs = timeParam(q.from, 'from', zone);
      const toMs = timeParam(q.to, 'to', zone);
      const after = decodeCursor(q.cursor, isRecCursor);
      const ids = ledger.catalogue.matching({
        ...(q.case ? { caseRef: q.case } : {}),
        ...(q.matter ? { matterId: q.matter } : {}),
        ...(q.category ? { category: q.category } : {}),
        ...(q.target ? { target: q.target.trim() } : {}),
        ...(q.evidence ? { evidenceNo: q.evidence } : {}),
        ...(q.holdReason ? { holdReason: q.holdReason } : {}),
      });
      const rows = ledger.recordings.query({
        limit: q.limit + 1,
        ...(q.serial ? { serial: q.serial } : {}),
        ...(officerNo ? { officerNo } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        ...(q.flag ? { flag: q.flag } : {}),
        ...(ids ? { ids } : {}),
        // An officer's search holds their own recordings only, confidential or not (004 §14 keeps them theirs).
        ...(scopeOfRequest(req) !== 'own' && hidesConfidential(user.role) ? { hideConfidential: { username: user.username, nowMs: deps.clock.now() } } : {}),
        ...(after ? { after: { sortMs: after[0], id: after[1] } } : {}),
      });
      const held = ledger.holds.heldIds(rows.map((r) => r.id));
      const probes = ledger.mediaProbes.forRecordings(rows.map((r) => r.id));
      return page(rows, q.limit, (r): RecCursor => [r.correctedStartMs ?? r.recordedStartMs ?? r.offloadedAtMs, r.id], (r) => recordingView(r, held.has(r.id), probes.get(r.id) ?? null));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/recordings/:id',
    { config: { action: 'recordings.search' }, schema: { params: IdParam, response: { 200: RecordingSchema, '4xx': ErrorBody } } },
    async (req) => {
      const rec = ledger.recordings.get(req.params.id);
      if (!rec || rec.purgedAtMs !== null) throw new ServiceError('not_found', `no recording ${req.params.id}`);
      if (!canSeeRecording(ledger, userOf(req), scopeOfRequest(req), rec, deps.clock.now())) {
        throw new ServiceError('forbidden', rec.confidential ? 'a confidential recording (004 §14) needs an approved access request' : 'officers see only their own recordings');
      }
      return recordingView(rec, ledger.holds.isHeld(rec.id), ledger.mediaProbes.get(rec.id));
    },
  );
};
