// Numbers every report surface derives from the table the same way: which cells are bold
// (the best merge of a column, only where it beats the zero-shot model), FusionBench's
// normalized accuracy (merged ÷ fine-tuned individual, per task), the gain over zero-shot,
// the sweeps (one method, one numeric parameter varied) and smoothed training curves.

import { leadingRowIndex, type Report, type ReportRow } from './buildReport.js';
import { PRECISION, roundHalfAway } from './rounding.js';

/** Column key of the average in per-column maps. */
export const AVG = '#avg';

const cellOf = (r: ReportRow, col: string): number | null | undefined => (col === AVG ? r.average : r.accuracy[col]);

/** The zero-shot and fine-tuned (individual) baseline rows, when the report has them. */
export function baselines(report: Report): { zeroShot?: ReportRow; individual?: ReportRow } {
  const zeroShot = report.rows.find((r) => leadingRowIndex(r.method) === 0);
  const individual = report.rows.find((r) => leadingRowIndex(r.method) === 1);
  return { ...(zeroShot ? { zeroShot } : {}), ...(individual ? { individual } : {}) };
}

/**
 * Best value per column among the non-baseline rows, kept only where it beats the zero-shot
 * model (a merge worse than not fine-tuning at all is nothing to highlight). Compared at the
 * one decimal shown.
 */
export function bestPerColumn(report: Report): Map<string, number> {
  const best = new Map<string, number>();
  const competing = report.rows.filter((r) => leadingRowIndex(r.method) < 0);
  const { zeroShot } = baselines(report);
  // "best" needs something to beat: another method, or the zero-shot model
  if (competing.length === 0 || (competing.length === 1 && !zeroShot)) return best;
  for (const col of [...report.tasks, AVG]) {
    const vals = competing.map((r) => cellOf(r, col)).filter((v): v is number => v !== undefined && v !== null);
    if (vals.length === 0) continue;
    const top = roundHalfAway(Math.max(...vals), 1);
    const zs = zeroShot ? cellOf(zeroShot, col) : undefined;
    if (zs !== undefined && zs !== null && top <= roundHalfAway(zs, 1)) continue;
    best.set(col, top);
  }
  return best;
}

/** Whether a cell is shown bold. */
export function isBest(best: ReadonlyMap<string, number>, row: ReportRow, col: string, v: number | null | undefined): boolean {
  const b = best.get(col);
  return v !== undefined && v !== null && b !== undefined && leadingRowIndex(row.method) < 0 && roundHalfAway(v, 1) === b;
}

/** What bold means, for the legend under every table. */
export const BOLD_LEGEND = 'Bold: the best merge or method in the column, shown only where it beats the pretrained (zero-shot) model.';

/** A derived table: one row per non-baseline method, values per task and the average. */
export interface DerivedTable {
  readonly rows: readonly { readonly method: string; readonly values: { readonly [col: string]: number } }[];
}

/**
 * FusionBench's normalized accuracy: accuracy of the merged model ÷ accuracy of the fine-tuned
 * model of that task, in percent; the average is the mean over the tasks. Undefined without
 * a fine-tuned (individual) row.
 */
export function normalizedAccuracy(report: Report): DerivedTable | undefined {
  const { individual } = baselines(report);
  if (!individual) return undefined;
  return perRow(report, (r, t) => {
    const ft = individual.accuracy[t];
    const v = r.accuracy[t];
    return ft !== undefined && ft > 0 && v !== undefined ? (100 * v) / ft : undefined;
  });
}

/** Gain over the zero-shot model in accuracy points, per task and on average. */
export function gainOverZeroShot(report: Report): DerivedTable | undefined {
  const { zeroShot } = baselines(report);
  if (!zeroShot) return undefined;
  return perRow(report, (r, t) => {
    const z = zeroShot.accuracy[t];
    const v = r.accuracy[t];
    return z !== undefined && v !== undefined ? v - z : undefined;
  }, true);
}

function perRow(report: Report, f: (r: ReportRow, task: string) => number | undefined, withIndividual = false): DerivedTable {
  const rows = report.rows.filter((r) => leadingRowIndex(r.method) < 0 || (withIndividual && leadingRowIndex(r.method) === 1)).map((r) => {
    const values: Record<string, number> = {};
    for (const t of report.tasks) {
      const v = f(r, t);
      if (v !== undefined && Number.isFinite(v)) values[t] = roundHalfAway(v, PRECISION.accuracy);
    }
    const vs = report.tasks.map((t) => values[t]).filter((v): v is number => v !== undefined);
    if (vs.length > 0) values[AVG] = roundHalfAway(vs.reduce((a, b) => a + b, 0) / vs.length, PRECISION.accuracy);
    return { method: r.method, values };
  });
  return { rows };
}

/** A row label parsed as `method(k=v, ...)` (what the compiler writes), for reports without specs. */
export function parseLabel(label: string): { method: string; params: Record<string, string> } {
  const m = /^([\w-]+)\((.*)\)$/.exec(label.trim());
  if (!m) return { method: label, params: {} };
  const params: Record<string, string> = {};
  for (const part of m[2]!.split(/,\s*/)) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { method: m[1]!, params };
}

/** Rows of one method whose only difference is one numeric parameter: a sweep to plot. */
export interface Sweep {
  readonly method: string;
  readonly param: string;
  readonly points: readonly { readonly x: number; readonly row: ReportRow }[];
}

/** The sweeps of a report (at least two values of one parameter, every other parameter equal). */
export function sweeps(report: Report): Sweep[] {
  const parsed = report.rows.filter((r) => leadingRowIndex(r.method) < 0).map((row) => {
    const p = row.spec ? { method: row.spec.method, params: Object.fromEntries(Object.entries(row.spec.params).map(([k, v]) => [k, JSON.stringify(v)])) } : parseLabel(row.method);
    return { row, ...p };
  });
  const out: Sweep[] = [];
  const byMethod = new Map<string, typeof parsed>();
  for (const p of parsed) byMethod.set(p.method, [...(byMethod.get(p.method) ?? []), p]);
  for (const [method, group] of byMethod) {
    if (group.length < 2) continue;
    const keys = [...new Set(group.flatMap((g) => Object.keys(g.params)))];
    const varying = keys.filter((k) => new Set(group.map((g) => g.params[k])).size > 1);
    if (varying.length !== 1) continue;
    const param = varying[0]!;
    const pts = group.map((g) => ({ x: Number(g.params[param]), row: g.row }));
    if (pts.some((p) => !Number.isFinite(p.x))) continue;
    out.push({ method, param, points: pts.sort((a, b) => a.x - b.x) });
  }
  return out;
}

/**
 * TensorBoard-style exponential moving average (weight `alpha` on the past), debiased so the
 * first points are not pulled towards zero.
 */
export function ema(values: readonly number[], alpha = 0.8): number[] {
  let s = 0;
  let w = 0;
  return values.map((v) => {
    s = alpha * s + (1 - alpha) * v;
    w = alpha * w + (1 - alpha);
    return s / w;
  });
}
