import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { mediaTypeOf, thumbnailPath } from '../ingest/media.js';
import type { Recording } from '../ledger/recordings.js';
import type { ConsoleDeps } from './deps.js';
import { ApiError, ErrorBody } from './errors.js';
import { IdParam } from './schemas.js';
import { ServiceError } from './services/errors.js';
import { registerView } from './services/playback.js';
import { SpotCheckService } from './services/spot-checks.js';
import { admitFootage } from './services/admit.js';
import { Gate } from './services/gate.js';
import { parseRange } from './services/range.js';
import { userOf, scopeOfRequest } from './guard.js';

const RangeHeaders = Type.Object({ range: Type.Optional(Type.String({ maxLength: 200 })) });
/** `spotCheck`: the reviewer of that spot-check plays one of its recordings; the register's ground is `spot-check/<id>`. */
const PlayQuery = Type.Object({ spotCheck: Type.Optional(Type.Integer({ minimum: 1 })) });

/**
 * Footage playback with HTTP Range (206; 416 for a range it cannot serve) and thumbnails. Every playback is a
 * view in the access register: the Range requests of one login session on one recording within 30 minutes
 * of each other are one view. A thumbnail is registered the same way (kind `thumbnail`).
 */
export const mediaPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const footage = resolve(deps.config.dataDir, 'footage');
  // ffmpeg jobs are heavy: a few at once, a short queue, and 503 beyond it.
  const spotChecks = new SpotCheckService(deps.ledger, deps.clock.now, deps.iso, deps.config.timezone);
  const thumbnails = new Gate(deps.config.console.limits.thumbnailJobs, deps.config.console.limits.thumbnailJobs * 4, 'thumbnails');

  const load = (id: number): Recording => {
    const rec = deps.ledger.recordings.get(id);
    if (!rec) throw new ServiceError('not_found', `no recording ${id}`);
    if (rec.purgedAtMs !== null) throw new ApiError('purged', `recording ${id} was purged`);
    return rec;
  };
  const fileOf = async (rec: Recording): Promise<{ path: string; size: number }> => {
    const path = resolve(deps.config.dataDir, rec.storedPath);
    if (!path.startsWith(footage + sep)) throw new Error(`stored path of recording ${rec.id} leaves footage/`);
    try {
      return { path, size: (await stat(path)).size };
    } catch {
      deps.log.error({ recordingId: rec.id, storedPath: rec.storedPath }, 'stored file is missing');
      throw new ServiceError('not_found', `the stored file of recording ${rec.id} is missing`);
    }
  };

  app.get<{ Params: Static<typeof IdParam>; Headers: Static<typeof RangeHeaders>; Querystring: Static<typeof PlayQuery> }>(
    '/api/recordings/:id/media',
    { config: { action: 'footage.play', footage: true }, schema: { params: IdParam, headers: RangeHeaders, querystring: PlayQuery, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      const user = userOf(req);
      const rec = load(req.params.id);
      const admitted = admitFootage(deps, user, scopeOfRequest(req), rec, 'play');
      const { requestId } = admitted;
      const ground = req.query.spotCheck ? spotChecks.groundFor(user, req.query.spotCheck, rec.id) : admitted.ground;
      const file = await fileOf(rec);
      const range = parseRange(req.headers.range, file.size);
      if (range === 'bad') return reply.code(416).header('content-range', `bytes */${file.size}`).send({ error: `range not satisfiable for ${file.size} bytes` });
      if (req.method === 'GET') registerView(deps.ledger, user, rec, ground, deps.clock.now(), deps.iso, 'view', requestId);
      reply.header('content-type', mediaTypeOf(rec.name).type).header('accept-ranges', 'bytes').header('content-disposition', 'inline');
      if (range === null) return reply.header('content-length', String(file.size)).send(createReadStream(file.path));
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
        .header('content-length', String(range.end - range.start + 1))
        .send(createReadStream(file.path, { start: range.start, end: range.end }));
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/api/recordings/:id/thumbnail',
    { config: { action: 'footage.play', footage: true }, schema: { params: IdParam, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      const user = userOf(req);
      const rec = load(req.params.id);
      const { ground, requestId } = admitFootage(deps, user, scopeOfRequest(req), rec, 'play');
      const file = await fileOf(rec);
      const dest = thumbnailPath(deps.config.dataDir, rec);
      await thumbnails.run(() => deps.media.thumbnail(file.path, dest, { name: rec.name, durationMs: rec.durationMs }));
      registerView(deps.ledger, user, rec, ground, deps.clock.now(), deps.iso, 'thumbnail', requestId);
      return reply.header('content-type', 'image/jpeg').send(createReadStream(dest));
    },
  );
};
