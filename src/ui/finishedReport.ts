// What a finished run shows under its stage table: the report's accuracy table (the Markdown
// one `fbw show` prints) and the path of the HTML report, the file a person opens next.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { elideMiddle } from './format.js';

/** The report files of a finished run, and the accuracy table's lines. */
export interface FinishedReport {
  /** report.html, when the run wrote one */
  readonly html?: string;
  /** the "## Accuracy (%)" table of report.md, with its legend lines; empty without one */
  readonly table: readonly string[];
}

/** Read the report beside the run's `report.json` (the `finished` event's path). */
export function readFinishedReport(reportJson: string): FinishedReport {
  const dir = path.dirname(reportJson);
  const html = path.join(dir, 'report.html');
  let table: string[] = [];
  try {
    table = accuracyTable(readFileSync(path.join(dir, 'report.md'), 'utf8'));
  } catch {
    // no Markdown report (an older store): the path line alone
  }
  return { ...(existsSync(html) ? { html } : {}), table };
}

/** The lines of the accuracy section of a report.md: the table and the notes under it. */
export function accuracyTable(md: string): string[] {
  const lines = md.split('\n');
  const at = lines.findIndex((l) => /^## Accuracy/.test(l));
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.startsWith('## ')) break;
    out.push(l);
  }
  while (out.length > 0 && out[0]!.trim() === '') out.shift();
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
  return out;
}

/**
 * The table's lines aligned in columns for a terminal `width` cells wide: a Markdown table stays
 * a Markdown table, and when it is too wide the method names lose their middle (the sweep value
 * at their end stays) before anything wraps.
 */
export function alignTable(lines: readonly string[], width: number): string[] {
  const isRow = (l: string): boolean => l.startsWith('|') && l.trimEnd().endsWith('|');
  const rows = lines.filter(isRow).map((l) => l.trim().slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  if (rows.length === 0) return [...lines];
  const n = Math.max(...rows.map((r) => r.length));
  const len = (s: string): number => Array.from(s).length;
  const widths = Array.from({ length: n }, (_, i) => Math.max(3, ...rows.map((r) => (/^:?-+:?$/.test(r[i] ?? '') ? 3 : len(r[i] ?? '')))));
  const total = (): number => widths.reduce((a, w) => a + w + 3, 1);
  if (total() > width) widths[0] = Math.max(12, widths[0]! - (total() - width));
  const out: string[] = [];
  let k = 0;
  for (const l of lines) {
    if (!isRow(l)) { out.push(l); continue; }
    const r = rows[k++]!;
    const cells = widths.map((w, i) => {
      const c = r[i] ?? '';
      if (/^:?-+:?$/.test(c)) return c.endsWith(':') ? '-'.repeat(w - 1) + ':' : '-'.repeat(w);
      const t = i === 0 ? elideMiddle(c, w, 'third') : c;
      return i === 0 ? t.padEnd(w + t.length - len(t)) : t.padStart(w + t.length - len(t));
    });
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out;
}
