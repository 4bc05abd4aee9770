import { ServiceError } from './errors.js';

/** RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF line ends, a UTF-8 BOM ignored. Blank lines are skipped. */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const rows: Array<{ line: number; cells: string[] }> = [];
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let sawQuote = false;
  const endRow = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '' && !sawQuote)) rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
    sawQuote = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      if (cell !== '') throw new ServiceError('invalid', `line ${line}: a quote inside an unquoted field`);
      quoted = true;
      sawQuote = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\r' && s[i + 1] === '\n') {
    } else if (c === '\n') {
      endRow();
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (quoted) throw new ServiceError('invalid', `line ${rowLine}: a quoted field is not closed`);
  if (cell !== '' || cells.length > 0 || sawQuote) endRow();
  return rows;
}

/** One CSV cell; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text with a UTF-8 BOM (so spreadsheet programs show Chinese names) and CRLF line ends. */
export function toCsv(header: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  return '\ufeff' + [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
