import type { Activity } from '../../ledger/activities.js';
import type { Ledger } from '../../ledger/index.js';
import { activityGaps } from '../../policy/gaps.js';
import { ServiceError } from './errors.js';

/** Uncovered stretches of an activity shorter than this are not gaps (switching on, segment boundaries). */
const ACTIVITY_GAP_TOLERANCE_MS = 10_000;
/** Longest activity one declaration may cover. */
const MAX_ACTIVITY_MS = 7 * 24 * 3_600_000;

export interface NewActivityInput {
  officerNo: string;
  startMs: number;
  endMs: number;
  caseRef: string | null;
  title: string;
}

export interface ActivityDeps {
  ledger: Ledger;
  now: () => number;
  iso: (ms: number) => string;
  timezone: string;
  /** Whether a recorder is still being offloaded (its footage may not all be in the ledger yet). */
  offloading: (serial: string) => boolean;
}

/**
 * Declared enforcement activities (issue 4, 004 §8): time inside one that no recording of its officer covers
 * becomes a `gap` finding. An activity is checked once it is *settled*: it has ended, and every recorder the
 * officer had during it has come back and finished offloading (else the footage may simply not be here yet).
 * Checks repeat on each docking that ends; findings are raised once (deduplicated per uncovered interval).
 */
export class ActivityService {
  constructor(private readonly deps: ActivityDeps) {}

  declare(input: NewActivityInput, by: string): { activity: Activity; gapsRaised: number } {
    const { ledger } = this.deps;
    if (!ledger.officers.get(input.officerNo)) throw new ServiceError('invalid', `body.officerNo: no officer ${input.officerNo} in the registry`, 'officerNo');
    if (!(input.endMs > input.startMs)) throw new ServiceError('invalid', 'body.end: must be after start', 'end');
    if (input.endMs - input.startMs > MAX_ACTIVITY_MS) throw new ServiceError('invalid', 'body.end: an activity spans at most 7 days', 'end');
    const at = this.deps.now();
    const id = ledger.tx(() => {
      const aid = ledger.activities.add({
        officerNo: input.officerNo,
        start: this.deps.iso(input.startMs),
        startMs: input.startMs,
        end: this.deps.iso(input.endMs),
        endMs: input.endMs,
        caseRef: input.caseRef,
        title: input.title,
        createdBy: by,
        createdAtMs: at,
      });
      ledger.audit.append(at, by, 'activity.declared', String(aid), { officerNo: input.officerNo, start: input.startMs, end: input.endMs, caseRef: input.caseRef, title: input.title });
      return aid;
    });
    const activity = ledger.activities.get(id)!;
    return { activity, gapsRaised: this.check(activity) };
  }

  /** Whether the activity's footage can all be in the ledger by now. */
  settled(a: Activity): boolean {
    if (a.endMs > this.deps.now()) return false;
    const periods = this.deps.ledger.checkouts.forOfficer(a.officerNo).filter((c) => c.outAtMs < a.endMs && (c.inAtMs === null || c.inAtMs > a.startMs));
    return periods.every((c) => c.inAtMs !== null && !this.deps.offloading(c.serial));
  }

  /** Raise `gap` findings for the uncovered time of a settled activity; returns how many were new. */
  check(a: Activity): number {
    if (!this.settled(a)) return 0;
    const { ledger } = this.deps;
    const recordings = ledger.activities.coverage(a.officerNo, a.startMs, a.endMs);
    const gaps = activityGaps({ startEpochMs: a.startMs, endEpochMs: a.endMs, ref: a.caseRef ?? a.title }, recordings, [], ACTIVITY_GAP_TOLERANCE_MS, { timezone: this.deps.timezone });
    const at = this.deps.now();
    let raised = 0;
    ledger.tx(() => {
      for (const g of gaps) {
        const r = ledger.findings.raise(
          {
            kind: 'gap',
            detail: g.detail,
            officerNo: a.officerNo,
            seqFrom: g.seqFrom,
            seqTo: g.seqTo,
            fromMs: g.fromEpochMs ?? null,
            toMs: g.toEpochMs ?? null,
            dedupeKey: `gap:activity:${a.id}:${g.fromEpochMs}:${g.toEpochMs}`,
          },
          at,
        );
        if (r.created) {
          raised++;
          ledger.audit.append(at, 'dock', 'finding.raised', String(r.id), { kind: 'gap', activityId: a.id, officerNo: a.officerNo });
        }
      }
    });
    return raised;
  }

  /** After a recorder came back (docking ended or explicit check-in): check the activities of its periods. */
  afterReturn(serial: string): number {
    const { ledger } = this.deps;
    let raised = 0;
    const officers = new Set(ledger.checkouts.forDevice(serial, 20).map((c) => c.officerNo));
    for (const officerNo of officers) {
      const recent = ledger.checkouts.forOfficer(officerNo, 20);
      const from = Math.min(...recent.map((c) => c.outAtMs));
      for (const a of ledger.activities.overlapping(officerNo, from, this.deps.now())) raised += this.check(a);
    }
    return raised;
  }
}
