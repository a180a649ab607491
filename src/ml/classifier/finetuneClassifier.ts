// Generic image-classification fine-tuning of any ClassifierNet (a ResNet in the HF layout, or a
// CLIP vision tower with a linear head), as
// FusionBench's ImageClassificationFineTuning (config/method/classification/
// image_classification_finetune.yaml; seed 000) trains it with Lightning: cross-entropy with
// label_smoothing, SGD (lr 0.001, momentum 0.9, weight_decay 1e-4), CosineAnnealingLR with
// T_max = max_epochs stepped per epoch (or per step when max_steps is given), training_data_ratio
// of the train split, the best save_top_k models by test accuracy kept, a save point every
// save_interval epochs (or steps). Checkpoints hold weights, momentum buffers, BatchNorm running
// statistics and counters, step, epoch, data order and position, RNG state, and the top-k list, so
// a run killed at any moment continues bit-identically (same backend, same seed).
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededRng, seededShuffle } from '../data/SeededRng.js';
import type { TaskDataset } from '../data/types.js';
import type { NamedTensor } from '../io/safetensors.js';
import { Adam } from '../finetune/adam.js';
import { readLatestCheckpoint, writeCheckpoint, type CheckpointState, type TrainLogEntry } from '../finetune/checkpoint.js';
import { resetClassifier, type BnUpdate, type ResNetModel } from './resnet.js';
import type { ClassifierNet } from './ClassifierNet.js';
import { withLabels } from './resnetConfig.js';
import { Sgd, cosineAnnealing } from './sgd.js';
import { evaluateClassifier, type ResNetEvalResult } from './evaluateResNet.js';
import { Interrupted } from '../../util/interrupted.js';

/** Optimizer block of the method config (torch names). */
export interface ClassifierOptimizer {
  readonly name: 'sgd' | 'adam' | 'adamw';
  readonly lr: number;
  /** sgd only */
  readonly momentum: number;
  readonly weight_decay: number;
}

/**
 * A classifier fine-tune's resolved arguments (FusionBench image_classification_finetune names).
 * Every hyper-parameter is required: names, defaults and ranges live in the method catalogue
 * (src/registry/methods/classifier.ts).
 */
export interface ClassifierArgs {
  /** ignored when max_steps is set */
  readonly max_epochs: number | null;
  /** when set, training counts steps and the schedule steps per step */
  readonly max_steps: number | null;
  readonly label_smoothing: number;
  /** best k models by test accuracy; 0 none, -1 all */
  readonly save_top_k: number;
  /** epochs (or steps) between save points */
  readonly save_interval: number;
  /** fraction of the train split to use, a fixed seeded subset; null = all */
  readonly training_data_ratio: number | null;
  readonly optimizer: ClassifierOptimizer;
  /** T_max null = max_epochs (or max_steps) */
  readonly lr_scheduler: { readonly name: 'cosine' | 'constant'; readonly T_max: number | null };
  readonly batch_size: number;
  readonly seed: number;
  /** test split used for save_top_k and the final accuracy; without it no evaluation happens */
  readonly test?: TaskDataset;
  /** evaluate on the first N test examples only (tests, quick runs) */
  readonly max_eval_examples?: number;
  /** where checkpoints (and the top-k model folders) go; without it none are written */
  readonly checkpointDir?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { step: number; total: number; epoch: number; loss: number; lr: number; accuracy: number; throughput: number }) => void;
  readonly onCheckpoint?: (step: number) => void;
  readonly onResume?: (step: number) => void;
  readonly onEval?: (e: ClassifierEval) => void;
  readonly log?: (line: string) => void;
}

/** One save-point evaluation. */
export interface ClassifierEval {
  readonly epoch: number;
  readonly step: number;
  readonly accuracy: number;
  readonly loss: number;
}

/** A kept top-k model: folder (under checkpointDir/top_k) and its test accuracy. */
export interface TopKEntry extends ClassifierEval {
  readonly name: string;
}

export interface ClassifierResult {
  readonly log: TrainLogEntry[];
  readonly evals: ClassifierEval[];
  /** best first */
  readonly topK: TopKEntry[];
  /** folder holding the top-k model folders (entries' `name`s), when checkpointDir was given */
  readonly topKDir?: string;
  readonly steps: number;
  readonly epochs: number;
  readonly seconds: number;
  readonly trainableParams: number;
  readonly final?: ResNetEvalResult;
  readonly resumedFrom?: number;
}

/** Invalid argument combination (names the parameter and the fix). */
export class ClassifierArgsError extends Error {
  constructor(readonly param: string, readonly reason: string) {
    super(`classifier fine-tune: ${param}: ${reason}`);
    this.name = 'ClassifierArgsError';
  }
}


