import type { Checkout } from '../../ledger/checkouts.js';
import type { Ledger } from '../../ledger/index.js';
import { toCsv } from './csv.js';

/** One checkout period as the ledger shows it: handovers with who performed them, and what was recorded. */
export interface PeriodView {
  id: number;
  serial: string;
  officerNo: string;
  officerName: string | null;
  unitNo: string | null;
  unitName: string | null;
  outAt: string;
  outBy: string;
  leftDockAt: string | null;
  inAt: string | null;
  inBy: string | null;
  inSessionId: string | null;
  recordings: number;
  durationMs: number;
  hours: number;
  bytes: number;
}

/** The device ledger (使用情况台账) over checkouts, recordings and officers. */
export class LedgerView {
  constructor(
    private readonly ledger: Ledger,
    private readonly iso: (ms: number) => string,
    private readonly now: () => number,
  ) {}

  period(c: Checkout): PeriodView {
    const officer = this.ledger.officers.get(c.officerNo);
    const content = this.ledger.periods.content({ id: c.id, serial: c.serial, outMs: c.outAtMs, inMs: c.inAtMs ?? this.now() });
    return {
      id: c.id,
      serial: c.serial,
      officerNo: c.officerNo,
      officerName: officer?.name ?? null,
      unitNo: officer?.unitNo ?? null,
      unitName: officer?.unitName ?? null,
      outAt: this.iso(c.outAtMs),
      outBy: c.outBy,
      leftDockAt: c.leftDockAtMs === null ? null : this.iso(c.leftDockAtMs),
      inAt: c.inAtMs === null ? null : this.iso(c.inAtMs),
      inBy: c.inBy,
      inSessionId: c.inSessionId,
      recordings: content.recordings,
      durationMs: content.durationMs,
      hours: Math.round((content.durationMs / 3_600_000) * 100) / 100,
      bytes: content.bytes,
    };
  }

  /** Recording ids of one period, for the ledger's drill-down. */
  periodRecordingIds(c: Checkout, limit = 1000): number[] {
    return this.ledger.periods.recordingIds({ id: c.id, serial: c.serial, outMs: c.outAtMs, inMs: c.inAtMs ?? this.now() }, limit);
  }

  forOfficer(officerNo: string): PeriodView[] {
    return this.ledger.checkouts.forOfficer(officerNo).map((c) => this.period(c));
  }

  exportCsv(q: { serial?: string; officerNo?: string; fromMs?: number; toMs?: number; chineseHeader?: boolean }): { csv: string; rows: number } {
    const { chineseHeader, ...filter } = q;
    const periods = this.ledger.periods.checkouts({ ...filter, limit: 100_000 }).map((c) => this.period(c));
    const header = chineseHeader ? LEDGER_HEADER_ZH : ['checkoutId', 'serial', 'idCode', 'officerNo', 'officerName', 'unitNo', 'unitName', 'outAt', 'outBy', 'leftDockAt', 'inAt', 'inBy', 'inSessionId', 'recordings', 'hours', 'bytes'];
    const idCodes = new Map<string, string>();
    const idCode = (s: string) => {
      if (!idCodes.has(s)) idCodes.set(s, this.ledger.devices.get(s)?.idCode ?? '');
      return idCodes.get(s)!;
    };
    const rows = periods.map((p) => [p.id, p.serial, idCode(p.serial), p.officerNo, p.officerName, p.unitNo, p.unitName, p.outAt, p.outBy, p.leftDockAt, p.inAt, p.inBy, p.inSessionId, p.recordings, p.hours, p.bytes]);
    return { csv: toCsv(header, rows), rows: rows.length };
  }
}

/** The ledger export's columns as the unit's 台账 names them (the console asks for these). */
const LEDGER_HEADER_ZH = ['领用编号', '执法记录仪编号', '型号', '警号', '姓名', '单位编号', '单位名称', '领用时间', '发放人', '离开采集站时间', '归还时间', '归还经办', '采集记录编号', '音像记录条数', '录制时长（小时）', '数据量（字节）'];
