import type { Ledger } from '../../ledger/index.js';
import type { SpotCheck, SpotCheckInputs, SpotCheckItemScore } from '../../ledger/spot-checks.js';
import { CHECKLIST, DRAW_ALGORITHM, candidatesDigest, drawSeed, drawSpotCheck, scoreSheetProblem, type Draw } from '../../policy/spot-check.js';
import { yearBounds, yearOf } from '../../policy/yearly.js';
import type { AuthUser } from '../deps.js';
import { ServiceError } from './errors.js';

/** The finding a failed checklist item raises against the recording's officer (a new kind, 004 §17/§18). */
export const SPOT_CHECK_FINDING = 'spot_check_failed';

/** The access register's ground of a reviewer's playback of a sampled recording. */
export const spotCheckGround = (id: number) => `spot-check/${id}`;

/** Largest sample of one draw. */
export const MAX_SAMPLE = 100;

export interface DrawRequest {
  size: number;
  unitNo?: string | null | undefined;
  officerNo?: string | null | undefined;
  fromMs?: number | null | undefined;
  toMs?: number | null | undefined;
}

export interface Redraw {
  id: number;
  seed: string;
  recordings: number[];
  reviewer: string | null;
  candidates: number;
  candidatesSha256: string;
  /** The re-run found the same candidates (same digest) and drew the same recordings and reviewer. */
  same: boolean;
}

/**
 * Spot-checks (R13, 004 §17 with the "双随机" practice): a supervisor draws N recordings and a reviewer at random
 * from a seed nobody chooses (the audit trail's head and the draw's time), stored with its inputs so anyone can
 * re-run it; the reviewer plays each sampled recording (a view on the access register on the ground
 * `spot-check/<id>`) and scores the checklist; a failed item is a finding against the officer. Each step is
 * audited in the transaction of its change.
 */
