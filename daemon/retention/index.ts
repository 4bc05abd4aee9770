import type { DockContext } from '../dock/context.js';
import { ArchiveService } from './archive/service.js';
import { xorrisoTool } from './archive/xorriso.js';
import type { RetentionDeps } from './deps.js';
import { RetentionLock } from './lock.js';
import { RetentionScheduler } from './schedule.js';
import { RetentionService } from './service.js';

/** Retention, holds and archive discs of a running dock: one lock, one manifest chain (the dock's). */
export interface RetentionServices {
  service: RetentionService;
  archives: ArchiveService;
  scheduler: RetentionScheduler;
}

export function retentionFor(ctx: DockContext): RetentionServices {
  const deps: RetentionDeps = {
    dataDir: ctx.config.dataDir,
    dockId: ctx.config.dockId,
    ledger: ctx.ledger,
    chain: ctx.chain,
    ops: ctx.ops,
    log: ctx.log.child({ component: 'retention' }),
    lock: new RetentionLock(),
    now: () => ctx.clock.now(),
    iso: ctx.iso,
  };
  const r = ctx.config.retention;
  const service = new RetentionService(deps, { autoPurge: r.autoPurge, autoPurgeGraceDays: r.autoPurgeGraceDays });
  const scheduler = new RetentionScheduler({ sweep: () => service.sweep(), now: () => ctx.clock.now(), sweepHour: r.sweepHour, timezone: ctx.config.timezone, log: deps.log, slots: ctx.slots });
  return { service, archives: new ArchiveService(deps, xorrisoTool(), ctx.config.offload.minFreeBytes), scheduler };
}
