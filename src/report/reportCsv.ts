// The report table as CSV (RFC 4180): one row per method, one column per task, then the
// average; accuracy in percent with two decimals, empty where not evaluated.

import type { Report } from './buildReport.js';

function quote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Render the accuracy table as CSV. */
export function reportCsv(report: Report): string {
  const lines = [['method', ...report.tasks, 'average'].map(quote).join(',')];
  for (const r of report.rows) {
    const cells = report.tasks.map((t) => (r.accuracy[t] === undefined ? '' : r.accuracy[t]!.toFixed(2)));
    lines.push([quote(r.method), ...cells, r.average === null ? '' : r.average.toFixed(2)].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Parse RFC 4180 CSV into rows of fields (for `fbw show` and for checking the writer). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i++; continue; }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === '') { quoted = true; i++; continue; }
    if (ch === ',') { row.push(field); field = ''; i++; continue; }
    if (ch === '\r' || ch === '\n') {
      row.push(field); rows.push(row); row = []; field = '';
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch; i++;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}
