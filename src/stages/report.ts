// The `report` stage: every eval's metrics.json (role 'metrics') and every fine-tune's
// train_log.json (role 'train_log') → report.md / .csv / .json / .html in ctx.outDir.

import path from 'node:path';
import type { StageRunner } from './contract.js';
import { buildReport } from '../report/buildReport.js';
import { readMetrics, readTrainLog, ReportInputError, type MetricsRecord, type TrainLog } from '../report/reportInputs.js';
import { writeReport } from '../report/writeReport.js';

/** The task a stage id ends with (`finetune.lora.sun397` → sun397), when the input carries none. */
function taskOfId(id: string, tasks: readonly string[] | undefined): string | undefined {
  const last = id.slice(id.lastIndexOf('.') + 1);
  return tasks === undefined || tasks.includes(last) ? last : undefined;
}

/** Build the run's report from its inputs (params.title optional). */
export const report: StageRunner = async (ctx) => {
  const metrics: MetricsRecord[] = [];
  const logs: TrainLog[] = [];
  for (const input of ctx.stage.inputs) {
    const dir = ctx.inputs[input.stage];
    if (dir === undefined) throw new ReportInputError(input.stage, `input folder of stage '${input.stage}' was not provided to the report stage`);
    if (input.role === 'metrics') metrics.push(await readMetrics(path.join(dir, 'metrics.json')));
    else if (input.role === 'train_log') logs.push(await readTrainLog(path.join(dir, 'train_log.json'), input.stage, input.task ?? taskOfId(input.stage, ctx.stage.tasks)));
    else ctx.log(`report: ignoring input ${input.stage} with role '${input.role}'`);
  }
  const title = typeof ctx.stage.params['title'] === 'string' ? ctx.stage.params['title'] : undefined;
  const rep = buildReport(metrics, logs, { ...(title !== undefined ? { title } : {}), ...(ctx.stage.source ? { workflow: ctx.stage.source.file } : {}), ...(ctx.stage.tasks ? { tasks: ctx.stage.tasks } : {}) });
  await writeReport(ctx.outDir, rep);
  ctx.log(`report: ${rep.rows.length} rows × ${rep.tasks.length} tasks, ${logs.length} training logs → ${ctx.outDir}`);
  ctx.progress({ step: 1, total: 1, phase: 'report' });
};

export default report;
