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
import { join } from 'node:path';
import { SeededRng, seededShuffle } from '../data/SeededRng.js';
import type { TaskDataset } from '../data/types.js';
import type { NamedTensor } from '../io/safetensors.js';
import type { CheckpointState, TrainLogEntry } from '../finetune/checkpoint.js';
import { EpochOrder } from '../finetune/EpochOrder.js';
import type { TrainingHooks, TrainProgress } from '../finetune/TrainingHooks.js';
import { runTrainingLoop, type LoadedCheckpoint, type Trainer } from '../finetune/trainingLoop.js';
import { resetClassifier, type BnUpdate, type ResNetModel } from './resnet.js';
import type { ClassifierNet } from './ClassifierNet.js';
import { withLabels } from './resnetConfig.js';
import { cosineAnnealing } from './sgd.js';
import { ClassifierOptimizerState, type ClassifierOptimizer } from './classifierOptimizer.js';
import { TopK, type ClassifierEval, type TopKEntry } from './topK.js';
import { evaluateClassifier, type ResNetEvalResult } from './evaluateResNet.js';
import { jsonFormat } from '../../util/jsonFormat.js';

/**
 * A classifier fine-tune's resolved arguments (FusionBench image_classification_finetune names).
 * Every hyper-parameter is required: names, defaults and ranges live in the method catalogue
 * (src/registry/methods/classifier.ts).
 */
export interface ClassifierArgs extends TrainingHooks<ClassifierProgress> {
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
  /** evaluate on the first N test examples only (tests, quick runs); absent = the whole test split */
  readonly max_eval_examples?: number;
  readonly onEval?: (e: ClassifierEval) => void;
}

/** A classifier step's progress: the common figures plus the epoch. */
export interface ClassifierProgress extends TrainProgress {
  readonly epoch: number;
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


/** What a classifier checkpoint keeps besides the common fields. */
interface ClassifierCheckpointState extends CheckpointState {
  readonly counts: { readonly [prefix: string]: number };
  readonly evals: readonly ClassifierEval[];
  readonly topK: readonly TopKEntry[];
}

const EVAL_SCHEMA = {
  type: 'object', required: ['epoch', 'step', 'accuracy', 'loss'],
  properties: { epoch: { type: 'integer' }, step: { type: 'integer' }, accuracy: { type: 'number' }, loss: { type: 'number' }, name: { type: 'string' } },
} as const;

/** The classifier fields of a checkpoint's state.json (the common ones are checked where it is read). */
const classifierStateFormat = jsonFormat<ClassifierCheckpointState>('classifier checkpoint state', {
  type: 'object', required: ['counts', 'evals', 'topK'],
  properties: {
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
    evals: { type: 'array', items: EVAL_SCHEMA },
    topK: { type: 'array', items: { ...EVAL_SCHEMA, required: [...EVAL_SCHEMA.required, 'name'] } },
  },
});

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

/** The run's shape from its arguments: step or epoch budget, the fixed training subset, batch size and total steps. */
function classifierPlan(net: ClassifierNet, train: TaskDataset, args: ClassifierArgs) {
  const stepMode = args.max_steps !== null;
  // the mode not in use counts 0 (a null max_epochs without max_steps is refused just below)
  const maxSteps = args.max_steps !== null ? args.max_steps : 0;
  const maxEpochs = stepMode || args.max_epochs === null ? 0 : args.max_epochs;
  if (stepMode && maxSteps < 1) throw new ClassifierArgsError('max_steps', `must be ≥ 1, got ${maxSteps}`);
  if (!stepMode && maxEpochs < 1) throw new ClassifierArgsError('max_epochs', `must be ≥ 1 (or give max_steps), got ${maxEpochs}`);
  const eps = args.label_smoothing;
  if (eps < 0 || eps > 1) throw new ClassifierArgsError('label_smoothing', `must be in [0, 1], got ${eps}`);
  if (net.numLabels !== train.classnames.length) {
    throw new ClassifierArgsError('model', `the classifier has ${net.numLabels} labels but task '${train.name}' has ${train.classnames.length} classes; call fitClassifierToTask first`);
  }
  // the fixed training subset (training_data_ratio)
  const ratio = args.training_data_ratio;
  if (ratio !== null && !(ratio > 0 && ratio <= 1)) throw new ClassifierArgsError('training_data_ratio', `must be in (0, 1], got ${ratio}`);
  const perm = seededShuffle(train.size, (args.seed ^ 0x7a11) >>> 0);
  const subset = ratio === null ? Array.from({ length: train.size }, (_, i) => i) : Array.from(perm.subarray(0, Math.max(1, Math.floor(ratio * train.size))));
  const bs = Math.min(args.batch_size, subset.length);
  const stepsPerEpoch = Math.ceil(subset.length / bs);
  const total = stepMode ? maxSteps : maxEpochs * stepsPerEpoch;
  const sched = { name: args.lr_scheduler.name, T_max: args.lr_scheduler.T_max ?? (stepMode ? maxSteps : maxEpochs) };
  return { stepMode, maxSteps, maxEpochs, eps, ratio, subset, bs, stepsPerEpoch, total, sched };
}

/** One classifier step on examples `idx`: label-smoothed cross-entropy, the optimizer's update, BatchNorm statistics. */
function classifierStep(net: ClassifierNet, train: TaskDataset, eps: number, optimizer: ClassifierOptimizerState): (idx: readonly number[], lr: number) => { loss: number; correct: number; n: number } {
  const varNames = [...net.params.keys()];
  const varList = [...net.params.values()];
  return (idx, lr) => {
    const batch = train.batch(idx, net.imageSize);
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
      optimizer.apply(byKey, lr);
      net.applyUpdates(updates);
      return value;
    });
    const loss = lossT.dataSync()[0]!;
    lossT.dispose();
    const p = pred!.dataSync();
    pred!.dispose();
    let correct = 0;
    for (let j = 0; j < batch.n; j++) if (p[j] === batch.y[j]) correct++;
    return { loss, correct, n: batch.n };
  };
}

