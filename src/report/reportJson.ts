// The report as JSON: provenance, the table (tasks, rows with accuracy % per task and average,
// each row's method and resolved parameters) plus loss, example counts and each fine-tuning
// stage's training log, for scripts. Every number is stored at the precision it states
// (`precision`), so there is no float noise; `reportFromJson` reads it back (the run re-stamps
// a report with its provenance that way).

import { leadingRowIndex, type FinetuneSummary, type Provenance, type Report, type ReportRow, type RowSpec } from './buildReport.js';
import { parseLabel } from './derived.js';
import { PRECISION, roundHalfAway } from './rounding.js';
import { jsonFormat } from '../util/jsonFormat.js';

/** The structured method of a row: its spec when known, else parsed from the label. */
function rowMethod(r: ReportRow): RowSpec {
  if (r.spec) return r.spec;
  const i = leadingRowIndex(r.method);
  if (i === 0) return { method: 'pretrained', params: {} };
  if (i === 1) return { method: 'finetuned', params: {} };
  const p = parseLabel(r.method);
  return { method: p.method, params: Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, Number.isFinite(Number(v)) ? Number(v) : v])) };
}

/** Version of report.json's layout, for readers (and `reportFromJson` reading older reports). */
export const REPORT_JSON_FORMAT = 2;

/** Render the report as pretty JSON (the shape `fbw run --json`'s finished event points at). */
export function reportJson(report: Report): string {
  const p = report.provenance;
  const doc = {
    // 2: accuracies in percent everywhere (the training logs too), rows with {label, method, params}
    format: REPORT_JSON_FORMAT,
    title: report.title,
    ...(p ? { provenance: { run: p.run, created: p.created, workflow: p.workflow, workflow_sha256: p.workflowSha256 ?? null, fbw_version: p.fbwVersion, backend: p.backend, seeds: p.seeds, ...(p.store ? { store: p.store } : {}) } } : {}),
    ...(report.run !== undefined && !p ? { run: report.run } : {}),
    ...(report.workflow !== undefined && !p ? { workflow: report.workflow } : {}),
    ...(report.created !== undefined && !p ? { created: report.created } : {}),
    metric: 'top-1 accuracy (%)',
    precision: { accuracy: PRECISION.accuracy, loss: PRECISION.loss, rounding: 'half away from zero' },
    columns: ['method', ...report.tasks, 'average'],
    tasks: report.tasks,
    rows: report.rows.map((r) => {
      const m = rowMethod(r);
      return { label: r.method, method: m.method, params: m.params, ...(m.stage ? { stage: m.stage } : {}), accuracy: r.accuracy, average: r.average, loss: r.loss, n: r.n, ...(r.partial ? { partial: true } : {}) };
    }),
    finetune: report.finetune.map((f) => ({
      stage: f.stage,
      ...(f.task !== undefined ? { task: f.task } : {}),
      steps: f.steps,
      final_loss: f.finalLoss === null ? null : roundHalfAway(f.finalLoss, PRECISION.loss),
      // percent like every other accuracy here (the log's too); measured on the last training batch, not an eval
      last_batch_accuracy: f.finalAccuracy === null ? null : roundHalfAway(f.finalAccuracy * 100, PRECISION.accuracy),
      seconds: f.seconds === null ? null : roundHalfAway(f.seconds, PRECISION.seconds),
      log: f.log.map((e) => ({ ...e, loss: roundHalfAway(e.loss, PRECISION.loss), lr: Number(e.lr.toPrecision(6)), seconds: roundHalfAway(e.seconds, PRECISION.seconds), ...(e.accuracy !== undefined ? { accuracy: roundHalfAway(e.accuracy * 100, PRECISION.accuracy) } : {}) })),
    })),
  };
  return JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nums = (v: unknown): Record<string, number> => (isObj(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'number')) as Record<string, number> : {});

/**
 * report.json as this reader needs it: the top-level lists it maps. Every older version had
 * these as arrays; fields inside rows are read leniently below (older reports lack some).
 */
const reportJsonFormat = jsonFormat<Obj>('report.json', {
  type: 'object',
  properties: { format: { type: 'number' }, title: { type: 'string' }, tasks: { type: 'array', items: { type: 'string' } }, rows: { type: 'array', items: { type: 'object' } }, finetune: { type: 'array', items: { type: 'object' } } },
});

/** Read a report.json (this version's or an older one) back into a Report; PersistedFileInvalid naming `file` when it is not one. */
export function reportFromJson(text: string, file = 'report.json'): Report {
  const d = reportJsonFormat.parse(text, file);
  const tasks = Array.isArray(d['tasks']) ? (d['tasks'] as unknown[]).map(String) : [];
  const rows: ReportRow[] = (Array.isArray(d['rows']) ? (d['rows'] as unknown[]) : []).filter(isObj).map((r) => {
    const label = String(r['label'] ?? r['method']);
    const spec: RowSpec | undefined = r['label'] !== undefined && typeof r['method'] === 'string' && isObj(r['params'])
      ? { method: r['method'], params: r['params'] as RowSpec['params'], ...(typeof r['stage'] === 'string' ? { stage: r['stage'] } : {}) } : undefined;
    return { method: label, accuracy: nums(r['accuracy']), loss: nums(r['loss']), n: nums(r['n']), average: typeof r['average'] === 'number' ? r['average'] : null, partial: r['partial'] === true, ...(spec ? { spec } : {}) };
  });
  const percentLogs = typeof d['format'] === 'number' && d['format'] >= 2;
  const finetune: FinetuneSummary[] = (Array.isArray(d['finetune']) ? (d['finetune'] as unknown[]) : []).filter(isObj).map((f) => {
    const pctAcc = typeof f['last_batch_accuracy'] === 'number' ? f['last_batch_accuracy'] / 100 : typeof f['final_accuracy'] === 'number' ? f['final_accuracy'] : null;
    return {
      stage: String(f['stage']), ...(typeof f['task'] === 'string' ? { task: f['task'] } : {}), steps: typeof f['steps'] === 'number' ? f['steps'] : 0,
      finalLoss: typeof f['final_loss'] === 'number' ? f['final_loss'] : null, finalAccuracy: pctAcc, seconds: typeof f['seconds'] === 'number' ? f['seconds'] : null,
      // accuracies in the JSON are percents (this version) or fractions (older reports, which had final_accuracy)
      log: (Array.isArray(f['log']) ? (f['log'] as FinetuneSummary['log']) : []).map((e) => (e.accuracy !== undefined && percentLogs ? { ...e, accuracy: e.accuracy / 100 } : e)),
    };
  });
  const p = isObj(d['provenance']) ? d['provenance'] : undefined;
  const provenance: Provenance | undefined = p ? {
    run: String(p['run']), created: String(p['created']), workflow: String(p['workflow']), ...(typeof p['workflow_sha256'] === 'string' ? { workflowSha256: p['workflow_sha256'] } : {}),
    fbwVersion: String(p['fbw_version']), backend: String(p['backend']), seeds: nums(p['seeds']), ...(typeof p['store'] === 'string' ? { store: p['store'] } : {}),
  } : undefined;
  return {
    title: String(d['title'] ?? 'fbw report'),
    ...(typeof d['run'] === 'string' ? { run: d['run'] } : {}),
    ...(typeof d['workflow'] === 'string' ? { workflow: d['workflow'] } : {}),
    ...(typeof d['created'] === 'string' ? { created: d['created'] } : {}),
    tasks, rows, finetune,
    ...(provenance ? { provenance } : {}),
  };
}
