// The `finetune` stage with method 'classifier': the generic (non-CLIP) image-classification
// fine-tune of a ResNet in the Hugging Face layout (FusionBench ImageClassificationFineTuning).
// Input role 'base': a ResNetForImageClassification folder (its own classifier, replaced when the
// task's class count differs; a 'head' input is not used), or a CLIP folder, whose vision tower
// trains with a linear head started from the task's zero-shot head (input role 'head').
// Output: the trained model folder (HF layout; for CLIP the trained head in head/, which the eval
// stage picks up), train_log.json, classifier.json (evaluations, top-k, trainable parameters,
// backend) and top_k/<epoch=E-step=S>/ model folders.
import { argsOfStage } from '../registry/methods/resolve.js';
import { classifier } from '../registry/methods/classifier.js';
import type { StageContext } from './contract.js';
import { existsSync } from 'node:fs';
import { hfConfigFormat } from '../ml/io/hfFormats.js';
import { join } from 'node:path';
import { inputsWithRole, inputWithRole, optionalCount, taskData } from './stageInputs.js';
import { stageTrainingHooks } from './stageTrainingHooks.js';
import { loadClip } from '../ml/models/loadClip.js';
import { readHead } from '../ml/heads/head.js';
import { resnetNet, type ClassifierNet } from '../ml/classifier/ClassifierNet.js';
import { clipClassifierNet } from '../ml/classifier/clipClassifierNet.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadTask } from '../ml/data/index.js';
import { loadResNet, resnetImageSize } from '../ml/classifier/loadResNet.js';
import { finetuneClassifier, fitClassifierToTask } from '../ml/classifier/finetuneClassifier.js';
import { writeClassifierRun } from '../ml/classifier/writeClassifierRun.js';

/** The stage is not a classifier fine-tune on one task (a compiler bug, reported clearly). */
export class ClassifierStageError extends Error {
  constructor(readonly stageId: string, readonly reason: string) {
    super(`stage '${stageId}': ${reason}`);
    this.name = 'ClassifierStageError';
  }
}


/** 'clip' when the base folder holds a CLIP model (config.json model_type / vision_config), else 'resnet'. */
async function baseKind(dir: string): Promise<'clip' | 'resnet'> {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) return 'resnet';
  const c = await hfConfigFormat.readAsync(p);
  return c.model_type === 'clip' || c.vision_config !== undefined ? 'clip' : 'resnet';
}

/** StageRunner for kind 'finetune', method 'classifier'. */
export async function runClassifier(ctx: StageContext): Promise<void> {
  const { stage } = ctx;
  const task = stage.task;
  if (!task) throw new ClassifierStageError(stage.id, 'a classifier fine-tune needs stage.task');
  const p = stage.params;
  const backend = await initBackend(ctx.device);
  ctx.log(`backend ${backend.backend} on ${ctx.device}`);
  const baseDir = inputWithRole(ctx, 'base');
  const a = argsOfStage(classifier, p);
  const seed = a.seed;
  const train = await loadTask(taskData(ctx, task), 'train');
  const test = await loadTask(taskData(ctx, task), 'test');
  const kind = await baseKind(baseDir);
  let net: ClassifierNet;
  let release: () => void;
  switch (kind) {
    case 'resnet': {
      const model = fitClassifierToTask(await loadResNet(baseDir), train.classnames, seed, ctx.log);
      net = resnetNet(model, await resnetImageSize(baseDir));
      release = () => model.dispose();
      break;
    }
    case 'clip': {
      const heads = inputsWithRole(ctx, 'head');
      if (!heads.length) throw new ClassifierStageError(stage.id, `the base is a CLIP model: the classifier fine-tune needs the task's zero-shot head (an input with role 'head') to start its linear head from`);
      const model = await loadClip(baseDir);
      const c = clipClassifierNet(model, await readHead(heads[0]!.dir));
      ctx.log('CLIP base: vision tower + linear head (initialised from the zero-shot head) trained with the classifier recipe');
      net = c;
      release = () => { c.dispose(); model.dispose(); };
      break;
    }
  }
  try {
    const maxEval = optionalCount(stage, 'max_eval_examples');
    const r = await finetuneClassifier(net, train, {
      max_epochs: a.max_epochs, max_steps: a.max_steps,
      label_smoothing: a.label_smoothing, save_top_k: a.save_top_k, save_interval: a.save_interval,
      training_data_ratio: a.training_data_ratio, optimizer: a.optimizer,
      lr_scheduler: { name: a.lr_scheduler.name, T_max: a.lr_scheduler.T_max },
      batch_size: a.batch_size, seed, test,
      ...(maxEval !== undefined ? { max_eval_examples: maxEval } : {}),
      ...stageTrainingHooks(ctx, 'train'),
    });
    await writeClassifierRun(ctx.outDir, net, r, { method: 'classifier', model: kind, task, backend: backend.backend });
  } finally {
    release();
  }
}
