import type { Db } from './db.js';

/**
 * How the yearly figures are grouped: per officer (the recording's officer), per unit (the officer's unit in the
 * registry, else the unit the recording was made under), or the whole dock. Rows without an officer have the
 * key '' (per officer) and count under their recording's unit.
 */
export type ReportGrouping = 'officer' | 'unit' | 'all';

/** The raw counts of one group for one year; the console derives hours, medians, rates and shares from them. */
export interface RawGroupFigures {
  recordings: number;
  footageMs: number;
  /** Offload delay of each recording (ms from its end to its storage), for the median. */
  delaysMs: number[];
  lateOffloads: number;
  /** Findings by kind, then by state (open, justified, approved, rejected, info). */
  findings: Record<string, Record<string, number>>;
  spotChecked: number;
  spotItemsPassed: number;
  spotItemsFailed: number;
  /** Access requests naming the group's recordings, by kind then state (pending, approved, denied). */
  accessRequests: Record<string, Record<string, number>>;
  holds: number;
  purges: number;
  checkouts: number;
  checkoutsWithFootage: number;
}

export const emptyFigures = (): RawGroupFigures => ({
  recordings: 0,
  footageMs: 0,
  delaysMs: [],
  lateOffloads: 0,
  findings: {},
  spotChecked: 0,
  spotItemsPassed: 0,
  spotItemsFailed: 0,
  accessRequests: {},
  holds: 0,
  purges: 0,
  checkouts: 0,
  checkoutsWithFootage: 0,
});

/** The grouping key over a recording `r` joined with its officer `o`. */
function recKey(by: ReportGrouping): string {
  if (by === 'officer') return "COALESCE(r.officer_no, '')";
  if (by === 'unit') return "COALESCE(o.unit_no, r.unit_no, '')";
  return "''";
}

/**
 * The yearly statistics' queries (R14): each counts what happened in [fromMs, toMs) and groups it. A recording
 * belongs to the year it started in (corrected time, else the recorder's, else its storage); a finding to its
 * recording's year, else the start of what it is about, else when it was raised; a review to when it was scored;
 * a request to when it was filed; a hold to when it was placed; a purge to its tombstone; a checkout to when it went out.
 */
export class YearlyReportRepo {
  constructor(private readonly db: Db) {}