interface ClassifierCheckpointState extends CheckpointState {
  readonly counts: { readonly [prefix: string]: number };
  readonly evals: readonly ClassifierEval[];
  readonly topK: readonly TopKEntry[];
}

/**
 * A model whose classifier fits `classnames`: unchanged when num_labels already matches, else a
 * fresh seeded classifier layer and id2label set to the task's class names (e.g. ImageNet → MNIST).
 */
export function fitClassifierToTask(model: ResNetModel, classnames: readonly string[], seed: number, log?: (s: string) => void): ResNetModel {
  if (model.config.num_labels === classnames.length) return model;
  log?.(`classifier has ${model.config.num_labels} labels, task has ${classnames.length}: new classifier layer (seed ${seed})`);
  const rng = new SeededRng((seed + 0xc1a55) >>> 0);
  return resetClassifier(model, withLabels(model.config, classnames), () => rng.next());
}

/** Cross-entropy with label smoothing ε as torch: targets (1−ε)·onehot + ε/C. */
export function smoothedCrossEntropy(logits: tf.Tensor2D, labels: Int32Array, eps: number): tf.Scalar {
  const [n, c] = logits.shape;
  const q = new Float32Array(n * c).fill(eps / c);
  for (let i = 0; i < n; i++) {
    const j = i * c + labels[i]!; // labels are class indices < c, so j is inside q
    q[j] = q[j]! + 1 - eps;
  }
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.tensor2d(q, [n, c]), tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

/** Fine-tune `net` (its variables are updated in place) on `train`. Its classifier must fit the task (see fitClassifierToTask). */
export async function finetuneClassifier(net: ClassifierNet, train: TaskDataset, args: ClassifierArgs): Promise<ClassifierResult> {
  const stepMode = args.max_steps !== null;
  // the mode not in use counts 0 (a null max_epochs without max_steps is refused just below)
  const maxSteps = args.max_steps !== null ? args.max_steps : 0;
  const maxEpochs = stepMode || args.max_epochs === null ? 0 : args.max_epochs;
  if (stepMode && maxSteps < 1) throw new ClassifierArgsError('max_steps', `must be ≥ 1, got ${maxSteps}`);
  if (!stepMode && maxEpochs < 1) throw new ClassifierArgsError('max_epochs', `must be ≥ 1 (or give max_steps), got ${maxEpochs}`);
  const eps = args.label_smoothing;
  if (eps < 0 || eps > 1) throw new ClassifierArgsError('label_smoothing', `must be in [0, 1], got ${eps}`);
  const topKLimit = args.save_top_k;
  const saveInterval = args.save_interval;
  const bs0 = args.batch_size;
  const seed = args.seed;
  const opt = { name: args.optimizer.name, lr: args.optimizer.lr, momentum: args.optimizer.momentum, weight_decay: args.optimizer.weight_decay };
  const sched = { name: args.lr_scheduler.name, T_max: args.lr_scheduler.T_max ?? (stepMode ? maxSteps : maxEpochs) };
  const log = args.log ?? (() => {});
  const S = net.imageSize;
  if (net.numLabels !== train.classnames.length) {
    throw new ClassifierArgsError('model', `the classifier has ${net.numLabels} labels but task '${train.name}' has ${train.classnames.length} classes; call fitClassifierToTask first`);
  }

  // the fixed training subset (training_data_ratio) and the per-epoch order
  const ratio = args.training_data_ratio;
  if (ratio !== null && !(ratio > 0 && ratio <= 1)) throw new ClassifierArgsError('training_data_ratio', `must be in (0, 1], got ${ratio}`);
  const perm = seededShuffle(train.size, (seed ^ 0x7a11) >>> 0);
  const subset = ratio === null ? Array.from({ length: train.size }, (_, i) => i) : Array.from(perm.subarray(0, Math.max(1, Math.floor(ratio * train.size))));
  const bs = Math.min(bs0, subset.length);
  const stepsPerEpoch = Math.ceil(subset.length / bs);
  const total = stepMode ? maxSteps : maxEpochs * stepsPerEpoch;
  const dataRng = new SeededRng(seed >>> 0);

  const vars = net.params;
  const trainableParams = [...vars.values()].reduce((a, x) => a + x.size, 0);
  log(`classifier fine-tune on ${train.name}: ${subset.length} examples, ${stepMode ? `${maxSteps} steps` : `${maxEpochs} epochs × ${stepsPerEpoch} steps`}, batch ${bs}, ${opt.name} lr ${opt.lr}, ${trainableParams} trainable parameters`);
  let sgd: Sgd | undefined;
  let adam: Adam | undefined;
  switch (opt.name) {
    case 'sgd': sgd = new Sgd(vars, { momentum: opt.momentum, weightDecay: opt.weight_decay }); break;
    case 'adam': adam = new Adam(vars, { learningRate: opt.lr, weightDecay: opt.weight_decay }); break;
    case 'adamw': adam = new Adam(vars, { learningRate: opt.lr, weightDecay: 0 }); break;
  }

  const identity = createHash('sha256').update(JSON.stringify({
    kind: 'classifier', net: net.kind, stepMode, maxSteps, maxEpochs, eps, topKLimit, saveInterval, bs, seed, opt, sched, ratio, S,
    data: train.fingerprint, test: args.test?.fingerprint ?? null, maxEval: args.max_eval_examples ?? null, labels: net.numLabels,
  })).digest('hex').slice(0, 16);

  let step = 0, epoch = 0, cursor = 0, prevSeconds = 0;
  let order: number[] = [];
  const trainLog: TrainLogEntry[] = [];
  const evals: ClassifierEval[] = [];
  let topK: TopKEntry[] = [];
  const topKDir = args.checkpointDir ? join(args.checkpointDir, 'top_k') : undefined;
  const newEpoch = () => { order = [...subset]; dataRng.shuffleInPlace(order); cursor = 0; };
  let resumedFrom: number | undefined;

  if (args.checkpointDir) {
    const ck = await readLatestCheckpoint(args.checkpointDir, identity, log);
    if (ck) {
      const st = ck.state as ClassifierCheckpointState;
      tf.tidy(() => {
        for (const [k, x] of [...vars, ...net.buffers]) {
          const p = ck.tensors.get(`param/${k}`);
          if (!p) throw new Error(`checkpoint ${ck.path} lacks tensor 'param/${k}'`);
          x.assign(tf.tensor(p.data, x.shape));
        }
        for (const [k, x] of vars) {
          const m = ck.tensors.get(`m/${k}`);
          if (sgd?.buf.has(k) && m) sgd.buf.get(k)!.assign(tf.tensor(m.data, x.shape));
          if (adam && m) adam.m.get(k)!.assign(tf.tensor(m.data, x.shape));
          const v = ck.tensors.get(`v/${k}`);
          if (adam && v) adam.v.get(k)!.assign(tf.tensor(v.data, x.shape));
        }
      });
      if (sgd) sgd.t = st.adamT;
      if (adam) adam.t = st.adamT;
      net.setCounters(st.counts);
      dataRng.setState(st.dataRng);
      step = st.step; epoch = st.epoch; cursor = st.cursor; order = [...st.order];
      trainLog.push(...st.log);
      evals.push(...st.evals);
      topK = [...st.topK];
      prevSeconds = st.seconds;
      resumedFrom = step;
      // top-k folders written after this checkpoint are not part of its state
      if (topKDir && existsSync(topKDir)) {
        const keep = new Set(topK.map((e) => e.name));
        for (const f of readdirSync(topKDir)) if (!keep.has(f)) await rm(join(topKDir, f), { recursive: true, force: true });
      }
      log(`resumed from ${ck.path} at step ${step} (epoch ${epoch})`);
      args.onResume?.(step);
    }
  }
  if (!order.length) newEpoch();

  const checkpoint = async (seconds: number) => {
    if (!args.checkpointDir) return;
    const tensors = new Map<string, NamedTensor>();
    for (const [k, x] of [...vars, ...net.buffers]) tensors.set(`param/${k}`, { shape: x.shape, data: x.dataSync() as Float32Array });
    for (const [k, x] of vars) {
      const m = sgd?.buf.get(k) ?? adam?.m.get(k);
      if (m) tensors.set(`m/${k}`, { shape: x.shape, data: m.dataSync() as Float32Array });
      const v = adam?.v.get(k);
      if (v) tensors.set(`v/${k}`, { shape: x.shape, data: v.dataSync() as Float32Array });
    }
    const state: ClassifierCheckpointState = {
      version: 1, runId: identity, step, adamT: sgd?.t ?? adam?.t ?? 0, dataRng: dataRng.getState(), noiseRng: 0, epoch, cursor, order,
      log: trainLog, seconds, counts: net.counters(), evals, topK,
    };
    const path = await writeCheckpoint(args.checkpointDir, state, tensors);
    log(`checkpoint ${path}`);
    args.onCheckpoint?.(step);
  };

  const evaluateNow = (): ResNetEvalResult | undefined =>
    args.test ? evaluateClassifier(net, args.test, { batchSize: Math.max(bs, 64), ...(args.max_eval_examples ? { maxExamples: args.max_eval_examples } : {}) }) : undefined;

  const savePoint = async (finished: boolean, seconds: number) => {
    const r = evaluateNow();
    if (r) {
      const e: ClassifierEval = { epoch: stepMode ? epoch : epoch + 1, step, accuracy: r.accuracy, loss: r.loss };
      evals.push(e);
      args.onEval?.(e);
      log(`${stepMode ? `step ${step}` : `epoch ${e.epoch}`}: test accuracy ${(r.accuracy * 100).toFixed(2)}% loss ${r.loss.toFixed(4)}`);
      if (topKDir && topKLimit !== 0) {
        const name = `epoch=${e.epoch}-step=${step}`;
        const cand = [...topK, { ...e, name }].sort((a, b) => b.accuracy - a.accuracy || a.step - b.step);
        const kept = topKLimit < 0 ? cand : cand.slice(0, topKLimit);
        if (kept.some((x) => x.name === name)) {
          const tmp = join(topKDir, `.tmp-${name}`);
          await rm(tmp, { recursive: true, force: true });
          await net.save(tmp);
          await rm(join(topKDir, name), { recursive: true, force: true });
          await rename(tmp, join(topKDir, name));
        }
        for (const x of topK) if (!kept.some((y) => y.name === x.name)) await rm(join(topKDir, x.name), { recursive: true, force: true });
        topK = kept;
      }
    }
    if (!finished) await checkpoint(seconds);
  };

  if (topKDir) await mkdir(topKDir, { recursive: true });
  const lrAt = (): number => {
    switch (sched.name) {
      case 'constant': return opt.lr;
      case 'cosine': return cosineAnnealing(opt.lr, stepMode ? step : epoch, sched.T_max);
    }
  };
  const t0 = performance.now();
  let lastT = t0, lastStep = step;
  const varNames = [...vars.keys()];
  const varList = [...vars.values()];
  try {
    for (;;) {
      if (stepMode ? step >= maxSteps : epoch >= maxEpochs) break;
      if (cursor >= order.length) {
        epoch++;
        if (!stepMode && epoch >= maxEpochs) break;
        newEpoch();
      }
      if (args.signal?.aborted) {
        await checkpoint(prevSeconds + (performance.now() - t0) / 1000);
        throw new Interrupted(step, 'classifier training');
      }
      const idx = order.slice(cursor, cursor + bs);
      cursor += idx.length;
      const batch = train.batch(idx, S);
      const lr = lrAt();
      const updates: BnUpdate[] = [];
      let pred: tf.Tensor | undefined;
      const lossT = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const logits = net.forward(batch, 'train', updates);
          pred = tf.keep(tf.argMax(logits, 1));
          return smoothedCrossEntropy(logits, batch.y, eps);
        }, varList);
        const byKey = new Map<string, tf.Tensor>();
        varList.forEach((v, i) => { const g = grads[v.name]; if (g) byKey.set(varNames[i]!, g); });
        if (opt.name === 'adamw') for (const x of varList) x.assign(tf.mul(x, 1 - lr * opt.weight_decay));
        if (sgd) sgd.apply(byKey, lr);
        if (adam) adam.apply(byKey, lr);
        net.applyUpdates(updates);
        return value;
      });
      const loss = lossT.dataSync()[0]!;
      lossT.dispose();
      const p = pred!.dataSync();
      pred!.dispose();
      let correct = 0;
      for (let j = 0; j < batch.n; j++) if (p[j] === batch.y[j]) correct++;
      step++;
      const now = performance.now();
      const seconds = prevSeconds + (now - t0) / 1000;
      trainLog.push({ step, loss, lr, accuracy: correct / batch.n, seconds: Math.round(seconds * 1000) / 1000 });
      const throughput = ((step - lastStep) * bs) / Math.max(1e-9, (now - lastT) / 1000);
      lastT = now; lastStep = step;
      args.onProgress?.({ step, total, epoch, loss, lr, accuracy: correct / batch.n, throughput });
      if (!Number.isFinite(loss)) throw new Error(`classifier loss became ${loss} at step ${step} (optimizer.lr ${opt.lr} too high?)`);
      if (stepMode) {
        if (step % saveInterval === 0 || step === maxSteps) await savePoint(step === maxSteps, seconds);
      } else if (cursor >= order.length) {
        const done = epoch + 1;
        if (done % saveInterval === 0 || done === maxEpochs) await savePoint(done === maxEpochs, seconds);
      }
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    sgd?.dispose();
    adam?.dispose();
  }
  const last = evals.at(-1);
  const final = last && last.step === step ? { accuracy: last.accuracy, loss: last.loss, n: Math.min(args.test?.size ?? 0, args.max_eval_examples ?? Infinity) } : evaluateNow();
  return {
    log: trainLog, evals, topK, ...(topKDir ? { topKDir } : {}), steps: step, epochs: stepMode ? epoch + (cursor >= order.length ? 1 : 0) : epoch,
    seconds: prevSeconds + (performance.now() - t0) / 1000, trainableParams, ...(final ? { final } : {}), ...(resumedFrom !== undefined ? { resumedFrom } : {}),
  };
}
