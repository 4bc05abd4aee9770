import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildConsole } from '../../../daemon/console/server.js';
import { ManifestChain } from '../../../daemon/ingest/chain.js';
import { loadOrCreateDockKey } from '../../../daemon/ingest/keys.js';
import { FfmpegMedia } from '../../../daemon/ingest/media.js';
import { realStorage } from '../../../daemon/ingest/storage.js';
import { createLogger } from '../../../daemon/log.js';
import { toIsoInZone } from '../../../daemon/policy/time-format.js';
import { ArchiveService } from '../../../daemon/retention/archive/service.js';
import type { RetentionDeps } from '../../../daemon/retention/deps.js';
import { RetentionLock } from '../../../daemon/retention/lock.js';
import { RetentionService } from '../../../daemon/retention/service.js';
import { PASSWORD, ZONE, build, type Harness } from '../../helpers/console.js';

/**
 * The console helper's harness, plus a console built with the retention services (the helper's own app is
 * built without them, so its route table stays its own). `sign(ids)` lists recordings in a signed manifest.
 */
export interface RetentionHarness {
  base: Harness;
  app: FastifyInstance;
  service: RetentionService;
  chain: ManifestChain;
  req(method: string, url: string, opts?: { as?: string; body?: unknown; csrf?: boolean }): Promise<LightMyRequestResponse>;
  sign(ids: number[]): Promise<void>;
  /** Move the clock on; logins made before are forgotten (they would have expired). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function buildRetention(): Promise<RetentionHarness> {
  const base = await build();
  const iso = (ms: number) => toIsoInZone(ms, ZONE);
  const { key } = await loadOrCreateDockKey(realStorage, base.dataDir);
  const chain = new ManifestChain(base.dataDir, base.ledger, realStorage, key);
  const log = createLogger({ level: 'silent' });
  const deps: RetentionDeps = { dataDir: base.dataDir, dockId: 'dock-test', ledger: base.ledger, chain, ops: realStorage, log, lock: new RetentionLock(), now: () => base.clock.t, iso };
  const service = new RetentionService(deps, { autoPurge: false, autoPurgeGraceDays: 30 });
  const app = await buildConsole({
    config: base.config,
    ledger: base.ledger,
    slots: base.slots,
    clock: { now: () => base.clock.t, synced: () => true },
    log,
    checkout: base.checkout,
    media: new FfmpegMedia(),
    version: '0.0.0-test',
    iso,
    retention: { service, archives: new ArchiveService(deps) },
  });
  const sessions = new Map<string, { cookie: string; csrf: string }>();
  let signed = 0;
  return {
    base,
    app,
    service,
    chain,
    async req(method, url, o = {}) {
      const headers: Record<string, string> = {};
      if (o.as) {
        let s = sessions.get(o.as);
        if (!s) {
          const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username: o.as, password: PASSWORD } });
          const c = res.cookies.find((x) => x.name === 'bwc_session')!;
          s = { cookie: `bwc_session=${c.value}`, csrf: (res.json() as { csrfToken: string }).csrfToken };
          sessions.set(o.as, s);
        }
        headers.cookie = s.cookie;
        if (o.csrf !== false && method !== 'GET') headers['x-csrf-token'] = s.csrf;
      }
      return app.inject({ method: method as 'GET', url, headers, ...(o.body !== undefined ? { payload: o.body as object } : {}) });
    },
    async sign(ids) {
      const recs = ids.map((id) => base.ledger.recordings.get(id)!);
      const sessionId = `SIGN-${++signed}`;
      await chain.append(
        {
          kind: 'docking', dockId: 'dock-test', sessionId, createdAt: iso(base.clock.t), result: 'ok',
          device: { serial: recs[0]!.serial, idCode: 'AB123', officerNo: recs[0]!.officerNo, officerName: null, unitNo: recs[0]!.unitNo },
          clock: { deviceTime: null, dockTime: null, driftMs: 0, dockSynced: true, clockSet: true },
          files: recs.map((r) => ({ name: r.name, storedPath: r.storedPath, size: r.size, sha256: r.sha256, deviceSha256: null, seq: r.seq, recordedStart: r.recordedStart, correctedStart: r.correctedStart, durationMs: r.durationMs, flags: [], sessionId: r.sessionId })),
        },
        'dock',
        () => base.ledger.recordings.markSigned(ids, sessionId),
      );
    },
    advance(ms) {
      base.clock.t += ms;
      sessions.clear();
    },
    async close() {
      await app.close();
      await base.close();
    },
  };
}
