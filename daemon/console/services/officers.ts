import iconv from 'iconv-lite';
import { CheckoutError, checkOfficerFields } from '../../dock/checkout.js';
import type { Ledger } from '../../ledger/index.js';
import type { Officer } from '../../ledger/officers.js';
import { parseCsv } from './csv.js';
import { ServiceError } from './errors.js';

export const OFFICER_CSV_HEADER = ['officerNo', 'name', 'unitNo', 'unitName'] as const;
/** The same columns as a Chinese spreadsheet names them (the console's template). */
const CHINESE_HEADER: Record<string, (typeof OFFICER_CSV_HEADER)[number]> = { 警号: 'officerNo', 姓名: 'name', 单位编号: 'unitNo', 单位名称: 'unitName' };

/**
 * A CSV file's text: UTF-8 (with or without a BOM) when it is valid UTF-8, else GBK, as a Chinese spreadsheet
 * saves "CSV" (issue 18: such a file was refused).
 */
export function decodeCsv(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return iconv.decode(bytes, 'gbk');
  }
}

/** One refused row of an import preview. */
export interface ImportProblem {
  line: number;
  field: string | null;
  message: string;
}

/** Check an officer entry for the recorder's INFO block; ServiceError('invalid') naming the field. */
function validateOfficer(o: Officer, where = 'body'): Officer {
  const clean = { officerNo: o.officerNo.trim(), name: o.name.trim(), unitNo: o.unitNo.trim(), unitName: o.unitName.trim() };
  try {
    checkOfficerFields(clean);
  } catch (e) {
    if (e instanceof CheckoutError && e.field) throw new ServiceError('invalid', `${where}.${e.message}`, e.field);
    throw e;
  }
  return clean;
}

/** Officers from CSV with the header `officerNo,name,unitNo,unitName` (any column order); every row checked. */
export function parseOfficersCsv(text: string): Officer[] {
  const rows = parseCsv(text);
  const head = rows[0];
  if (!head) throw new ServiceError('invalid', 'body: empty CSV; the first line must be officerNo,name,unitNo,unitName');
  const col = new Map(head.cells.map((c, i) => [CHINESE_HEADER[c.trim()] ?? c.trim(), i]));
  for (const h of OFFICER_CSV_HEADER) if (!col.has(h)) throw new ServiceError('invalid', `line 1: missing column ${h} (header must name officerNo,name,unitNo,unitName)`, h);
  const seen = new Set<string>();
  const out: Officer[] = [];
  for (const r of rows.slice(1)) {
    const get = (h: (typeof OFFICER_CSV_HEADER)[number]) => r.cells[col.get(h)!] ?? '';
    const o = validateOfficer({ officerNo: get('officerNo'), name: get('name'), unitNo: get('unitNo'), unitName: get('unitName') }, `line ${r.line}`);
    if (seen.has(o.officerNo)) throw new ServiceError('invalid', `line ${r.line}.officerNo: ${o.officerNo} appears twice`, 'officerNo');
    seen.add(o.officerNo);
    out.push(o);
  }
  if (out.length === 0) throw new ServiceError('invalid', 'body: the CSV has a header but no officers');
  return out;
}

/** The officer registry: single entries and CSV imports, each change audited in its own transaction. */
export class OfficerRegistry {
  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number,
  ) {}

  save(o: Officer, by: string): { officer: Officer; created: boolean } {
    const clean = validateOfficer(o);
    const at = this.now();
    const existed = this.ledger.tx(() => {
      const before = this.ledger.officers.get(clean.officerNo);
      this.ledger.officers.upsert(clean, at);
      this.ledger.audit.append(at, by, before ? 'officer.updated' : 'officer.created', clean.officerNo, { before, after: clean });
      return before !== null;
    });
    return { officer: clean, created: !existed };
  }

  /**
   * What an import would do, without doing it: every row checked (not only up to the first bad one), the
   * problems by line and field, and how many officers would be created or updated.
   */
  previewCsv(text: string): { officers: Officer[]; problems: ImportProblem[]; created: number; updated: number } {
    const rows = parseCsv(text);
    const head = rows[0];
    if (!head) throw new ServiceError('invalid', 'body: empty CSV; the first line must be officerNo,name,unitNo,unitName');
    const col = new Map(head.cells.map((c, i) => [CHINESE_HEADER[c.trim()] ?? c.trim(), i]));
    const problems: ImportProblem[] = [];
    for (const h of OFFICER_CSV_HEADER) if (!col.has(h)) problems.push({ line: 1, field: h, message: `missing column ${h}` });
    if (problems.length > 0) return { officers: [], problems, created: 0, updated: 0 };
    const seen = new Set<string>();
    const officers: Officer[] = [];
    for (const r of rows.slice(1)) {
      const get = (h: (typeof OFFICER_CSV_HEADER)[number]) => r.cells[col.get(h)!] ?? '';
      try {
        const o = validateOfficer({ officerNo: get('officerNo'), name: get('name'), unitNo: get('unitNo'), unitName: get('unitName') }, `line ${r.line}`);
        if (seen.has(o.officerNo)) throw new ServiceError('invalid', `line ${r.line}.officerNo: ${o.officerNo} appears twice`, 'officerNo');
        seen.add(o.officerNo);
        officers.push(o);
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        problems.push({ line: r.line, field: e.field ?? null, message: e.message });
      }
    }
    const existing = officers.filter((o) => this.ledger.officers.get(o.officerNo) !== null).length;
    return { officers, problems, created: officers.length - existing, updated: existing };
  }

  /** All rows or none: a bad row refuses the whole file, naming its line and field. */
  importCsv(text: string, by: string): { created: number; updated: number } {
    const officers = parseOfficersCsv(text);
    const at = this.now();
    return this.ledger.tx(() => {
      let created = 0;
      for (const o of officers) if (!this.ledger.officers.upsert(o, at)) created++;
      this.ledger.audit.append(at, by, 'officers.imported', null, { created, updated: officers.length - created, officerNos: officers.map((o) => o.officerNo) });
      return { created, updated: officers.length - created };
    });
  }
}
