import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ConsoleDeps } from './deps.js';

const UpstreamSchema = Type.Object(
  {
    objectsPending: Type.Integer(),
    rowsPending: Type.Integer(),
    lastSuccessAt: Type.Union([Type.String(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    /** Whether this dock replicates at all (`upstream` configured and switched on). */
    enabled: Type.Boolean(),
    /** When the oldest change still to send was made (the replication lag starts there), or null. */
    oldestPendingAt: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

/**
 * `GET /api/upstream` (CONTRACT "Upstream"): the replication backlog and its last success and error, read from the
 * outbox in the ledger; `lastError` is null once a later transfer succeeded. Rights: "read … upstream state".
 */
export const upstreamPlugin: FastifyPluginAsync<{ deps: ConsoleDeps }> = async (app, { deps }) => {
  app.get('/api/upstream', { config: { action: 'registry.read' }, schema: { response: { 200: UpstreamSchema } } }, async () => {
    const u = deps.ledger.upstream;
    const s = u.state();
    const b = u.backlog();
    return {
      objectsPending: b.objects,
      rowsPending: b.rows,
      lastSuccessAt: s.lastSuccessAtMs === null ? null : deps.iso(s.lastSuccessAtMs),
      lastError: s.lastError,
      enabled: s.enabledAtMs !== null,
      oldestPendingAt: b.oldestQueuedAtMs === null ? null : deps.iso(b.oldestQueuedAtMs),
    };
  });
};
