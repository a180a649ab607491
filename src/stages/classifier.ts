// The `finetune` stage with method 'classifier': the generic (non-CLIP) image-classification
// fine-tune of a ResNet in the Hugging Face layout (FusionBench ImageClassificationFineTuning).
// Input role 'base': a ResNetForImageClassification folder (its own classifier, replaced when the
// task's class count differs; a 'head' input is not used), or a CLIP folder, whose vision tower
// trains with a linear head started from the task's zero-shot head (input role 'head').
// Output: the trained model folder (HF layout; for CLIP the trained head in head/, which the eval
// stage picks up), train_log.json, classifier.json (evaluations, top-k, trainable parameters,
// backend) and top_k/<epoch=E-step=S>/ model folders.
import type { Json } from '../compile/ir.js';
import type { StageContext } from './contract.js';
import { StageInterrupted } from './contract.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputsWithRole, inputWithRole, num, taskData, throttle } from './stageInputs.js';
import { loadClip } from '../ml/models/loadClip.js';
import { readHead } from '../ml/heads/head.js';
import { resnetNet, type ClassifierNet } from '../ml/classifier/ClassifierNet.js';
import { clipClassifierNet } from '../ml/classifier/clipClassifierNet.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { loadTask } from '../ml/data/index.js';
import { loadResNet, resnetImageSize } from '../ml/classifier/loadResNet.js';
import { finetuneClassifier, fitClassifierToTask, ClassifierInterrupted, type ClassifierOptimizer } from '../ml/classifier/finetuneClassifier.js';
import { writeClassifierRun } from '../ml/classifier/writeClassifierRun.js';

/** The stage is not a classifier fine-tune on one task (a compiler bug, reported clearly). */
export class ClassifierStageError extends Error {
  constructor(readonly stageId: string, readonly reason: string) {
    super(`stage '${stageId}': ${reason}`);
    this.name = 'ClassifierStageError';
  }
}

type Obj = { readonly [k: string]: Json };
const obj = (v: Json | undefined): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const nullableNum = (p: Obj, k: string, def: number | null): number | null => (typeof p[k] === 'number' ? (p[k] as number) : p[k] === null ? null : def);

/** 'clip' when the base folder holds a CLIP model (config.json model_type / vision_config), else 'resnet'. */
async function baseKind(dir: string): Promise<'clip' | 'resnet'> {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) return 'resnet';
  const c = JSON.parse(await readFile(p, 'utf8')) as { model_type?: string; vision_config?: unknown };
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
  const seed = num(p, 'seed', 42);
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
  const o = obj(p['optimizer']);
  const s = obj(p['lr_scheduler']);
  const optName = o['name'] === 'adam' || o['name'] === 'adamw' ? o['name'] : 'sgd';
  const optimizer: ClassifierOptimizer = { name: optName, lr: num(o, 'lr', 0.001), momentum: num(o, 'momentum', 0.9), weight_decay: num(o, 'weight_decay', 1e-4) };
  const progress = throttle(250, (x: { step: number; total: number; loss: number; lr: number; accuracy: number; throughput: number }) =>
    ctx.progress({ step: x.step, total: x.total, phase: 'train', loss: x.loss, lr: x.lr, accuracy: x.accuracy, throughput: x.throughput }));
  try {
    const maxEval = num(p, 'max_eval_examples', 0);
    const r = await finetuneClassifier(net, train, {
      max_epochs: nullableNum(p, 'max_epochs', 10), max_steps: nullableNum(p, 'max_steps', null),
      label_smoothing: num(p, 'label_smoothing', 0), save_top_k: num(p, 'save_top_k', 1), save_interval: num(p, 'save_interval', 1),
      training_data_ratio: nullableNum(p, 'training_data_ratio', null), optimizer,
      lr_scheduler: { name: s['name'] === 'constant' ? 'constant' : 'cosine', T_max: nullableNum(s, 'T_max', null) },
      batch_size: num(p, 'batch_size', 256), seed, test,
      ...(maxEval > 0 ? { max_eval_examples: maxEval } : {}),
      checkpointDir: ctx.checkpointDir, signal: ctx.signal,
      onProgress: (x) => progress(x, x.step === x.total),
      onCheckpoint: (step) => ctx.checkpointed(step),
      onResume: (step) => ctx.resumed(step),
      log: ctx.log,
    });
    await writeClassifierRun(ctx.outDir, net, r, { method: 'classifier', model: kind, task, backend: backend.backend });
  } catch (e) {
    if (e instanceof ClassifierInterrupted) throw new StageInterrupted(e.step);
    throw e;
  } finally {
    release();
  }
}
