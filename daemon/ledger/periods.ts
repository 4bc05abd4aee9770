import { toCheckout, type Checkout, type CheckoutRow } from './checkouts.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

/** What a recorder recorded during one checkout period (004 §4 台账: 记录内容). */
export interface PeriodContent {
  recordings: number;
  durationMs: number;
  bytes: number;
}

/**
 * Recordings of a checkout period: those the offload linked to the checkout, and unlinked recordings of the
 * same recorder whose time falls inside the period (out → in, or → `untilMs` while still out).
 */
export const PERIOD_WHERE = `r.purged_at_ms IS NULL AND (r.checkout_id = @id OR (r.checkout_id IS NULL AND r.serial = @serial AND r.sort_ms >= @outMs AND r.sort_ms <= @inMs))`;

export class PeriodRepo {
  /** Prepared once: a device ledger asks this for each of up to 1000 periods, and preparing costs more than the query. */
  private contentSt: Statement | null = null;

  constructor(private readonly db: Db) {}

  content(p: { id: number; serial: string; outMs: number; inMs: number }): PeriodContent {
    this.contentSt ??= this.db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(r.duration_ms),0) AS d, COALESCE(SUM(r.size),0) AS b FROM recordings r WHERE ${PERIOD_WHERE}`);
    const r = this.contentSt.get(p) as { n: number; d: number; b: number };
    return { recordings: r.n, durationMs: r.d, bytes: r.b };
  }

  recordingIds(p: { id: number; serial: string; outMs: number; inMs: number }, limit: number): number[] {
    return (this.db.prepare(`SELECT r.id FROM recordings r WHERE ${PERIOD_WHERE} ORDER BY r.sort_ms LIMIT @limit`).all({ ...p, limit }) as Array<{ id: number }>).map((r) => r.id);
  }

  /** Checkout periods for the ledger export, oldest first; a period overlaps [fromMs, toMs) when given. */
  checkouts(q: { serial?: string; officerNo?: string; fromMs?: number; toMs?: number; limit: number }): Checkout[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.serial) (where.push('serial = ?'), args.push(q.serial));
    if (q.officerNo) (where.push('officer_no = ?'), args.push(q.officerNo));
    if (q.toMs !== undefined) (where.push('out_at_ms < ?'), args.push(q.toMs));
    if (q.fromMs !== undefined) (where.push('(in_at_ms IS NULL OR in_at_ms >= ?)'), args.push(q.fromMs));
    const sql = `SELECT * FROM checkouts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY out_at_ms, id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as CheckoutRow[]).map(toCheckout);
  }
}
