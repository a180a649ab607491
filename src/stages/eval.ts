// The `eval` stage: one model on one task's test split → metrics.json {task, row, accuracy, loss, n}.
// Inputs: role 'model' (model folder; if it holds a trained linear head in head/, that head is used
// for its own task) and role 'head' (the task's zero-shot head). A ResNet folder (config.json
// model_type "resnet") has no 'head' input: it is evaluated with its own classifier, whose labels
// must be the task's classes.
import { existsSync } from 'node:fs';
import { hfConfigFormat } from '../ml/io/hfFormats.js';
import { mergeRecordFormat } from './merge.js';
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { inputWithRole, optionalCount, requiredString, taskData, throttle } from './stageInputs.js';
import { loadResNet, resnetImageSize } from '../ml/classifier/loadResNet.js';
import { evaluateResNet } from '../ml/classifier/evaluateResNet.js';
import type { TaskDataset } from '../ml/data/types.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadClip } from '../ml/models/loadClip.js';
import { readHead } from '../ml/heads/head.js';
import { loadTask } from '../ml/data/index.js';
import { evaluate } from '../ml/eval/evaluate.js';
import { writeJsonAtomic } from '../ml/finetune/checkpoint.js';
import { evaluateEnsemble, isEnsembleFolder, loadEnsemble } from '../ml/merge/ensemble.js';

/** images per forward pass when evaluating (an eval stage's own setting; not a method parameter) */
const EVAL_BATCH = 128;

/** A ResNet's classifier labels are not the task's classes: it cannot be scored on the task. */
export class ResNetTaskMismatch extends Error {
  constructor(readonly modelDir: string, readonly task: string, readonly reason: string) {
    super(`ResNet in ${modelDir} cannot be evaluated on '${task}': ${reason}. Fine-tune it on '${task}' first (finetune r on [${task}] classifier(...)), which gives it a classifier for the task's classes, or evaluate it on the task its labels come from`);
    this.name = 'ResNetTaskMismatch';
  }
}

/** True when `dir` holds a Hugging Face ResNet (config.json model_type "resnet"). */
export function isResNetFolder(dir: string): boolean {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) return false;
  // a damaged config.json is not a ResNet's: loading it as a CLIP then names the file and what is wrong
  try { return hfConfigFormat.read(p).model_type === 'resnet'; } catch { return false; }
}

/** The classifier's labels (id2label in index order) must be the task's class names (case-insensitive),
 *  or Hugging Face's unnamed placeholders LABEL_0..LABEL_{n-1} with the right count. */
export function checkResNetLabels(modelDir: string, id2label: { readonly [k: string]: string }, test: TaskDataset): void {
  const labels = Array.from({ length: Object.keys(id2label).length }, (_, i) => id2label[String(i)] ?? '');
  const classes = test.classnames;
  if (labels.length !== classes.length) throw new ResNetTaskMismatch(modelDir, test.name, `its classifier has ${labels.length} labels (${labels.slice(0, 4).join(', ')}${labels.length > 4 ? ', ...' : ''}), the task has ${classes.length} classes (${classes.slice(0, 4).join(', ')}${classes.length > 4 ? ', ...' : ''})`);
  const placeholder = labels.every((l, i) => l === `LABEL_${i}`);
  const i = labels.findIndex((l, k) => l.trim().toLowerCase() !== classes[k]!.trim().toLowerCase());
  if (!placeholder && i >= 0) throw new ResNetTaskMismatch(modelDir, test.name, `its label ${i} is '${labels[i]}' but the task's class ${i} is '${classes[i]}'`);
}

