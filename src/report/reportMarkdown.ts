// The report as Markdown: FusionBench's table (methods × tasks + Avg.), the loss table and
// a fine-tuning summary; readable in a terminal (`fbw show`) and on GitHub.

import { leadingRowIndex, type Report } from './buildReport.js';
import { formatDuration } from '../util/formatDuration.js';

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function pct(v: number | undefined | null): string {
  return v === undefined || v === null ? '—' : v.toFixed(1);
}

/** Best accuracy per column among merge/method rows (the baselines are not competing). */
export function bestPerColumn(report: Report): Map<string, number> {
  const best = new Map<string, number>();
  const competing = report.rows.filter((r) => leadingRowIndex(r.method) < 0);
  if (competing.length < 2) return best;
  for (const col of [...report.tasks, '#avg']) {
    const vals = competing.map((r) => (col === '#avg' ? r.average : r.accuracy[col])).filter((v): v is number => v !== undefined && v !== null);
    if (vals.length) best.set(col, Math.max(...vals));
  }
  return best;
}

/** Render the report as Markdown. */
export function reportMarkdown(report: Report): string {
  const out: string[] = [`# ${esc(report.title)}`, ''];
  const meta = [report.run ? `run \`${report.run}\`` : '', report.workflow ? `workflow \`${report.workflow}\`` : '', report.created ? `created ${report.created}` : ''].filter(Boolean);
  if (meta.length > 0) out.push(meta.join(' · '), '');
  if (report.rows.length === 0) {
    out.push('_No evaluation results._', '');
  } else {
    const best = bestPerColumn(report);
    const header = `| Method | ${report.tasks.map(esc).join(' | ')} | Avg. |`;
    const rule = `| --- | ${report.tasks.map(() => '---:').join(' | ')} | ---: |`;
    const cell = (v: number | undefined | null, col: string, method: string): string => {
      const s = pct(v);
      const b = best.get(col);
      return v !== undefined && v !== null && b !== undefined && leadingRowIndex(method) < 0 && v.toFixed(1) === b.toFixed(1) ? `**${s}**` : s;
    };
    out.push('## Accuracy (%)', '', header, rule);
    for (const r of report.rows) {
      out.push(`| ${esc(r.method)} | ${report.tasks.map((t) => cell(r.accuracy[t], t, r.method)).join(' | ')} | ${cell(r.average, '#avg', r.method)}${r.partial ? '*' : ''} |`);
    }
    out.push('');
    if (report.rows.some((r) => r.partial)) out.push('\\* average over the tasks this row was evaluated on.', '');
    out.push('## Loss', '', `| Method | ${report.tasks.map(esc).join(' | ')} |`, `| --- | ${report.tasks.map(() => '---:').join(' | ')} |`);
    for (const r of report.rows) {
      out.push(`| ${esc(r.method)} | ${report.tasks.map((t) => (r.loss[t] === undefined || !Number.isFinite(r.loss[t]) ? '—' : r.loss[t]!.toFixed(3))).join(' | ')} |`);
    }
    out.push('');
  }
  if (report.finetune.length > 0) {
    out.push('## Fine-tuning', '', '| Stage | Task | Steps | Final loss | Final acc. (%) | Time |', '| --- | --- | ---: | ---: | ---: | ---: |');
    for (const f of report.finetune) {
      out.push(`| ${esc(f.stage)} | ${esc(f.task ?? '')} | ${f.steps} | ${f.finalLoss === null ? '—' : f.finalLoss.toFixed(4)} | ${f.finalAccuracy === null ? '—' : (f.finalAccuracy * 100).toFixed(1)} | ${f.seconds === null ? '—' : formatDuration(f.seconds)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
