import { afterEach, describe, expect, it } from 'vitest';
import { at, fixture, type Fixture } from './fixture.js';

let f: Fixture;
afterEach(() => f?.close());

const START = at('2026-01-31T10:00:00+08:00');

describe('keep longer (004 §15: case by case)', () => {
  it('moves the retention date with a reason, leaves the queue, and comes back when due again', async () => {
    f = await fixture(at('2026-12-01T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 1, startMs: START });
    const svc = f.service();
    await svc.sweep();
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 })).toHaveLength(1);
    const until = at('2027-06-30T00:00:00+08:00');
    expect(await svc.keep([id], 'complaint expected', until, 'sup1')).toEqual({ kept: [id], refused: [] });
    const rec = f.ledger.recordings.get(id)!;
    expect(rec.retainUntil).toBe('2027-06-30T00:00:00.000+08:00');
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 })).toEqual([]);
    expect(f.ledger.retention.decisions(id)).toEqual([
      expect.objectContaining({ decision: 'keep', reason: 'complaint expected', previousUntil: '2026-11-30T10:00:00.000+08:00', until: rec.retainUntil, decidedBy: 'sup1' }),
    ]);
    expect(f.ledger.audit.list({ limit: 1, action: 'retention.kept' })[0]!.detail).toMatchObject({ recordingId: id, reason: 'complaint expected', until: rec.retainUntil });
    expect((await svc.purge([id], 'x', 'em1')).refused).toEqual([{ id, reason: 'not_due' }]);
    f.clock.t = until;
    expect((await svc.sweep()).queued).toBe(1);
  });

  it('refuses a date not later than the current one, a purged or unknown item, and a date in the past', async () => {
    f = await fixture(at('2026-12-01T09:00:00+08:00'));
    const a = await f.addRecording({ seq: 1, startMs: START });
    const b = await f.addRecording({ seq: 2, startMs: at('2026-11-01T00:00:00+08:00') });
    const svc = f.service();
    await svc.purge([a], 'reviewed', 'em1');
    const res = await svc.keep([a, b, 42], 'why', at('2027-01-01T00:00:00+08:00'), 'sup1');
    expect(res).toEqual({ kept: [], refused: [{ id: a, reason: 'purged' }, { id: b, reason: 'not_later' }, { id: 42, reason: 'not_found' }] });
    await expect(svc.keep([b], 'why', f.clock.t - 1, 'sup1')).rejects.toMatchObject({ code: 'invalid', field: 'until' });
  });
});