/** Eval of a ResNet folder with its own classifier. */
async function runResNetEval(ctx: StageContext, modelDir: string, task: string): Promise<void> {
  const maxExamples = optionalCount(ctx.stage, 'max_examples');
  const test = await loadTask(taskData(ctx, task), 'test', maxExamples !== undefined ? { maxExamples } : {});
  ctx.log(`data: ${task} test split, ${test.size} images from ${test.origin ?? 'memory'}`);
  const model = await loadResNet(modelDir);
  try {
    checkResNetLabels(modelDir, model.config.id2label, test);
    const t0 = performance.now();
    ctx.progress({ step: 0, total: test.size, phase: 'eval' });
    const r = evaluateResNet(model, test, await resnetImageSize(modelDir), { batchSize: optionalCount(ctx.stage, 'batch_size') ?? EVAL_BATCH });
    const seconds = (performance.now() - t0) / 1000;
    const row = requiredString(ctx.stage, 'row');
    await writeJsonAtomic(join(ctx.outDir, 'metrics.json'), { task, row, accuracy: r.accuracy, loss: r.loss, n: r.n, head: 'classifier', seconds: Math.round(seconds * 1000) / 1000 });
    ctx.progress({ step: r.n, total: r.n, phase: 'eval', accuracy: r.accuracy, loss: r.loss, throughput: r.n / Math.max(seconds, 1e-9) });
    ctx.log(`${task} [${row}]: ResNet classifier accuracy ${(r.accuracy * 100).toFixed(2)}% loss ${r.loss.toFixed(4)} on ${r.n} images`);
  } finally {
    model.dispose();
  }
}

/**
 * What a merge chose on its validation split (merge.json "selected", e.g. scaling_search's λ), as a
 * row-label suffix: the report must say which factor the row's model was merged with.
 */
export function selectionNote(modelDir: string): string {
  const file = join(modelDir, 'merge.json');
  if (!existsSync(file)) return '';
  const sel = mergeRecordFormat.read(file).selected;
  if (!sel) return '';
  return ` [chosen on val: ${Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`).join(', ')}]`;
}

/** StageRunner for kind 'eval'. */
export async function runEval(ctx: StageContext): Promise<void> {
  await initBackend(ctx.device);
  const modelDir = inputWithRole(ctx, 'model');
  if (isResNetFolder(modelDir)) {
    if (!ctx.stage.task) throw new ResNetTaskMismatch(modelDir, '(none)', `eval stage '${ctx.stage.id}' names no task`);
    return runResNetEval(ctx, modelDir, ctx.stage.task);
  }
  let head = await readHead(inputWithRole(ctx, 'head'));
  const task = ctx.stage.task ?? head.task;
  const own = join(modelDir, 'head');
  if (existsSync(join(own, 'head.json'))) {
    const h = await readHead(own);
    if (h.task === task) head = h;
  }
  const maxExamples = optionalCount(ctx.stage, 'max_examples');
  const test = await loadTask(taskData(ctx, task), 'test', maxExamples !== undefined ? { maxExamples } : {});
  ctx.log(`data: ${task} test split, ${test.size} images from ${test.origin ?? 'memory'}`);
  // an ensemble folder (from the `ensemble` stage) is evaluated by its averaged logits
  // the head is built (zero-shot head stage or the model's own): only the vision side is read
  const model = isEnsembleFolder(modelDir) ? await loadEnsemble(modelDir) : await loadClip(modelDir, { visionOnly: true });
  const progress = throttle(250, (x: { done: number; total: number }) => ctx.progress({ step: x.done, total: x.total, phase: 'eval' }));
  try {
    const t0 = performance.now();
    const args = { batchSize: optionalCount(ctx.stage, 'batch_size') ?? EVAL_BATCH, onProgress: (done: number, total: number) => progress({ done, total }, done === total), signal: ctx.signal };
    const r = 'models' in model ? evaluateEnsemble(model, head, test, args) : evaluate(model, head, test, args);
    const seconds = (performance.now() - t0) / 1000;
    const row = requiredString(ctx.stage, 'row') + selectionNote(modelDir);
    await writeJsonAtomic(join(ctx.outDir, 'metrics.json'), { task, row, accuracy: r.accuracy, loss: r.loss, n: r.n, head: head.kind, seconds: Math.round(seconds * 1000) / 1000 });
    // which class each test image got (the split's order: parquet files by name, rows in file
    // order): for error analysis and for checking fbw image by image against another implementation
    await writeJsonAtomic(join(ctx.outDir, 'predictions.json'), { task, row, labels: Array.from({ length: r.n }, (_, i) => test.label(i)), predictions: Array.from(r.predictions) });
    ctx.progress({ step: r.n, total: r.n, phase: 'eval', accuracy: r.accuracy, loss: r.loss, throughput: r.n / Math.max(seconds, 1e-9) });
    ctx.log(`${task} [${row}]: accuracy ${(r.accuracy * 100).toFixed(2)}% loss ${r.loss.toFixed(4)} on ${r.n} images`);
  } finally {
    model.dispose();
  }
}
