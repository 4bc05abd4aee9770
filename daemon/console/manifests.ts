import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { ErrorBody } from './errors.js';
import { scopeOfRequest, userOf } from './guard.js';
import { ServiceError } from './services/errors.js';

const SessionParam = Type.Object({ sessionId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }) }, { additionalProperties: false });

/** The signed manifests, byte for byte as signed, their raw signatures, and the dock's public key. */
export const manifestsPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  const dir = join(deps.config.dataDir, 'manifests');
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch {
      throw new ServiceError('not_found', `no ${what}`);
    }
  };

  // A manifest lists recordings: reading it is a recordings search (CONTRACT), an officer's only when every
  // recording it lists is theirs.
  const mayRead = (req: FastifyRequest<{ Params: Static<typeof SessionParam> }>): void => {
    if (scopeOfRequest(req) === 'all') return;
    const officers = deps.ledger.recordings.officersOfManifest(req.params.sessionId);
    if (officers.length === 0 || officers.some((o) => o !== userOf(req).username)) throw new ServiceError('forbidden', 'officers read only the manifests of their own recordings');
  };

  app.get<{ Params: Static<typeof SessionParam> }>(
    '/api/manifests/:sessionId',
    { config: { action: 'recordings.search' }, schema: { params: SessionParam, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      mayRead(req);
      const body = await read(join(dir, `${req.params.sessionId}.json`), `manifest ${req.params.sessionId}`);
      return reply.header('content-type', 'application/json; charset=utf-8').send(body);
    },
  );

  app.get<{ Params: Static<typeof SessionParam> }>(
    '/api/manifests/:sessionId/sig',
    { config: { action: 'recordings.search' }, schema: { params: SessionParam, response: { '4xx': ErrorBody } } },
    async (req, reply) => {
      mayRead(req);
      const body = await read(join(dir, `${req.params.sessionId}.json.sig`), `signature of manifest ${req.params.sessionId}`);
      return reply.header('content-type', 'application/octet-stream').header('content-disposition', `attachment; filename="${req.params.sessionId}.json.sig"`).send(body);
    },
  );

  app.get('/api/keys/dock.pub.pem', { config: { action: 'status' }, schema: { response: { '4xx': ErrorBody } } }, async (_req, reply) => {
    const body = await read(join(deps.config.dataDir, 'keys', 'dock.pub.pem'), 'dock key');
    return reply.header('content-type', 'application/x-pem-file').header('content-disposition', 'attachment; filename="dock.pub.pem"').send(body);
  });
};
