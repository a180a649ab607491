// The `finetune` stage: one CLIP model fine-tuned on one task (full / lora / l_lora / bitfit,
// optionally with a trained linear head). Inputs: role 'base' (model folder), role 'head' (the
// task's zero-shot head). Output: a full model folder in HF layout (adapters merged), train_log.json,
// finetune.json (trainable parameters, steps, seconds) and, for LoRA/L-LoRA, adapter/ (PEFT).
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { inputWithRole, taskData } from './stageInputs.js';
import { stageTrainingHooks } from './stageTrainingHooks.js';
import { CLIP_FINETUNE_NAMES, clipFinetuneArgs, isClipFinetune } from '../registry/methods/clipFinetune.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadClip, saveClipState } from '../ml/models/loadClip.js';
import { readHead, writeHead } from '../ml/heads/head.js';
import { loadTask } from '../ml/data/index.js';
import { finetuneClip } from '../ml/finetune/finetuneClip.js';
import { writeJsonAtomic } from '../ml/finetune/checkpoint.js';

/** The stage's method is not one this runner trains. */
export class UnknownFinetuneMethod extends Error {
  constructor(readonly method: string) {
    super(`finetune method '${method}' is not implemented here (expected one of ${CLIP_FINETUNE_NAMES.join(', ')})`);
    this.name = 'UnknownFinetuneMethod';
  }
}

/** StageRunner for kind 'finetune'. */
export async function runFinetune(ctx: StageContext): Promise<void> {
  const { stage } = ctx;
  const method = stage.method;
  if (!isClipFinetune(method)) throw new UnknownFinetuneMethod(stage.method);
  const p = stage.params;
  const backend = await initBackend(ctx.device);
  ctx.log(`backend ${backend.backend} on ${ctx.device}`);
  const baseDir = inputWithRole(ctx, 'base');
  const head = await readHead(inputWithRole(ctx, 'head'));
  const task = stage.task ?? head.task;
  const train = await loadTask(taskData(ctx, task), 'train');
  ctx.log(`data: ${task} train split, ${train.size} images from ${train.origin ?? 'memory'}`);
  const model = await loadClip(baseDir);
  try {
    const r = await finetuneClip(model, head, train, {
      ...clipFinetuneArgs(method, p, 'stage'),
      gradient_checkpointing: stage.gradient_checkpointing === true,
      ...stageTrainingHooks(ctx, 'train'),
      ...(ctx.dataParallel ? { dataParallel: ctx.dataParallel } : {}),
    });
    // data-parallel ranks > 0 hold the same weights as rank 0, which alone writes the artifact
    if (ctx.dataParallel && ctx.dataParallel.rank !== 0) { r.adapters?.dispose(); return; }
    await saveClipState(ctx.outDir, model.config, r.state, baseDir);
    await writeJsonAtomic(join(ctx.outDir, 'train_log.json'), r.log);
    if (r.adapters) {
      await r.adapters.save(join(ctx.outDir, 'adapter'), baseDir);
      r.adapters.dispose();
    }
    if (r.linearHead) await writeHead(join(ctx.outDir, 'head'), r.linearHead);
    await writeJsonAtomic(join(ctx.outDir, 'finetune.json'), {
      method, task, trainable_params: r.trainableParams, vision_params: r.visionParams, steps: r.steps,
      seconds: Math.round(r.seconds * 1000) / 1000, backend: backend.backend, resumed_from: r.resumedFrom ?? null, devices: ctx.dataParallel?.worldSize ?? 1,
      final_loss: r.log.at(-1)?.loss ?? null,
    });
  } finally {
    model.dispose();
  }
}