export class SpotCheckService {
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number,
    private readonly iso: (ms: number) => string,
    private readonly timezone: string,
  ) {}

  draw(user: Pick<AuthUser, 'username'>, q: DrawRequest): SpotCheck {
    if (!Number.isInteger(q.size) || q.size < 1 || q.size > MAX_SAMPLE) throw new ServiceError('invalid', `body.size: 1 to ${MAX_SAMPLE} recordings`, 'size');
    if (q.fromMs != null && q.toMs != null && q.fromMs >= q.toMs) throw new ServiceError('invalid', 'body.to: must be after from', 'to');
    if (q.unitNo && !this.ledger.officers.list({ limit: 1, unitNo: q.unitNo }).length) throw new ServiceError('invalid', `body.unitNo: no officer of unit ${q.unitNo} in the registry`, 'unitNo');
    if (q.officerNo && !this.ledger.officers.get(q.officerNo)) throw new ServiceError('invalid', `body.officerNo: no officer ${q.officerNo} in the registry`, 'officerNo');
    const id = this.ledger.tx(() => {
      const at = this.now();
      const auditHead = this.ledger.audit.head();
      const seed = drawSeed(auditHead, at);
      const reviewers = this.ledger.users
        .list()
        .filter((u) => u.role === 'supervisor' && !u.disabled && u.pending === null)
        .map((u) => u.username)
        .sort();
      const inputs: SpotCheckInputs = {
        size: q.size,
        unitNo: q.unitNo ?? null,
        officerNo: q.officerNo ?? null,
        fromMs: q.fromMs ?? null,
        toMs: q.toMs ?? null,
        maxRecordingId: this.ledger.spotChecks.maxRecordingId(),
        reviewers,
      };
      const { draw, candidates, digest, byId } = this.run(seed, inputs, at);
      if (candidates === 0) throw new ServiceError('conflict', 'no stored recording with an officer matches: nothing to review');
      if (draw.reviewer === null) throw new ServiceError('conflict', 'no supervisor who is not an officer of the sampled recordings can review them');
      const id = this.ledger.spotChecks.insert({
        drawnBy: user.username,
        drawnAt: this.iso(at),
        drawnAtMs: at,
        algorithm: DRAW_ALGORITHM,
        auditHead,
        seed,
        inputs,
        candidates,
        candidatesSha256: digest,
        reviewer: draw.reviewer,
        recordings: draw.recordings.map((r) => ({ recordingId: r, officerNo: byId.get(r)?.officerNo ?? null, unitNo: byId.get(r)?.unitNo ?? null })),
      });
      this.ledger.audit.append(at, user.username, 'spot_check.drawn', String(id), {
        seed,
        auditHead,
        algorithm: DRAW_ALGORITHM,
        inputs,
        candidates,
        candidatesSha256: digest,
        recordings: draw.recordings,
        reviewer: draw.reviewer,
      });
      return id;
    });
    return this.get(id);
  }

  get(id: number): SpotCheck {
    const s = this.ledger.spotChecks.get(id);
    if (!s) throw new ServiceError('not_found', `no spot-check ${id}`);
    return s;
  }

  /** Re-run a draw from its stored seed and inputs: the same candidates give the same sample and reviewer. */
  redraw(id: number): Redraw {
    const s = this.get(id);
    if (s.algorithm !== DRAW_ALGORITHM) throw new ServiceError('conflict', `spot-check ${id} was drawn by ${s.algorithm}, which this dock does not run`);
    const { draw, candidates, digest } = this.run(s.seed, s.inputs, s.drawnAtMs);
    const drawn = s.recordings.map((r) => r.recordingId);
    const same = digest === s.candidatesSha256 && draw.reviewer === s.reviewer && draw.recordings.length === drawn.length && draw.recordings.every((r, i) => r === drawn[i]);
    return { id, seed: s.seed, recordings: draw.recordings, reviewer: draw.reviewer, candidates, candidatesSha256: digest, same };
  }

  private run(seed: string, inputs: SpotCheckInputs, atMs: number): { draw: Draw; candidates: number; digest: string; byId: Map<number, { officerNo: string; unitNo: string | null }> } {
    const rows = this.ledger.spotChecks.candidates({ ...inputs, atMs });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const ids = rows.map((r) => r.id);
    const draw = drawSpotCheck({ seed, candidates: ids, size: inputs.size, reviewers: inputs.reviewers, officerOf: (r) => byId.get(r)?.officerNo ?? null });
    return { draw, candidates: ids.length, digest: candidatesDigest(ids), byId };
  }

  /**
   * The ground on which `user` plays `recordingId` for spot-check `id`: only its reviewer, only a sampled
   * recording. The media route registers the view under it.
   */
  groundFor(user: Pick<AuthUser, 'username'>, id: number, recordingId: number): string {
    const s = this.get(id);
    if (s.reviewer !== user.username) throw new ServiceError('forbidden', `only the reviewer of spot-check ${id} plays its recordings on its ground`);
    if (!s.recordings.some((r) => r.recordingId === recordingId)) throw new ServiceError('invalid', `recording ${recordingId} is not in spot-check ${id}`, 'spotCheck');
    return spotCheckGround(id);
  }

  /**
   * Score one sampled recording: only the reviewer, once, after playing it on the spot-check's ground; every
   * checklist item, a failed one with a note. Failed items become `spot_check_failed` findings against the
   * recording's officer, all in one transaction with the audit entry.
   */
  score(id: number, user: Pick<AuthUser, 'username'>, body: { recordingId: number; items: Array<{ item: string; pass: boolean; note?: string | null | undefined }>; comment: string }): SpotCheck {
    const s = this.get(id);
    if (s.reviewer !== user.username) throw new ServiceError('forbidden', `spot-check ${id} is reviewed by ${s.reviewer ?? 'nobody'}; only the reviewer scores it`);
    const entry = s.recordings.find((r) => r.recordingId === body.recordingId);
    if (!entry) throw new ServiceError('invalid', `body.recordingId: recording ${body.recordingId} is not in spot-check ${id}`, 'recordingId');
    if (entry.scoredAtMs !== null) throw new ServiceError('conflict', `recording ${body.recordingId} of spot-check ${id} is scored already`);
    const problem = scoreSheetProblem(body.items);
    if (problem) throw new ServiceError('invalid', `body.items: ${problem}`, 'items');
    const ground = spotCheckGround(id);
    const viewed = this.ledger.access.list({ recordingId: body.recordingId, username: user.username, kind: 'view', limit: 1000 }).some((a) => a.ground === ground);
    if (!viewed) throw new ServiceError('conflict', `play recording ${body.recordingId} for spot-check ${id} before scoring it (no view on the register on the ground ${ground})`);
    const rec = this.ledger.recordings.get(body.recordingId);
    const order = new Map(CHECKLIST.map((c, i) => [c.item, i]));
    const items: SpotCheckItemScore[] = [...body.items]
      .sort((a, b) => order.get(a.item)! - order.get(b.item)!)
      .map((i) => ({ item: i.item, pass: i.pass, note: i.note?.trim() ? i.note.trim() : null }));
    const at = this.now();
    this.ledger.tx(() => {
      if (!this.ledger.spotChecks.score(id, body.recordingId, { by: user.username, atMs: at, at: this.iso(at), items, comment: body.comment })) {
        throw new ServiceError('conflict', `recording ${body.recordingId} of spot-check ${id} is scored already`);
      }
      const findings: number[] = [];
      for (const i of items.filter((x) => !x.pass)) {
        const rule = CHECKLIST.find((c) => c.item === i.item)!;
        const f = this.ledger.findings.raise(
          {
            kind: SPOT_CHECK_FINDING,
            detail: `spot-check ${id}: ${rule.rule} ${i.item}: ${i.note}`,
            recordingId: body.recordingId,
            serial: rec?.serial ?? null,
            officerNo: entry.officerNo,
            dedupeKey: `spot-check/${id}/${body.recordingId}/${i.item}`,
          },
          at,
        );
        if (f.created) findings.push(f.id);
      }
      this.ledger.audit.append(at, user.username, 'spot_check.scored', String(id), {
        recordingId: body.recordingId,
        officerNo: entry.officerNo,
        items,
        comment: body.comment,
        findings,
      });
    });
    return this.get(id);
  }

  /** Each unit's last review, and whether it had one this year (local calendar year of the dock). */
  units(): Array<{ unitNo: string; unitName: string; lastReviewAt: string | null; reviewedThisYear: boolean; year: number }> {
    const year = yearOf(this.now(), this.timezone);
    const { fromMs, toMs } = yearBounds(year, this.timezone);
    return this.ledger.spotChecks.unitReviews(fromMs, toMs, this.iso).map((u) => ({
      unitNo: u.unitNo,
      unitName: u.unitName,
      lastReviewAt: u.lastReviewAt,
      reviewedThisYear: u.reviewedInRange > 0,
      year,
    }));
  }
}
