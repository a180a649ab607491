// The `multitask` stage: one CLIP model trained on all the stage's tasks at once (summed per-task
// losses against each task's frozen zero-shot head; full / lora / l_lora / bitfit). Inputs: role
// 'base' (model folder) and one role 'head' per task. Output: the model folder (HF layout,
// adapters merged), train_log.json (summed and per-task losses), multitask.json (trainable
// parameters, steps, seconds) and, for LoRA/L-LoRA, adapter/ (PEFT layout).
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { inputWithRole } from './stageInputs.js';
import { stageTrainingHooks } from './stageTrainingHooks.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadClip, saveClipState } from '../ml/models/loadClip.js';
import { multitaskFinetune } from '../ml/finetune/multitask.js';
import { writeJsonAtomic } from '../ml/finetune/checkpoint.js';
import { clipTrainingParams, stageTaskSplits } from './continual.js';

/** StageRunner for kind 'multitask'. */
export async function runMultitask(ctx: StageContext): Promise<void> {
  const { stage } = ctx;
  const t = clipTrainingParams(stage);
  const backend = await initBackend(ctx.device);
  ctx.log(`backend ${backend.backend} on ${ctx.device}`);
  const baseDir = inputWithRole(ctx, 'base');
  const tasks = await stageTaskSplits(ctx, false);
  const model = await loadClip(baseDir);
  try {
    const r = await multitaskFinetune(model, tasks, { ...t, ...stageTrainingHooks(ctx, 'train') });
    await saveClipState(ctx.outDir, model.config, r.state, baseDir);
    await writeJsonAtomic(join(ctx.outDir, 'train_log.json'), r.log);
    if (r.adapters) {
      await r.adapters.save(join(ctx.outDir, 'adapter'), baseDir);
      r.adapters.dispose();
    }
    await writeJsonAtomic(join(ctx.outDir, 'multitask.json'), {
      method: t.method, tasks: tasks.map((x) => x.head.task), trainable_params: r.trainableParams, steps: r.steps,
      seconds: Math.round(r.seconds * 1000) / 1000, backend: backend.backend, resumed_from: r.resumedFrom ?? null, final_loss: r.log.at(-1)?.loss ?? null,
    });
  } finally {
    model.dispose();
  }
}
