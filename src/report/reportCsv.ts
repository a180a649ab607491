// The report table as CSV (RFC 4180): one row per method, one column per task, then the
// average; accuracy in percent with two decimals, empty where not evaluated.

import type { Report } from './buildReport.js';
import { fixed } from './rounding.js';
import { parseLabel } from './derived.js';
import { leadingRowIndex } from './buildReport.js';

function quote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Render the accuracy table as CSV. */
export function reportCsv(report: Report): string {
  const lines = [['method', ...report.tasks, 'average'].map(quote).join(',')];
  for (const r of report.rows) {
    const cells = report.tasks.map((t) => (r.accuracy[t] === undefined ? '' : fixed(r.accuracy[t]!, 2)));
    lines.push([quote(r.method), ...cells, r.average === null ? '' : fixed(r.average, 2)].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * The report in long ("tidy") format, one value per line: method, its parameters (k=v;k=v),
 * task, metric (accuracy %, loss, n), value, run — what pandas and W&B tables read directly.
 * The row label stays in `label`, so baselines and methods with equal names stay apart.
 */
export function reportCsvLong(report: Report): string {
  const lines = [['label', 'method', 'params', 'task', 'metric', 'value', 'run'].join(',')];
  const run = report.provenance?.run ?? report.run ?? '';
  for (const r of report.rows) {
    const base = leadingRowIndex(r.method);
    const spec = r.spec ?? (base === 0 ? { method: 'pretrained', params: {} } : base === 1 ? { method: 'finetuned', params: {} } : parseLabel(r.method));
    const params = Object.entries(spec.params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(';');
    const row = (task: string, metric: string, value: string): void => void lines.push([r.method, spec.method, params, task, metric, value, run].map(quote).join(','));
    for (const t of report.tasks) {
      if (r.accuracy[t] !== undefined) row(t, 'accuracy', fixed(r.accuracy[t]!, 2));
      if (r.loss[t] !== undefined && Number.isFinite(r.loss[t])) row(t, 'loss', fixed(r.loss[t]!, 4));
      if (r.n[t] !== undefined) row(t, 'n', String(r.n[t]));
    }
    if (r.average !== null) row('average', 'accuracy', fixed(r.average, 2));
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
