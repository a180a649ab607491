// The report as JSON: the table (tasks, rows with accuracy % per task and average) plus
// loss, example counts and each fine-tuning stage's full training log, for scripts.

import type { Report } from './buildReport.js';

/** Render the report as pretty JSON (the shape `fbw run --json`'s finished event points at). */
export function reportJson(report: Report): string {
  const doc = {
    title: report.title,
    ...(report.run !== undefined ? { run: report.run } : {}),
    ...(report.workflow !== undefined ? { workflow: report.workflow } : {}),
    ...(report.created !== undefined ? { created: report.created } : {}),
    metric: 'top-1 accuracy (%)',
    columns: ['method', ...report.tasks, 'average'],
    tasks: report.tasks,
    rows: report.rows.map((r) => ({ method: r.method, accuracy: r.accuracy, average: r.average, loss: r.loss, n: r.n, ...(r.partial ? { partial: true } : {}) })),
    finetune: report.finetune.map((f) => ({
      stage: f.stage,
      ...(f.task !== undefined ? { task: f.task } : {}),
      steps: f.steps,
      final_loss: f.finalLoss,
      final_accuracy: f.finalAccuracy,
      seconds: f.seconds,
      log: f.log,
    })),
  };
  return JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}
