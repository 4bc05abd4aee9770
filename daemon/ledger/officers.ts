import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

export interface Officer {
  officerNo: string;
  name: string;
  unitNo: string;
  unitName: string;
}

interface Row {
  officer_no: string;
  name: string;
  unit_no: string;
  unit_name: string;
}

const toOfficer = (r: Row): Officer => ({ officerNo: r.officer_no, name: r.name, unitNo: r.unit_no, unitName: r.unit_name });

export class OfficerRepo {
  /** Prepared once: lists look an officer up per row. */
  private getSt: Statement | null = null;

  constructor(private readonly db: Db) {}

  get(officerNo: string): Officer | null {
    this.getSt ??= this.db.prepare('SELECT * FROM officers WHERE officer_no = ?');
    const r = this.getSt.get(officerNo) as Row | undefined;
    return r ? toOfficer(r) : null;
  }

  list(opts: { limit: number; after?: string; unitNo?: string }): Officer[] {
    const args: unknown[] = [opts.after ?? ''];
    let sql = 'SELECT * FROM officers WHERE officer_no > ?';
    if (opts.unitNo) (sql += ' AND unit_no = ?'), args.push(opts.unitNo);
    return (this.db.prepare(`${sql} ORDER BY officer_no LIMIT ?`).all(...args, opts.limit) as Row[]).map(toOfficer);
  }

  /** Create or update; returns whether it existed before. */
  upsert(o: Officer, atMs: number): boolean {
    const existed = this.get(o.officerNo) !== null;
    this.db
      .prepare(
        `INSERT INTO officers (officer_no, name, unit_no, unit_name, created_at_ms) VALUES (@officerNo,@name,@unitNo,@unitName,@atMs)
         ON CONFLICT(officer_no) DO UPDATE SET name=@name, unit_no=@unitNo, unit_name=@unitName`,
      )
      .run({ ...o, atMs });
    return existed;
  }
}
