// The report as one self-contained HTML page (inline CSS and SVG, no scripts or URLs):
// provenance, the accuracy table with a legend for bold, normalized accuracy and gain over
// zero-shot, per-task accuracy bars, sweep plots, the eval-loss table, smoothed training-loss and
// batch-accuracy curves (EMA, raw values faint behind), the learning rate, the fine-tuning table
// and each row's parameters.
// Tables scroll sideways on narrow screens instead of being cut.

import type { Report } from './buildReport.js';
import { AVG, BOLD_LEGEND, bestPerColumn, ema, gainOverZeroShot, isBest, normalizedAccuracy, sweeps, type DerivedTable } from './derived.js';
import { paramText, provenanceItems } from './reportMarkdown.js';
import { fixed } from './rounding.js';
import { escapeXml, groupedBarChart, lineChart, type LineSeries } from './svgCharts.js';
import { formatDuration } from '../util/formatDuration.js';

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{font-size:1.5rem;overflow-wrap:anywhere}h2{font-size:1.15rem;margin-top:2rem}.meta{color:#555;overflow-wrap:anywhere}.meta code{background:#f3f3f3;padding:0 .2em}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;white-space:nowrap}
th{text-align:left;background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums}td.best{font-weight:bold}td.neg{color:#b22}td.pos{color:#276b27}
.chart{max-width:100%;height:auto;font-family:system-ui,sans-serif}.note{color:#666;font-size:.9em}
td:first-child,th:first-child{position:sticky;left:0;background:#fff}th:first-child{background:#f6f6f6}
@media (max-width:500px){body{margin:1rem auto;padding:0 .5rem;font-size:13px}th,td{padding:.2rem .35rem}td:first-child{white-space:normal;min-width:8em;max-width:11em;overflow-wrap:anywhere}}`;

const table = (head: readonly string[], rows: readonly string[]): string =>
  `<div class="scroll"><table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;

function derivedHtml(title: string, note: string, report: Report, t: DerivedTable | undefined, signed: boolean): string[] {
  if (!t || t.rows.length === 0) return [];
  const td = (v: number | undefined): string => v === undefined ? '<td class="num">—</td>'
    : `<td class="num${signed ? (v > 0 ? ' pos' : v < 0 ? ' neg' : '') : ''}">${signed && v > 0 ? '+' : ''}${fixed(v, 1)}</td>`;
  return [`<h2>${escapeXml(title)}</h2>`, `<p class="note">${escapeXml(note)}</p>`,
    table(['Method', ...report.tasks, 'Avg.'], t.rows.map((r) => `<tr><td>${escapeXml(r.method)}</td>${report.tasks.map((k) => td(r.values[k])).join('')}${td(r.values[AVG])}</tr>`))];
}

/** Render the report as a standalone HTML document. */
export function reportHtml(report: Report): string {
  const h: string[] = [];
  const p = report.provenance;
  const pageTitle = p ? `${report.title} · ${p.run}` : report.title;
  h.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">', `<title>${escapeXml(pageTitle)}</title>`, `<style>${CSS}</style></head><body>`);
  h.push(`<h1>${escapeXml(report.title)}</h1>`);
  if (p) {
    h.push(`<p class="meta">${provenanceItems(p).map(([k, v]) => `${escapeXml(k)} <code>${escapeXml(v)}</code>`).join(' · ')}</p>`);
  } else {
    const meta = [report.run ? `run <code>${escapeXml(report.run)}</code>` : '', report.workflow ? `workflow <code>${escapeXml(report.workflow)}</code>` : '', report.created ? `created ${escapeXml(report.created)}` : ''].filter(Boolean);
    if (meta.length > 0) h.push(`<p class="meta">${meta.join(' · ')}</p>`);
  }
  if (report.rows.length === 0) {
    h.push('<p>No evaluation results.</p>');
  } else {
    const best = bestPerColumn(report);
    h.push('<h2>Accuracy (%)</h2>');
    h.push(table(['Method', ...report.tasks, 'Avg.'], report.rows.map((r) => {
      const td = (v: number | undefined | null, col: string): string => v === undefined || v === null ? '<td class="num">—</td>'
        : `<td class="num${isBest(best, r, col, v) ? ' best' : ''}">${fixed(v, 1)}</td>`;
      return `<tr><td>${escapeXml(r.method)}</td>${report.tasks.map((t) => td(r.accuracy[t], t)).join('')}${td(r.average, AVG)}</tr>`;
    })));
    const notes = [best.size > 0 ? BOLD_LEGEND : 'No merge or method beats the pretrained (zero-shot) model in any column, so nothing is bold.'];
    if (report.rows.some((r) => r.partial)) notes.push('Rows missing a task average over the tasks they were evaluated on.');
    h.push(`<p class="note">${notes.map(escapeXml).join(' ')}</p>`);
    h.push(...derivedHtml('Normalized accuracy (%)', "Accuracy ÷ the fine-tuned (individual) model's accuracy on the same task (FusionBench's normalized accuracy).", report, normalizedAccuracy(report), false));
    h.push(...derivedHtml('Gain over zero-shot (points)', "Accuracy minus the pretrained (zero-shot) model's accuracy on the same task.", report, gainOverZeroShot(report), true));
    h.push('<h2>Per-task accuracy by method</h2>');
    h.push(groupedBarChart({
      title: 'Top-1 accuracy (%) per task',
      groups: [...report.tasks, 'average'],
      series: report.rows.map((r) => ({ name: r.method, values: [...report.tasks.map((t) => r.accuracy[t] ?? null), r.average] })),
      yMax: 100,
      yLabel: 'accuracy (%)',
    }));
    for (const sw of sweeps(report)) {
      h.push(`<h2>Sweep: ${escapeXml(sw.method)} over ${escapeXml(sw.param)}</h2>`);
      const series: LineSeries[] = [...report.tasks, 'average'].map((t, i) => ({ name: t, color: i, dots: true, points: sw.points.flatMap((q) => { const v = t === 'average' ? q.row.average : q.row.accuracy[t]; return v === undefined || v === null ? [] : [[q.x, v] as const]; }) }));
      h.push(lineChart({ title: `Accuracy (%) vs ${sw.param}`, series, xLabel: sw.param, yLabel: 'accuracy (%)', xFrom: 'data' }));
    }
    h.push('<h2>Evaluation loss</h2>');
    h.push(table(['Method', ...report.tasks], report.rows.map((r) => `<tr><td>${escapeXml(r.method)}</td>${report.tasks.map((t) => `<td class="num">${r.loss[t] === undefined || !Number.isFinite(r.loss[t]) ? '—' : fixed(r.loss[t]!, 3)}</td>`).join('')}</tr>`)));
    const specs = report.rows.filter((r) => r.spec);
    if (specs.length > 0) {
      h.push('<h2>Parameters</h2>', '<p class="note">Every resolved parameter of the stage that made each row\'s model.</p>');
      h.push(table(['Method', 'Stage', 'Parameters'], specs.map((r) => `<tr><td>${escapeXml(r.method)}</td><td>${escapeXml(r.spec!.stage ?? '')}</td><td style="white-space:normal">${escapeXml(`${r.spec!.method}(${Object.entries(r.spec!.params).map(([k, v]) => `${k}=${paramText(v)}`).join(', ')})`)}</td></tr>`)));
    }
  }
  if (report.finetune.length > 0) {
    h.push('<h2>Fine-tuning loss</h2>');
    const series: LineSeries[] = report.finetune.flatMap((f, i) => {
      const pts = f.log.map((e) => [e.step, e.loss] as const);
      const smooth = ema(pts.map((q) => q[1]));
      return [{ name: `${f.stage} (raw)`, points: pts, color: i, faint: true }, { name: f.stage, points: pts.map((q, j) => [q[0], smooth[j]!] as const), color: i }];
    });
    h.push(lineChart({ title: 'Training loss (EMA 0.8; raw values faint)', series, xLabel: 'step', yLabel: 'loss' }));
    // batch accuracy and learning rate, where the logs have them (W&B/TensorBoard show both next to the loss)
    const withAcc = report.finetune.map((f, i) => ({ f, i, pts: f.log.filter((e) => e.accuracy !== undefined).map((e) => [e.step, e.accuracy! * 100] as const) })).filter((x) => x.pts.length > 1);
    if (withAcc.length > 0) {
      const acc: LineSeries[] = withAcc.flatMap(({ f, i, pts }) => {
        const smooth = ema(pts.map((q) => q[1]));
        return [{ name: `${f.stage} (raw)`, points: pts, color: i, faint: true }, { name: f.stage, points: pts.map((q, j) => [q[0], smooth[j]!] as const), color: i }];
      });
      h.push(lineChart({ title: 'Training batch accuracy (%) (EMA 0.8; raw values faint)', series: acc, xLabel: 'step', yLabel: 'accuracy (%)' }));
    }
    const withLr = report.finetune.map((f, i) => ({ name: f.stage, color: i, points: f.log.filter((e) => Number.isFinite(e.lr)).map((e) => [e.step, e.lr] as const) })).filter((x) => x.points.length > 1);
    if (withLr.length > 0) h.push(lineChart({ title: 'Learning rate', series: withLr, xLabel: 'step', yLabel: 'learning rate' }));
    h.push('<p class="note">Train acc. is the accuracy on the last training batch, not an evaluation (the evaluated accuracy is the fine-tuned row above). Train time is the training loop\'s own time; the stage time in <code>fbw show</code> also counts loading.</p>');
    h.push(table(['Stage', 'Task', 'Steps', 'Final loss', 'Train acc., last batch (%)', 'Train time'], report.finetune.map((f) =>
      `<tr><td>${escapeXml(f.stage)}</td><td>${escapeXml(f.task ?? '')}</td><td class="num">${f.steps}</td><td class="num">${f.finalLoss === null ? '—' : fixed(f.finalLoss, 4)}</td><td class="num">${f.finalAccuracy === null ? '—' : fixed(f.finalAccuracy * 100, 1)}</td><td class="num">${f.seconds === null ? '—' : formatDuration(f.seconds)}</td></tr>`)));
  }
  h.push('<p class="note">Generated by fbw. This page is self-contained and works offline.</p></body></html>');
  return h.join('\n') + '\n';
}

