// The `eval` stage: one model on one task's test split → metrics.json {task, row, accuracy, loss, n}.
// Inputs: role 'model' (model folder; if it holds a trained linear head in head/, that head is used
// for its own task) and role 'head' (the task's zero-shot head).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { inputWithRole, num, str, throttle } from './stageInputs.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadClip } from '../ml/models/loadClip.js';
import { readHead } from '../ml/heads/head.js';
import { loadTask } from '../ml/data/index.js';
import { evaluate } from '../ml/eval/evaluate.js';
import { writeJsonAtomic } from '../ml/finetune/checkpoint.js';
import { evaluateEnsemble, isEnsembleFolder, loadEnsemble } from '../ml/merge/ensemble.js';

/** StageRunner for kind 'eval'. */
export async function runEval(ctx: StageContext): Promise<void> {
  await initBackend(ctx.device);
  const modelDir = inputWithRole(ctx, 'model');
  let head = await readHead(inputWithRole(ctx, 'head'));
  const task = ctx.stage.task ?? head.task;
  const own = join(modelDir, 'head');
  if (existsSync(join(own, 'head.json'))) {
    const h = await readHead(own);
    if (h.task === task) head = h;
  }
  const maxExamples = num(ctx.stage.params, 'max_examples', 0);
  const test = await loadTask(task, 'test', maxExamples > 0 ? { maxExamples } : {});
  // an ensemble folder (from the `ensemble` stage) is evaluated by its averaged logits
  const model = isEnsembleFolder(modelDir) ? await loadEnsemble(modelDir) : await loadClip(modelDir);
  const progress = throttle(250, (x: { done: number; total: number }) => ctx.progress({ step: x.done, total: x.total, phase: 'eval' }));
  try {
    const t0 = performance.now();
    const args = { batchSize: num(ctx.stage.params, 'batch_size', 128), onProgress: (done: number, total: number) => progress({ done, total }, done === total), signal: ctx.signal };
    const r = 'models' in model ? evaluateEnsemble(model, head, test, args) : evaluate(model, head, test, args);
    const seconds = (performance.now() - t0) / 1000;
    const row = str(ctx.stage.params, 'row', ctx.stage.label);
    await writeJsonAtomic(join(ctx.outDir, 'metrics.json'), { task, row, accuracy: r.accuracy, loss: r.loss, n: r.n, head: head.kind, seconds: Math.round(seconds * 1000) / 1000 });
    ctx.progress({ step: r.n, total: r.n, phase: 'eval', accuracy: r.accuracy, loss: r.loss, throughput: r.n / Math.max(seconds, 1e-9) });
    ctx.log(`${task} [${row}]: accuracy ${(r.accuracy * 100).toFixed(2)}% loss ${r.loss.toFixed(4)} on ${r.n} images`);
  } finally {
    model.dispose();
  }
}
