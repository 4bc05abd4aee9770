import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTO_PURGE_ACTOR } from '../../../daemon/retention/sweep.js';
import { at, fixture, type Fixture } from './fixture.js';

let f: Fixture;
afterEach(() => f?.close());

const START = at('2026-01-31T10:00:00+08:00');
const DAY = 86_400_000;

describe('automatic purge (retention.autoPurge, off unless configured)', () => {
  it('purges what waited the grace period in the queue, never what is held, as dock:auto-purge', async () => {
    f = await fixture(at('2026-12-01T00:00:00+08:00'));
    const a = await f.addRecording({ seq: 1, startMs: START });
    const held = await f.addRecording({ seq: 2, startMs: START });
    const svc = f.service({ autoPurge: true, autoPurgeGraceDays: 30 });
    await svc.placeHold({ recordingIds: [held], reason: 'obstruction', caseRef: 'C-9' }, 'sup1');
    const entered = f.clock.t;
    expect((await svc.sweep()).autoPurged).toEqual([]);
    f.clock.t = entered + 30 * DAY - 1;
    expect((await svc.sweep()).autoPurged).toEqual([]);
    f.clock.t = entered + 30 * DAY;
    expect((await svc.sweep()).autoPurged).toEqual([a]);
    expect(f.ledger.tombstones.get(a)).toMatchObject({ approvedBy: AUTO_PURGE_ACTOR, reason: expect.stringMatching(/30 days/) });
    expect(f.ledger.audit.list({ limit: 1, action: 'recording.purged' })[0]!.actor).toBe(AUTO_PURGE_ACTOR);
    expect(f.ledger.recordings.get(held)!.purgedAtMs).toBeNull();
    expect(existsSync(join(f.dataDir, f.ledger.recordings.get(held)!.storedPath))).toBe(true);
    f.clock.t += 365 * DAY;
    expect((await svc.sweep()).autoPurged).toEqual([]);
  });

  it('does nothing by default, however long an item waits', async () => {
    f = await fixture(at('2026-12-01T00:00:00+08:00'));
    const a = await f.addRecording({ seq: 1, startMs: START });
    const svc = f.service();
    await svc.sweep();
    f.clock.t += 1000 * DAY;
    expect((await svc.sweep()).autoPurged).toEqual([]);
    expect(f.ledger.recordings.get(a)!.purgedAtMs).toBeNull();
  });
});
