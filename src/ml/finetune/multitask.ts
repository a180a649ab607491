// Multi-task fine-tuning of CLIP — the "traditional MTL" row of FusionBench's tables, which is
// ImageClassificationFineTuningForCLIP run on an _mtl model pool (config/method/classification/
// clip_finetune.yaml, seed 000): one vision tower (or its LoRA / L-LoRA adapters, or its biases),
// every step a batch of batch_size from each task, each task's logits from its own frozen
// zero-shot head, loss = Σ_tasks cross-entropy; Adam and a cosine schedule over num_steps.
// All tasks' images go through the tower in one forward pass. Checkpoints hold the trained
// tensors, Adam moments, every task's data order and position, and the RNG states.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { SeededRng } from '../data/SeededRng.js';
import { encodeImage, patchify, type ClipModel, type ForwardContext } from '../models/clip.js';
import { crossEntropy } from '../models/ops.js';
import { headLogits } from '../heads/head.js';
import type { NamedTensor } from '../io/safetensors.js';
import { Adam, adamCheckpointTensors, cosineLr, restoreAdamCheckpoint } from './adam.js';
import type { LoraAdapters } from './lora.js';
import type { CheckpointState, TrainLogEntry } from './checkpoint.js';
import { trainingContext, trainingSetup, type FinetuneArgs } from './finetuneClip.js';
import { TaskListError, type TaskSplits } from './continual.js';
import { EpochOrder } from './EpochOrder.js';
import type { TrainingHooks, TrainProgress } from './TrainingHooks.js';
import { runTrainingLoop, type StepOutcome, type Trainer } from './trainingLoop.js';
import { jsonFormat } from '../../util/jsonFormat.js';

/** Progress of a multi-task step: the summed loss's figures plus each task's loss. */
export interface MultitaskProgress extends TrainProgress {
  readonly taskLoss: { readonly [task: string]: number };
}

/** The CLIP fine-tune arguments; batch_size is per task. */
export interface MultitaskArgs extends Omit<FinetuneArgs, keyof TrainingHooks | 'head' | 'state_dict_load_path' | 'state_dict_save_path' | 'skip_training'>, TrainingHooks<MultitaskProgress> {}

/** What a multi-task log line adds: each task's loss and batch accuracy. */
interface PerTask {
  readonly tasks: { readonly [task: string]: { readonly loss: number; readonly accuracy: number } };
}

/** One log line: summed loss, plus each task's loss and batch accuracy. */
export interface MultitaskLogEntry extends TrainLogEntry, PerTask {}

export interface MultitaskResult {
  /** dense weights after training (adapters merged) */
  readonly state: Map<string, NamedTensor>;
  readonly adapters?: LoraAdapters;
  readonly log: MultitaskLogEntry[];
  readonly trainableParams: number;
  readonly steps: number;
  readonly seconds: number;
  readonly resumedFrom?: number;
}

/** Every task's data position besides the common fields (task 0's position fills those). */
interface MultitaskCheckpointState extends CheckpointState {
  readonly orders: readonly (readonly number[])[];
  readonly cursors: readonly number[];
  readonly epochs: readonly number[];
}

