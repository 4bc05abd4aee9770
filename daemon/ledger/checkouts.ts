import type { Db } from './db.js';

/** One period of a recorder in an officer's hands (004 §4 使用情况台账). */
export interface Checkout {
  id: number;
  serial: string;
  officerNo: string;
  outAtMs: number;
  outBy: string;
  leftDockAtMs: number | null;
  inAtMs: number | null;
  inBy: string | null;
  inSessionId: string | null;
}

export interface CheckoutRow {
  id: number;
  serial: string;
  officer_no: string;
  out_at_ms: number;
  out_by: string;
  left_dock_at_ms: number | null;
  in_at_ms: number | null;
  in_by: string | null;
  in_session_id: string | null;
}

export const toCheckout = (r: CheckoutRow): Checkout => ({
  id: r.id,
  serial: r.serial,
  officerNo: r.officer_no,
  outAtMs: r.out_at_ms,
  outBy: r.out_by,
  leftDockAtMs: r.left_dock_at_ms,
  inAtMs: r.in_at_ms,
  inBy: r.in_by,
  inSessionId: r.in_session_id,
});

const OPEN = 'SELECT * FROM checkouts WHERE serial = ? AND in_at_ms IS NULL ORDER BY out_at_ms DESC LIMIT 1';
const PAGE_FIRST = 'SELECT * FROM checkouts WHERE serial = ? ORDER BY out_at_ms DESC, id DESC LIMIT ?';
const PAGE_AFTER = 'SELECT * FROM checkouts WHERE serial = ? AND out_at_ms <= ? AND (out_at_ms < ? OR id < ?) ORDER BY out_at_ms DESC, id DESC LIMIT ?';

/** Where a page of checkouts ends: the last period's out time and id (ids break ties between equal times). */
export interface CheckoutKey {
  outAtMs: number;
  id: number;
}

export class CheckoutRepo {
  constructor(private readonly db: Db) {}

  /** The recorder's open checkout, if any: through the partial index checkouts_open (migration 14), not all its periods. */
  open(serial: string): Checkout | null {
    const r = this.db.prepare(OPEN).get(serial) as CheckoutRow | undefined;
    return r ? toCheckout(r) : null;
  }

  get(id: number): Checkout | null {
    const r = this.db.prepare('SELECT * FROM checkouts WHERE id = ?').get(id) as CheckoutRow | undefined;
    return r ? toCheckout(r) : null;
  }

  /** The checkout whose period covers an instant on this recorder, if any. */
  covering(serial: string, atMs: number): Checkout | null {
    const r = this.db
      .prepare('SELECT * FROM checkouts WHERE serial = ? AND out_at_ms <= ? AND (in_at_ms IS NULL OR in_at_ms >= ?) ORDER BY out_at_ms DESC LIMIT 1')
      .get(serial, atMs, atMs) as CheckoutRow | undefined;
    return r ? toCheckout(r) : null;
  }

  /** Every checkout of a recorder, newest first: the facts the docking planner attributes recordings from. */
  ofDevice(serial: string): Checkout[] {
    return (this.db.prepare('SELECT * FROM checkouts WHERE serial = ? ORDER BY out_at_ms DESC').all(serial) as CheckoutRow[]).map(toCheckout);
  }

  forDevice(serial: string, limit = 1000): Checkout[] {
    return (this.db.prepare('SELECT * FROM checkouts WHERE serial = ? ORDER BY out_at_ms DESC LIMIT ?').all(serial, limit) as CheckoutRow[]).map(toCheckout);
  }

  /**
   * One page of a recorder's checkouts, newest first, strictly after the keyset (outAtMs, id) of the last one
   * shown: the index checkouts_serial (serial, out_at_ms, then the rowid) answers it in order, and the leading
   * `<=` lets it seek straight to the cursor instead of walking the periods before it.
   */
  pageOfDevice(serial: string, limit: number, after?: CheckoutKey): Checkout[] {
    const rows = after ? this.db.prepare(PAGE_AFTER).all(serial, after.outAtMs, after.outAtMs, after.id, limit) : this.db.prepare(PAGE_FIRST).all(serial, limit);
    return (rows as CheckoutRow[]).map(toCheckout);
  }

  /** The query plans of {@link pageOfDevice} and {@link open} (EXPLAIN QUERY PLAN details), for the test that guards their indexes. */
  plans(): { first: string[]; after: string[]; open: string[] } {
    const plan = (sql: string, ...args: unknown[]) => (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
    return { first: plan(PAGE_FIRST, 'X', 1), after: plan(PAGE_AFTER, 'X', 0, 0, 0, 1), open: plan(OPEN, 'X') };
  }

  forOfficer(officerNo: string, limit = 1000): Checkout[] {
    return (this.db.prepare('SELECT * FROM checkouts WHERE officer_no = ? ORDER BY out_at_ms DESC LIMIT ?').all(officerNo, limit) as CheckoutRow[]).map(toCheckout);
  }

  checkOut(serial: string, officerNo: string, by: string, atMs: number): number {
    const info = this.db.prepare('INSERT INTO checkouts (serial, officer_no, out_at_ms, out_by) VALUES (?,?,?,?)').run(serial, officerNo, atMs, by);
    return Number(info.lastInsertRowid);
  }

  leftDock(id: number, atMs: number): void {
    this.db.prepare('UPDATE checkouts SET left_dock_at_ms = ? WHERE id = ? AND left_dock_at_ms IS NULL').run(atMs, id);
  }

  checkIn(id: number, by: string, atMs: number, sessionId: string | null): void {
    this.db.prepare('UPDATE checkouts SET in_at_ms = ?, in_by = ?, in_session_id = ? WHERE id = ? AND in_at_ms IS NULL').run(atMs, by, sessionId, id);
  }
}