  figures(by: ReportGrouping, fromMs: number, toMs: number): Map<string, RawGroupFigures> {
    const out = new Map<string, RawGroupFigures>();
    const of = (k: string) => {
      let f = out.get(k);
      if (!f) out.set(k, (f = emptyFigures()));
      return f;
    };
    const key = recKey(by);
    const REC = 'recordings r LEFT JOIN officers o ON o.officer_no = r.officer_no';
    /** The recording `id` names, with its officer. */
    const recOf = (id: string) => `JOIN recordings r ON r.id = ${id} LEFT JOIN officers o ON o.officer_no = r.officer_no`;
    const yr = [fromMs, toMs];

    for (const x of this.db.prepare(`SELECT ${key} AS k, COUNT(*) AS n, COALESCE(SUM(r.duration_ms), 0) AS ms FROM ${REC} WHERE r.sort_ms >= ? AND r.sort_ms < ? GROUP BY k`).all(...yr) as Array<{ k: string; n: number; ms: number }>) {
      const f = of(x.k);
      f.recordings = x.n;
      f.footageMs = x.ms;
    }
    for (const x of this.db.prepare(`SELECT ${key} AS k, r.delay_ms AS d FROM ${REC} WHERE r.sort_ms >= ? AND r.sort_ms < ? AND r.delay_ms IS NOT NULL`).iterate(...yr) as IterableIterator<{ k: string; d: number }>) {
      of(x.k).delaysMs.push(x.d);
    }
    for (const x of this.db
      .prepare(`SELECT ${key} AS k, COUNT(*) AS n FROM recording_flags fl ${recOf('fl.recording_id')} WHERE fl.flag = 'late_offload' AND r.sort_ms >= ? AND r.sort_ms < ? GROUP BY k`)
      .all(...yr) as Array<{ k: string; n: number }>) {
      of(x.k).lateOffloads = x.n;
    }
    // Findings: the officer is the finding's (else its recording's); the unit that officer's, else the recording's.
    const fKey = by === 'officer' ? "COALESCE(f.officer_no, r.officer_no, '')" : by === 'unit' ? "COALESCE(o.unit_no, r.unit_no, '')" : "''";
    for (const x of this.db
      .prepare(
        `SELECT ${fKey} AS k, f.kind, f.state, COUNT(*) AS n FROM findings f LEFT JOIN recordings r ON r.id = f.recording_id
         LEFT JOIN officers o ON o.officer_no = COALESCE(f.officer_no, r.officer_no)
         WHERE COALESCE(r.sort_ms, f.from_ms, f.created_at_ms) >= ? AND COALESCE(r.sort_ms, f.from_ms, f.created_at_ms) < ? GROUP BY k, f.kind, f.state`,
      )
      .all(...yr) as Array<{ k: string; kind: string; state: string; n: number }>) {
      const byKind = (of(x.k).findings[x.kind] ??= {});
      byKind[x.state] = (byKind[x.state] ?? 0) + x.n;
    }
    const sKey = by === 'officer' ? "COALESCE(s.officer_no, '')" : by === 'unit' ? "COALESCE(s.unit_no, '')" : "''";
    for (const x of this.db
      .prepare(`SELECT ${sKey} AS k, COUNT(*) AS n, SUM(s.passed) AS p, SUM(s.failed) AS fl FROM spot_check_recordings s WHERE s.scored_at_ms >= ? AND s.scored_at_ms < ? GROUP BY k`)
      .all(...yr) as Array<{ k: string; n: number; p: number; fl: number }>) {
      const f = of(x.k);
      f.spotChecked = x.n;
      f.spotItemsPassed = x.p;
      f.spotItemsFailed = x.fl;
    }
    for (const x of this.db
      .prepare(
        `SELECT ${key} AS k, a.kind, a.state, COUNT(DISTINCT a.id) AS n FROM access_requests a JOIN access_request_recordings g ON g.request_id = a.id
         ${recOf('g.recording_id')} WHERE a.filed_at_ms >= ? AND a.filed_at_ms < ? GROUP BY k, a.kind, a.state`,
      )
      .all(...yr) as Array<{ k: string; kind: string; state: string; n: number }>) {
      const byKind = (of(x.k).accessRequests[x.kind] ??= {});
      byKind[x.state] = (byKind[x.state] ?? 0) + x.n;
    }
    for (const x of this.db
      .prepare(`SELECT ${key} AS k, COUNT(DISTINCT h.id) AS n FROM holds h JOIN hold_recordings hr ON hr.hold_id = h.id ${recOf('hr.recording_id')} WHERE h.placed_at_ms >= ? AND h.placed_at_ms < ? GROUP BY k`)
      .all(...yr) as Array<{ k: string; n: number }>) {
      of(x.k).holds = x.n;
    }
    for (const x of this.db
      .prepare(`SELECT ${key} AS k, COUNT(*) AS n FROM tombstones t ${recOf('t.recording_id')} WHERE t.at_ms >= ? AND t.at_ms < ? GROUP BY k`)
      .all(...yr) as Array<{ k: string; n: number }>) {
      of(x.k).purges = x.n;
    }
    const cKey = by === 'officer' ? 'c.officer_no' : by === 'unit' ? "COALESCE(o.unit_no, '')" : "''";
    for (const x of this.db
      .prepare(
        `SELECT ${cKey} AS k, COUNT(*) AS n, SUM(EXISTS (SELECT 1 FROM recordings x WHERE x.checkout_id = c.id)) AS w
         FROM checkouts c LEFT JOIN officers o ON o.officer_no = c.officer_no WHERE c.out_at_ms >= ? AND c.out_at_ms < ? GROUP BY k`,
      )
      .all(...yr) as Array<{ k: string; n: number; w: number }>) {
      const f = of(x.k);
      f.checkouts = x.n;
      f.checkoutsWithFootage = x.w;
    }
    return out;
  }

  /** Record an export of a year's report (call in the transaction of its audit entry). */
  recordExport(year: number, format: 'json' | 'csv', by: string, atMs: number, at: string): void {
    this.db.prepare('INSERT INTO report_exports (year, format, exported_by, exported_at, exported_at_ms) VALUES (?,?,?,?,?)').run(year, format, by, at, atMs);
  }

  /** The first export of a year's report (ISO time), or null. */
  firstExport(year: number): string | null {
    const r = this.db.prepare('SELECT exported_at FROM report_exports WHERE year = ? ORDER BY exported_at_ms, id LIMIT 1').get(year) as { exported_at: string } | undefined;
    return r?.exported_at ?? null;
  }
}
