// The `continual` stage: one CLIP model fine-tuned on the stage's tasks in sequence (full / lora /
// l_lora / bitfit per task, optimizer and schedule reset per task). Inputs: role 'base' (model
// folder) and one role 'head' per task (its zero-shot head). Output: the model folder after the
// last task (HF layout, adapters merged), train_log.json (all tasks, steps counted continuously)
// and continual.json (task order, zero-shot accuracy, the accuracy matrix after each task,
// backward transfer, per-task steps/seconds/trainable parameters).
import { join } from 'node:path';
import type { Stage } from '../compile/ir.js';
import type { StageContext } from './contract.js';
import { inputsWithRole, inputWithRole, optionalCount, taskData } from './stageInputs.js';
import { argsOfStage } from '../registry/methods/resolve.js';
import { CLIP_FINETUNE_NAMES, clipFinetuneArgs, isClipFinetune } from '../registry/methods/clipFinetune.js';
import { continual } from '../registry/methods/continual.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadClip, saveClipState } from '../ml/models/loadClip.js';
import { readHead } from '../ml/heads/head.js';
import { loadTask } from '../ml/data/index.js';
import { type FinetuneMethod } from '../ml/finetune/finetuneClip.js';
import type { LoraConfig } from '../ml/finetune/lora.js';
import { continualFinetune, type SequenceProgress, type TaskSplits } from '../ml/finetune/continual.js';
import { stageTrainingHooks } from './stageTrainingHooks.js';
import { writeJsonAtomic } from '../ml/finetune/checkpoint.js';

/** A continual / multitask stage that cannot run as compiled: names the stage and the fix. */
export class TaskModeStageError extends Error {
  constructor(readonly stageId: string, readonly reason: string) {
    super(`stage '${stageId}': ${reason}`);
    this.name = 'TaskModeStageError';
  }
}

/** The per-task CLIP fine-tune settings of a continual / multitask stage, from its resolved params. */
export function clipTrainingParams(stage: Stage): { method: FinetuneMethod; learning_rate: number; weight_decay: number; num_steps: number; batch_size: number; save_interval: number; seed: number; lora: LoraConfig | null; gradient_checkpointing: boolean } {
  const method = stage.method;
  if (!isClipFinetune(method)) throw new TaskModeStageError(stage.id, `method '${stage.method}' is not a CLIP fine-tune (expected one of ${CLIP_FINETUNE_NAMES.join(', ')})`);
  const a = clipFinetuneArgs(method, stage.params, 'stage');
  if (a.head === 'linear') throw new TaskModeStageError(stage.id, `head=linear is not supported in ${stage.kind} mode (every task keeps its frozen zero-shot head); drop head=linear`);
  return { method, learning_rate: a.learning_rate, weight_decay: a.weight_decay, num_steps: a.num_steps, batch_size: a.batch_size, save_interval: a.save_interval, seed: a.seed, lora: a.lora, gradient_checkpointing: stage.gradient_checkpointing === true };
}

/** Heads, train and test splits of a continual / multitask stage's tasks, in stage.tasks order. */
export async function stageTaskSplits(ctx: StageContext, withTest: boolean): Promise<TaskSplits[]> {
  const heads = inputsWithRole(ctx, 'head');
  const tasks = ctx.stage.tasks ?? heads.map((h) => h.task).filter((t): t is string => !!t);
  if (!tasks.length) throw new TaskModeStageError(ctx.stage.id, 'no tasks (stage.tasks is empty and no head input names a task)');
  const maxEval = optionalCount(ctx.stage, 'max_eval_examples');
  const out: TaskSplits[] = [];
  for (const task of tasks) {
    const h = heads.find((x) => x.task === task);
    if (!h) throw new TaskModeStageError(ctx.stage.id, `no 'head' input for task '${task}'`);
    const head = await readHead(h.dir);
    const data = taskData(ctx, task);
    const train = await loadTask(data, 'train');
    ctx.log(`data: ${task} train split, ${train.size} images from ${train.origin ?? 'memory'}`);
    const test = withTest ? await loadTask(data, 'test', maxEval !== undefined ? { maxExamples: maxEval } : {}) : undefined;
    out.push({ head: { ...head, task }, train, ...(test ? { test } : {}) });
  }
  return out;
}

/** StageRunner for kind 'continual'. */
export async function runContinual(ctx: StageContext): Promise<void> {
  const { stage } = ctx;
  const t = clipTrainingParams(stage);
  const backend = await initBackend(ctx.device);
  ctx.log(`backend ${backend.backend} on ${ctx.device}`);
  const baseDir = inputWithRole(ctx, 'base');
  const tasks = await stageTaskSplits(ctx, true);
  const model = await loadClip(baseDir);
  try {
    const r = await continualFinetune(model, tasks, {
      ...t, shuffle_order: argsOfStage(continual, stage.params).shuffle_order,
      ...stageTrainingHooks<SequenceProgress>(ctx, (x) => `task ${x.taskIndex + 1}/${x.tasks} ${x.task}`),
    });
    await saveClipState(ctx.outDir, model.config, r.state, baseDir);
    await writeJsonAtomic(join(ctx.outDir, 'train_log.json'), r.log);
    await writeJsonAtomic(join(ctx.outDir, 'continual.json'), {
      method: t.method, order: r.order, zeroshot: r.zeroshot, accuracy: r.accuracy, final_average: r.finalAverage,
      backward_transfer: r.backwardTransfer, tasks: r.tasks, seconds: Math.round(r.seconds * 1000) / 1000, backend: backend.backend,
      resumed_at_task: r.resumedAtTask ?? null,
    });
    ctx.log(`continual ${r.order.join(' → ')}: final average ${r.finalAverage === null ? '-' : (r.finalAverage * 100).toFixed(2) + '%'}, BWT ${r.backwardTransfer === null ? '-' : (r.backwardTransfer * 100).toFixed(2)}`);
  } finally {
    model.dispose();
  }
}