/** The multi-task fields of a checkpoint's state.json (the common ones are checked where it is read). */
const multitaskStateFormat = jsonFormat<MultitaskCheckpointState>('multi-task checkpoint state', {
  type: 'object', required: ['orders', 'cursors', 'epochs'],
  properties: {
    orders: { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
    cursors: { type: 'array', items: { type: 'integer' } }, epochs: { type: 'array', items: { type: 'integer' } },
  },
});

/** Train `model` (mutated for dense methods) on all `tasks` at once. */
export async function multitaskFinetune(model: ClipModel, tasks: readonly TaskSplits[], args: MultitaskArgs): Promise<MultitaskResult> {
  if (tasks.length < 1) throw new TaskListError('multi-task fine-tuning needs at least one task');
  const names = tasks.map((t) => t.head.task);
  if (new Set(names).size !== names.length) throw new TaskListError(`multi-task fine-tuning got a task twice: ${names.join(', ')}`);
  const bsPer = tasks.map((t) => Math.min(args.batch_size, t.train.size));
  const { dataRng, noiseRng, adapters, vars } = trainingSetup(model, args.method, args.lora, args.seed);
  const trainableParams = [...vars.values()].reduce((a, x) => a + x.size, 0);
  args.log?.(`multi-task ${args.method} on ${names.join(', ')}: ${trainableParams} trainable parameters, batch ${bsPer.join('/')} per task`);
  const adam = new Adam(vars, { learningRate: args.learning_rate, weightDecay: args.weight_decay });
  const ctx = trainingContext(model, vars, adapters, args.gradient_checkpointing);
  const step = multitaskStep({ model, ctx, tasks, vars, adam, adapters, noiseRng });
  const orders = tasks.map((t) => EpochOrder.range(t.train.size, dataRng));
  const lr0 = args.learning_rate, total = args.num_steps;
  const trainer: Trainer<PerTask, Pick<MultitaskProgress, 'taskLoss'>> = {
    runId: createHash('sha256').update(JSON.stringify({
      kind: 'multitask', method: args.method, lr0, wd: args.weight_decay, total, bsPer, seed: args.seed, lora: adapters ? args.lora : null,
      data: tasks.map((t) => [t.head.task, t.train.fingerprint, t.head.numClasses]),
    })).digest('hex').slice(0, 16),
    total, what: 'training', saveInterval: args.save_interval,
    begin: (ck) => {
      if (!ck) return orders.forEach((o) => o.reshuffle());
      const st = multitaskStateFormat.check(ck.state, join(ck.path, 'state.json'));
      restoreAdamCheckpoint(ck, vars, adam, st.adamT);
      dataRng.setState(st.dataRng);
      noiseRng.setState(st.noiseRng);
      orders.forEach((o, t) => o.restore({ order: st.orders[t]!, cursor: st.cursors[t]!, epoch: st.epochs[t]! }));
    },
    step: (done) => step(orders.map((o, t) => o.nextFull(bsPer[t]!)), cosineLr(lr0, done, total)),
    snapshot: () => {
      const st = orders.map((o) => o.state());
      return {
        tensors: adamCheckpointTensors(vars, adam),
        state: { adamT: adam.t, dataRng: dataRng.getState(), noiseRng: noiseRng.getState(), ...st[0]!, orders: st.map((x) => x.order), cursors: st.map((x) => x.cursor), epochs: st.map((x) => x.epoch) },
      };
    },
    diverged: (loss, at) => new Error(`multi-task loss became ${loss} at step ${at} (learning_rate ${lr0} too high?)`),
    dispose: () => adam.dispose(),
  };
  const r = await runTrainingLoop(trainer, args);
  let state = model.stateDict();
  if (adapters) state = adapters.mergeInto(state);
  return { state, ...(adapters ? { adapters } : {}), ...r, trainableParams };
}

/** What a multi-task step trains. */
interface MultitaskStepParts {
  readonly model: ClipModel;
  readonly ctx: ForwardContext;
  readonly tasks: readonly TaskSplits[];
  readonly vars: ReadonlyMap<string, tf.Variable>;
  readonly adam: Adam;
  readonly adapters: LoraAdapters | undefined;
  readonly noiseRng: SeededRng;
}

/** One step over every task's batch: all images through the tower at once, loss = Σ task cross-entropies, one Adam update. */
function multitaskStep(p: MultitaskStepParts): (idx: readonly number[][], lr: number) => Promise<StepOutcome<PerTask, Pick<MultitaskProgress, 'taskLoss'>>> {
  const cfg = p.model.config, v = cfg.vision_config;
  const S = v.image_size, g = S / v.patch_size;
  const varNames = [...p.vars.keys()];
  const varList = [...p.vars.values()];
  return async (idx, lr) => {
    const batches = p.tasks.map((t, i) => t.train.batch(idx[i]!, S));
    const nAll = batches.reduce((a, b) => a + b.n, 0);
    const patches = new Float32Array(nAll * g * g * 3 * v.patch_size ** 2);
    let off = 0;
    for (const b of batches) { const x = patchify(b.x, b.n, S, v.patch_size); patches.set(x, off); off += x.length; }
    p.adapters?.drawDropout(nAll * (g * g + 1), p.noiseRng);
    const preds: tf.Tensor[] = [];
    const taskLosses: tf.Tensor[] = [];
    const lossT = tf.tidy(() => {
      const pt = tf.tensor2d(patches, [nAll * g * g, 3 * v.patch_size ** 2]);
      const { value, grads } = tf.variableGrads(() => {
        const feats = encodeImage(cfg, p.ctx, pt, nAll);
        let start = 0;
        const losses = batches.map((b, i) => {
          const f = tf.slice(feats, [start, 0], [b.n, feats.shape[1]]);
          start += b.n;
          const logits = headLogits(f, p.tasks[i]!.head);
          preds.push(tf.keep(tf.argMax(logits, 1)));
          const l = crossEntropy(logits, b.y);
          taskLosses.push(tf.keep(l));
          return l;
        });
        return tf.addN(losses) as tf.Scalar;
      }, varList);
      const byKey = new Map<string, tf.Tensor>();
      varList.forEach((x, i) => { const gr = grads[x.name]; if (gr) byKey.set(varNames[i]!, gr); });
      p.adam.apply(byKey, lr);
      return value;
    });
    p.adapters?.clearDropout();
    const loss = lossT.dataSync()[0]!;
    lossT.dispose();
    const per: { [task: string]: { loss: number; accuracy: number } } = {};
    let correct = 0;
    batches.forEach((b, i) => {
      const pr = preds[i]!.dataSync();
      let c = 0;
      for (let j = 0; j < b.n; j++) if (pr[j] === b.y[j]) c++;
      correct += c;
      per[p.tasks[i]!.head.task] = { loss: taskLosses[i]!.dataSync()[0]!, accuracy: c / b.n };
      preds[i]!.dispose(); taskLosses[i]!.dispose();
    });
    const taskLoss = Object.fromEntries(Object.entries(per).map(([k, x]) => [k, x.loss]));
    return { loss, lr, accuracy: correct / nAll, examples: nAll, entry: { tasks: per }, progress: { taskLoss } };
  };
}
