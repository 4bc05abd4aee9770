import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';

/** `GET /api/health`: open, for monitoring. */
export const healthPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  app.get(
    '/api/health',
    { config: { public: true }, schema: { response: { 200: Type.Object({ status: Type.Literal('ok'), clockSynced: Type.Boolean(), version: Type.String() }) } } },
    async () => ({ status: 'ok' as const, clockSynced: deps.clock.synced(), version: deps.version }),
  );
};
