// The report as Markdown: where it comes from, FusionBench's table (methods × tasks + Avg.),
// normalized accuracy and gain over zero-shot, the loss table, each row's resolved
// parameters and a fine-tuning summary; readable in a terminal (`fbw show`) and on GitHub.

import type { Provenance, Report } from './buildReport.js';
import { AVG, BOLD_LEGEND, bestPerColumn, gainOverZeroShot, isBest, normalizedAccuracy, type DerivedTable } from './derived.js';
import { fixed } from './rounding.js';
import { formatDuration } from '../util/formatDuration.js';

export { bestPerColumn } from './derived.js';

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function pct(v: number | undefined | null): string {
  return v === undefined || v === null ? '—' : fixed(v, 1);
}

/** Provenance as `key value` fragments (Markdown and HTML headers share it). */
export function provenanceItems(p: Provenance): [string, string][] {
  const seeds = Object.entries(p.seeds);
  const distinct = [...new Set(seeds.map(([, s]) => s))];
  return [
    ['run', p.run],
    ['workflow', p.workflow],
    ...(p.workflowSha256 ? [['workflow sha256', p.workflowSha256.slice(0, 16)] as [string, string]] : []),
    ['fbw', p.fbwVersion],
    ['date', p.created],
    ['backend', p.backend],
    ...(seeds.length > 0 ? [['seeds', distinct.length === 1 ? `${distinct[0]} (every seeded stage)` : seeds.map(([k, s]) => `${k}=${s}`).join(', ')] as [string, string]] : []),
    ...(p.store ? [['store', p.store] as [string, string]] : []),
  ];
}

/** A parameter value as the workflow would spell it. */
export function paramText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function derivedMd(title: string, note: string, report: Report, t: DerivedTable | undefined, signed: boolean): string[] {
  if (!t || t.rows.length === 0) return [];
  const f = (v: number | undefined): string => (v === undefined ? '—' : `${signed && v > 0 ? '+' : ''}${fixed(v, 1)}`);
  return [`## ${title}`, '', note, '', `| Method | ${report.tasks.map(esc).join(' | ')} | Avg. |`, `| --- | ${report.tasks.map(() => '---:').join(' | ')} | ---: |`,
    ...t.rows.map((r) => `| ${esc(r.method)} | ${report.tasks.map((k) => f(r.values[k])).join(' | ')} | ${f(r.values[AVG])} |`), ''];
}

/** Render the report as Markdown. */
export function reportMarkdown(report: Report): string {
  const out: string[] = [`# ${esc(report.title)}`, ''];
  if (report.provenance) {
    out.push(provenanceItems(report.provenance).map(([k, v]) => `${k} \`${esc(v)}\``).join(' · '), '');
  } else {
    const meta = [report.run ? `run \`${report.run}\`` : '', report.workflow ? `workflow \`${report.workflow}\`` : '', report.created ? `created ${report.created}` : ''].filter(Boolean);
    if (meta.length > 0) out.push(meta.join(' · '), '');
  }
  if (report.rows.length === 0) {
    out.push('_No evaluation results._', '');
  } else {
    const best = bestPerColumn(report);
    const header = `| Method | ${report.tasks.map(esc).join(' | ')} | Avg. |`;
    const rule = `| --- | ${report.tasks.map(() => '---:').join(' | ')} | ---: |`;
    out.push('## Accuracy (%)', '', header, rule);
    for (const r of report.rows) {
      const cell = (v: number | undefined | null, col: string): string => (isBest(best, r, col, v) ? `**${pct(v)}**` : pct(v));
      out.push(`| ${esc(r.method)} | ${report.tasks.map((t) => cell(r.accuracy[t], t)).join(' | ')} | ${cell(r.average, AVG)}${r.partial ? '*' : ''} |`);
    }
    out.push('');
    if (report.rows.some((r) => r.partial)) out.push('\\* average over the tasks this row was evaluated on.', '');
    if (best.size > 0) out.push(`${BOLD_LEGEND.replace(/^Bold/, '**Bold**')}`, '');
    out.push(...derivedMd('Normalized accuracy (%)', 'Accuracy ÷ the fine-tuned (individual) model\'s accuracy on the same task (FusionBench\'s normalized accuracy).', report, normalizedAccuracy(report), false));
    out.push(...derivedMd('Gain over zero-shot (points)', 'Accuracy minus the pretrained (zero-shot) model\'s accuracy on the same task.', report, gainOverZeroShot(report), true));
    out.push('## Loss', '', `| Method | ${report.tasks.map(esc).join(' | ')} |`, `| --- | ${report.tasks.map(() => '---:').join(' | ')} |`);
    for (const r of report.rows) {
      out.push(`| ${esc(r.method)} | ${report.tasks.map((t) => (r.loss[t] === undefined || !Number.isFinite(r.loss[t]) ? '—' : fixed(r.loss[t]!, 3))).join(' | ')} |`);
    }
    out.push('');
    const specs = report.rows.filter((r) => r.spec);
    if (specs.length > 0) {
      out.push('## Parameters', '', 'Every resolved parameter of the stage that made each row\'s model.', '', '| Method | Stage | Parameters |', '| --- | --- | --- |');
      for (const r of specs) out.push(`| ${esc(r.method)} | ${esc(r.spec!.stage ?? '')} | ${esc(`${r.spec!.method}(${Object.entries(r.spec!.params).map(([k, v]) => `${k}=${paramText(v)}`).join(', ')})`)} |`);
      out.push('');
    }
  }
  if (report.finetune.length > 0) {
    out.push('## Fine-tuning', '', 'Train acc. is the accuracy on the last training batch (not an evaluation); Train time is the training loop\'s own time (the stage time in `fbw show` also counts loading).', '',
      '| Stage | Task | Steps | Final loss | Train acc., last batch (%) | Train time |', '| --- | --- | ---: | ---: | ---: | ---: |');
    for (const f of report.finetune) {
      out.push(`| ${esc(f.stage)} | ${esc(f.task ?? '')} | ${f.steps} | ${f.finalLoss === null ? '—' : fixed(f.finalLoss, 4)} | ${f.finalAccuracy === null ? '—' : fixed(f.finalAccuracy * 100, 1)} | ${f.seconds === null ? '—' : formatDuration(f.seconds)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