/** The net's trained variables and buffers (param/<name>) and the optimizer's tensors, for a checkpoint. */
function classifierTensors(net: ClassifierNet, optimizer: ClassifierOptimizerState): Map<string, NamedTensor> {
  const tensors = new Map<string, NamedTensor>();
  for (const [k, x] of [...net.params, ...net.buffers]) tensors.set(`param/${k}`, { shape: x.shape, data: x.dataSync() as Float32Array });
  for (const [k, t] of optimizer.tensors()) tensors.set(k, t);
  return tensors;
}

/** Put a checkpoint's variables, buffers, counters and optimizer state back into `net`. */
function restoreClassifier(ck: LoadedCheckpoint, net: ClassifierNet, optimizer: ClassifierOptimizerState, st: ClassifierCheckpointState): void {
  tf.tidy(() => {
    for (const [k, x] of [...net.params, ...net.buffers]) {
      const p = ck.tensors.get(`param/${k}`);
      if (!p) throw new Error(`checkpoint ${ck.path} lacks tensor 'param/${k}'`);
      x.assign(tf.tensor(p.data, x.shape));
    }
    optimizer.restore(ck.tensors, st.adamT);
  });
  net.setCounters(st.counts);
}

/** Identity of a classifier run (a checkpoint of another configuration is not resumed). */
function classifierRunId(net: ClassifierNet, train: TaskDataset, args: ClassifierArgs, plan: ReturnType<typeof classifierPlan>, opt: ClassifierOptimizer): string {
  const { stepMode, maxSteps, maxEpochs, eps, bs, sched } = plan;
  return createHash('sha256').update(JSON.stringify({
    kind: 'classifier', net: net.kind, stepMode, maxSteps, maxEpochs, eps, topKLimit: args.save_top_k, saveInterval: args.save_interval, bs, seed: args.seed, opt, sched, ratio: plan.ratio, S: net.imageSize,
    data: train.fingerprint, test: args.test?.fingerprint ?? null, maxEval: args.max_eval_examples ?? null, labels: net.numLabels,
  })).digest('hex').slice(0, 16);
}

/** What the save points see: the run, its data position, the evaluations so far and the best-k folders. */
interface SavePointParts {
  readonly net: ClassifierNet;
  readonly args: ClassifierArgs;
  readonly plan: ReturnType<typeof classifierPlan>;
  readonly data: EpochOrder;
  readonly evals: ClassifierEval[];
  readonly topK: TopK | undefined;
  readonly evaluate: () => ResNetEvalResult | undefined;
  readonly log: (s: string) => void;
}

/**
 * The classifier's save points (the trainer's afterStep): every save_interval steps (max_steps
 * given) or epochs, and at the end, evaluate, keep the model if among the best k, and checkpoint
 * unless training is over.
 */
