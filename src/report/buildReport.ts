// The report's one data model, in FusionBench's table shape: rows are models or merge
// methods, columns are tasks plus their average, cells are top-1 accuracy in percent.
// Every writer (Markdown, CSV, JSON, HTML) renders this and nothing else.

import type { MetricsRecord, TrainLog } from './reportInputs.js';
import { PRECISION, roundHalfAway } from './rounding.js';

/** JSON value of a resolved parameter. */
export type ParamValue = null | boolean | number | string | readonly ParamValue[] | { readonly [k: string]: ParamValue };

/** What produced a row: the method (merge, fine-tune, model) and its every resolved parameter. */
export interface RowSpec {
  readonly method: string;
  readonly params: { readonly [k: string]: ParamValue };
  /** the stage that made the evaluated model */
  readonly stage?: string;
}

/** Where a report comes from: stamped on the run's copy (a stage's own output must stay byte-identical). */
export interface Provenance {
  readonly run: string;
  readonly created: string;
  readonly workflow: string;
  readonly workflowSha256?: string;
  readonly fbwVersion: string;
  readonly backend: string;
  /** seed of every seeded stage, by stage id */
  readonly seeds: { readonly [stage: string]: number };
  readonly store?: string;
}

/** One row of the table. */
export interface ReportRow {
  readonly method: string;
  /** accuracy in percent per task (absent when that model was not evaluated on the task) */
  readonly accuracy: { readonly [task: string]: number };
  readonly loss: { readonly [task: string]: number };
  readonly n: { readonly [task: string]: number };
  /** mean accuracy (%) over the tasks this row has; null when it has none */
  readonly average: number | null;
  /** true when the row lacks some of the report's tasks (its average is over fewer tasks) */
  readonly partial: boolean;
  /** method and resolved parameters behind the row label, when the run knows them */
  readonly spec?: RowSpec;
}

/** Summary of one fine-tuning stage. */
export interface FinetuneSummary {
  readonly stage: string;
  readonly task?: string;
  readonly steps: number;
  readonly finalLoss: number | null;
  readonly finalAccuracy: number | null;
  readonly seconds: number | null;
  readonly log: TrainLog['entries'];
}

/** The whole report. */
export interface Report {
  readonly title: string;
  readonly run?: string;
  readonly workflow?: string;
  /** ISO time, only when asked for: a stage's report must be byte-identical across re-runs */
  readonly created?: string;
  readonly tasks: readonly string[];
  readonly rows: readonly ReportRow[];
  readonly finetune: readonly FinetuneSummary[];
  readonly provenance?: Provenance;
}

/** Row labels that FusionBench puts first, in this order. */
export const LEADING_ROWS: readonly string[] = ['pretrained (zero-shot)', 'fine-tuned (individual)'];

/** Index of the baseline family a row belongs to ("fine-tuned (individual) lora(r=4)" is one), or -1. */
export function leadingRowIndex(label: string): number {
  return LEADING_ROWS.findIndex((l) => label === l || label.startsWith(`${l} `));
}

/** Options: title and provenance shown in the report. */
export interface BuildReportOptions {
  readonly title?: string;
  readonly run?: string;
  readonly workflow?: string;
  readonly created?: Date;
  /** column order (the pool's order); tasks not listed follow in order of appearance */
  readonly tasks?: readonly string[];
}

/** Build the table from metrics records (task order and row order follow first appearance, baselines first). */
export function buildReport(metrics: readonly MetricsRecord[], logs: readonly TrainLog[], opts: BuildReportOptions = {}): Report {
  const tasks: string[] = [];
  const order: string[] = [];
  const present = new Set(metrics.map((m) => m.task));
  for (const t of opts.tasks ?? []) if (present.has(t) && !tasks.includes(t)) tasks.push(t);
  const cells = new Map<string, Map<string, MetricsRecord>>();
  for (const m of metrics) {
    if (!tasks.includes(m.task)) tasks.push(m.task);
    let row = cells.get(m.row);
    if (!row) {
      row = new Map();
      cells.set(m.row, row);
      order.push(m.row);
    }
    // the same (row, task) twice: keep the one evaluated on more examples, then the later one
    const prev = row.get(m.task);
    if (!prev || m.n >= prev.n) row.set(m.task, m);
  }
  const rank = (label: string): number => {
    const i = leadingRowIndex(label);
    return i >= 0 ? i : LEADING_ROWS.length;
  };
  const sorted = order.map((label, i) => ({ label, i })).sort((a, b) => rank(a.label) - rank(b.label) || a.i - b.i).map((x) => x.label);
  const rows = sorted.map((method): ReportRow => {
    const r = cells.get(method)!;
    const accuracy: Record<string, number> = {};
    const loss: Record<string, number> = {};
    const n: Record<string, number> = {};
    for (const t of tasks) {
      const m = r.get(t);
      if (!m) continue;
      accuracy[t] = roundHalfAway(m.accuracy * 100, PRECISION.accuracy);
      loss[t] = roundHalfAway(m.loss, PRECISION.loss);
      n[t] = m.n;
    }
    // the average is taken over the unrounded accuracies, then stored at the same precision
    const vals = tasks.flatMap((t) => (r.get(t) ? [r.get(t)!.accuracy * 100] : []));
    return { method, accuracy, loss, n, average: vals.length ? roundHalfAway(vals.reduce((a, b) => a + b, 0) / vals.length, PRECISION.accuracy) : null, partial: vals.length < tasks.length };
  });
  const finetune = logs.map((l): FinetuneSummary => {
    const last = l.entries[l.entries.length - 1];
    const lastAcc = [...l.entries].reverse().find((e) => e.accuracy !== undefined)?.accuracy;
    return {
      stage: l.stage,
      ...(l.task !== undefined ? { task: l.task } : {}),
      steps: last?.step ?? 0,
      finalLoss: last?.loss ?? null,
      finalAccuracy: lastAcc ?? null,
      seconds: last && Number.isFinite(last.seconds) ? last.seconds : null,
      log: l.entries,
    };
  });
  return {
    title: opts.title ?? (opts.workflow ? workflowTitle(opts.workflow) : 'fbw report'),
    ...(opts.run !== undefined ? { run: opts.run } : {}),
    ...(opts.workflow !== undefined ? { workflow: opts.workflow } : {}),
    ...(opts.created !== undefined ? { created: opts.created.toISOString() } : {}),
    tasks,
    rows,
    finetune,
  };
}

/** A report's default title: the workflow's file name without folder and extension. */
export function workflowTitle(workflow: string): string {
  const base = workflow.slice(Math.max(workflow.lastIndexOf('/'), workflow.lastIndexOf('\\')) + 1);
  return base.replace(/\.(fbw|json)$/, '') || 'fbw report';
}
