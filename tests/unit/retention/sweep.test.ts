import { afterEach, describe, expect, it } from 'vitest';
import { at, fixture, type Fixture } from './fixture.js';

let f: Fixture;
afterEach(() => f?.close());

// 31 Jan + 10 months has no 31 Nov: retention ends on 30 Nov, same local time.
const START = at('2026-01-31T10:00:00+08:00');
const DUE = at('2026-11-30T10:00:00+08:00');

describe('retention sweep (004 §15)', () => {
  it('queues a recording of 31 Jan at 30 Nov 10:00 local (month-end clamp), not a millisecond before', async () => {
    f = await fixture(at('2026-02-01T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 1, startMs: START });
    expect(f.ledger.recordings.get(id)!.retainUntil).toBe('2026-11-30T10:00:00.000+08:00');
    const svc = f.service();
    f.clock.t = DUE - 1;
    expect((await svc.sweep()).queued).toBe(0);
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 })).toEqual([]);
    f.clock.t = DUE;
    expect((await svc.sweep()).queued).toBe(1);
    const q = f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 });
    expect(q.map((i) => [i.recordingId, i.enteredAtMs, i.held])).toEqual([[id, DUE, false]]);
    const audit = f.ledger.audit.list({ limit: 5, action: 'retention.queued' });
    expect(audit[0]!.detail).toEqual({ recordingIds: [id] });
    // A second sweep queues nothing twice.
    expect((await svc.sweep()).queued).toBe(0);
  });

  it('shows a recording already past its date when stored in the queue at once, before any sweep', async () => {
    f = await fixture(at('2026-12-05T09:00:00+08:00'));
    const id = await f.addRecording({ seq: 7, startMs: START });
    const q = f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 });
    expect(q.map((i) => [i.recordingId, i.enteredAt])).toEqual([[id, null]]);
    await f.service().sweep();
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 })[0]!.enteredAtMs).toBe(f.clock.t);
  });

  it('works in small batches (one audit entry each) and queues every due recording, not the one due later', async () => {
    f = await fixture(at('2026-02-01T09:00:00+08:00'));
    for (let s = 1; s <= 7; s++) await f.addRecording({ seq: s, startMs: START + s });
    await f.addRecording({ seq: 8, startMs: at('2026-03-01T00:00:00+08:00') });
    f.clock.t = at('2026-12-01T00:00:00+08:00');
    const r = await f.service({ batch: 3 }).sweep();
    expect(r.queued).toBe(7);
    expect(f.ledger.audit.list({ limit: 10, action: 'retention.queued' })).toHaveLength(3);
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 100 })).toHaveLength(7);
  });

  it('a sweep asked for while one runs runs once more after it', async () => {
    f = await fixture(at('2026-12-01T00:00:00+08:00'));
    await f.addRecording({ seq: 1, startMs: START });
    const svc = f.service();
    const a = svc.sweep();
    const b = svc.sweep();
    expect(b).toBe(a);
    await a;
    expect(f.ledger.retention.queue({ nowMs: f.clock.t, limit: 10 })).toHaveLength(1);
  });
});