function savePoints(p: SavePointParts): (done: number, checkpoint: () => Promise<void>) => Promise<void> {
  const { args, data } = p;
  const { stepMode, maxSteps, maxEpochs } = p.plan;
  return async (done, checkpoint) => {
    const epochs = data.epoch + 1;
    const [due, finished] = stepMode ? [done % args.save_interval === 0 || done === maxSteps, done === maxSteps]
      : [data.exhausted && (epochs % args.save_interval === 0 || epochs === maxEpochs), epochs === maxEpochs];
    if (!due) return;
    const r = p.evaluate();
    if (r) {
      const e: ClassifierEval = { epoch: stepMode ? data.epoch : epochs, step: done, accuracy: r.accuracy, loss: r.loss };
      p.evals.push(e);
      args.onEval?.(e);
      p.log(`${stepMode ? `step ${done}` : `epoch ${e.epoch}`}: test accuracy ${(r.accuracy * 100).toFixed(2)}% loss ${r.loss.toFixed(4)}`);
      await p.topK?.offer(p.net, e);
    }
    if (!finished) await checkpoint();
  };
}

/** Fine-tune `net` (its variables are updated in place) on `train`. Its classifier must fit the task (see fitClassifierToTask). */
export async function finetuneClassifier(net: ClassifierNet, train: TaskDataset, args: ClassifierArgs): Promise<ClassifierResult> {
  const plan = classifierPlan(net, train, args);
  const { stepMode, maxSteps, maxEpochs, eps, bs, total, sched } = plan;
  const opt = { name: args.optimizer.name, lr: args.optimizer.lr, momentum: args.optimizer.momentum, weight_decay: args.optimizer.weight_decay };
  const log = args.log ?? (() => {});
  const trainableParams = [...net.params.values()].reduce((a, x) => a + x.size, 0);
  log(`classifier fine-tune on ${train.name}: ${plan.subset.length} examples, ${stepMode ? `${maxSteps} steps` : `${maxEpochs} epochs × ${plan.stepsPerEpoch} steps`}, batch ${bs}, ${opt.name} lr ${opt.lr}, ${trainableParams} trainable parameters`);
  const optimizer = new ClassifierOptimizerState(opt, net.params);
  const dataRng = new SeededRng(args.seed >>> 0);
  const data = new EpochOrder(plan.subset, dataRng);
  const evals: ClassifierEval[] = [];
  const topK = args.checkpointDir ? new TopK(join(args.checkpointDir, 'top_k'), args.save_top_k) : undefined;
  const evaluateNow = (): ResNetEvalResult | undefined =>
    args.test ? evaluateClassifier(net, args.test, { batchSize: Math.max(bs, 64), ...(args.max_eval_examples ? { maxExamples: args.max_eval_examples } : {}) }) : undefined;
  const step = classifierStep(net, train, eps, optimizer);

  const afterStep = savePoints({ net, args, plan, data, evals, topK, evaluate: evaluateNow, log });
  const trainer: Trainer<object, Pick<ClassifierProgress, 'epoch'>> = {
    runId: classifierRunId(net, train, args, plan, opt),
    total, what: 'classifier training',
    begin: async (ck) => {
      await topK?.open();
      if (!ck) return data.reshuffle();
      const st = classifierStateFormat.check(ck.state, join(ck.path, 'state.json'));
      restoreClassifier(ck, net, optimizer, st);
      dataRng.setState(st.dataRng);
      data.restore(st);
      evals.push(...st.evals);
      await topK?.restore(st.topK);
    },
    step: async (done) => {
      const idx = data.next(bs);
      // the schedule steps per epoch (torch CosineAnnealingLR stepped by Lightning), or per step with max_steps
      const lr = sched.name === 'constant' ? opt.lr : cosineAnnealing(opt.lr, stepMode ? done : data.epoch, sched.T_max);
      const { loss, correct, n } = step(idx, lr);
      return { loss, lr, accuracy: correct / n, examples: bs, progress: { epoch: data.epoch } };
    },
    snapshot: () => ({
      tensors: classifierTensors(net, optimizer),
      state: { adamT: optimizer.t, dataRng: dataRng.getState(), noiseRng: 0, ...data.state(), counts: net.counters(), evals, topK: topK?.entries ?? [] },
    }),
    afterStep,
    diverged: (loss, at) => new Error(`classifier loss became ${loss} at step ${at} (optimizer.lr ${opt.lr} too high?)`),
    dispose: () => optimizer.dispose(),
  };
  const r = await runTrainingLoop(trainer, args);
  const last = evals.at(-1);
  const final = last && last.step === r.steps ? { accuracy: last.accuracy, loss: last.loss, n: Math.min(args.test?.size ?? 0, args.max_eval_examples ?? Infinity) } : evaluateNow();
  return {
    ...r, evals, topK: topK?.entries ?? [], ...(topK ? { topKDir: topK.dir } : {}), epochs: data.epoch + (data.exhausted ? 1 : 0),
    trainableParams, ...(final ? { final } : {}),
  };
}
