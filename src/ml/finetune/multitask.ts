// Multi-task fine-tuning of CLIP — the "traditional MTL" row of FusionBench's tables, which is
// ImageClassificationFineTuningForCLIP run on an _mtl model pool (config/method/classification/
// clip_finetune.yaml, seed 000): one vision tower (or its LoRA / L-LoRA adapters, or its biases),
// every step a batch of batch_size from each task, each task's logits from its own frozen
// zero-shot head, loss = Σ_tasks cross-entropy; Adam and a cosine schedule over num_steps.
// All tasks' images go through the tower in one forward pass. Checkpoints hold the trained
// tensors, Adam moments, every task's data order and position, and the RNG states.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { encodeImage, patchify, type ClipModel, type ForwardContext } from '../models/clip.js';
import { crossEntropy } from '../models/ops.js';
import { headLogits } from '../heads/head.js';
import type { NamedTensor } from '../io/safetensors.js';
import { Adam, cosineLr } from './adam.js';
import { LoraAdapters } from './lora.js';
import { readLatestCheckpoint, writeCheckpoint, type CheckpointState, type TrainLogEntry } from './checkpoint.js';
import { restoreTrainable, trainingSetup, type FinetuneArgs } from './finetuneClip.js';
import { TaskListError, type TaskSplits } from './continual.js';
import { Interrupted } from '../../util/interrupted.js';

/** The CLIP fine-tune arguments; batch_size is per task. */
export interface MultitaskArgs extends Omit<FinetuneArgs, 'onProgress' | 'head' | 'state_dict_load_path' | 'state_dict_save_path' | 'skip_training'> {
  readonly onProgress?: (p: { step: number; total: number; loss: number; lr: number; accuracy: number; throughput: number; taskLoss: { readonly [task: string]: number } }) => void;
}

/** One log line: summed loss, plus each task's loss and batch accuracy. */
export interface MultitaskLogEntry extends TrainLogEntry {
  readonly tasks: { readonly [task: string]: { readonly loss: number; readonly accuracy: number } };
}

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

interface MultitaskCheckpointState extends CheckpointState {
  readonly orders: readonly (readonly number[])[];
  readonly cursors: readonly number[];
  readonly epochs: readonly number[];
  readonly mtLog: readonly MultitaskLogEntry[];
}

/** Train `model` (mutated for dense methods) on all `tasks` at once. */
export async function multitaskFinetune(model: ClipModel, tasks: readonly TaskSplits[], args: MultitaskArgs): Promise<MultitaskResult> {
  if (tasks.length < 1) throw new TaskListError('multi-task fine-tuning needs at least one task');
  const names = tasks.map((t) => t.head.task);
  if (new Set(names).size !== names.length) throw new TaskListError(`multi-task fine-tuning got a task twice: ${names.join(', ')}`);
  const lr0 = args.learning_rate;
  const wd = args.weight_decay;
  const total = args.num_steps;
  const bsPer = tasks.map((t) => Math.min(args.batch_size, t.train.size));
  const saveInterval = args.save_interval;
  const seed = args.seed;
  const lora = args.lora;
  const log = args.log ?? (() => {});
  const cfg = model.config;
  const v = cfg.vision_config;
  const S = v.image_size;
  const g = S / v.patch_size;

  const { dataRng, noiseRng, adapters, vars } = trainingSetup(model, args.method, lora, seed);
  const trainableParams = [...vars.values()].reduce((a, x) => a + x.size, 0);
  log(`multi-task ${args.method} on ${names.join(', ')}: ${trainableParams} trainable parameters, batch ${bsPer.join('/')} per task`);
  const adam = new Adam(vars, { learningRate: lr0, weightDecay: wd });
  const trainSet = new Set(vars.keys());
  const ctx: ForwardContext = { p: (n) => model.get(n), trainable: (n) => trainSet.has(n), ...(adapters ? { adapter: adapters.adapter, lora: adapters.term } : {}), ...(args.gradient_checkpointing ? { gradientCheckpointing: true } : {}) };
  const varNames = [...vars.keys()];
  const varList = [...vars.values()];

  const identity = createHash('sha256').update(JSON.stringify({
    kind: 'multitask', method: args.method, lr0, wd, total, bsPer, seed, lora: adapters ? lora : null,
    data: tasks.map((t) => [t.head.task, t.train.fingerprint, t.head.numClasses]),
  })).digest('hex').slice(0, 16);

  let step = 0, prevSeconds = 0;
  let orders: number[][] = tasks.map(() => []);
  let cursors = tasks.map(() => 0);
  let epochs = tasks.map(() => 0);
  const trainLog: MultitaskLogEntry[] = [];
  const newEpoch = (t: number) => {
    const o = Array.from({ length: tasks[t]!.train.size }, (_, i) => i);
    dataRng.shuffleInPlace(o);
    orders[t] = o; cursors[t] = 0;
  };
  let resumedFrom: number | undefined;
  if (args.checkpointDir && total > 0) {
    const ck = await readLatestCheckpoint(args.checkpointDir, identity, log);
    if (ck) {
      const st = ck.state as MultitaskCheckpointState;
      restoreTrainable(ck, vars, adam, st.adamT);
      dataRng.setState(st.dataRng);
      noiseRng.setState(st.noiseRng);
      step = st.step; orders = st.orders.map((o) => [...o]); cursors = [...st.cursors]; epochs = [...st.epochs];
      trainLog.push(...st.mtLog);
      prevSeconds = st.seconds;
      resumedFrom = step;
      log(`resumed from ${ck.path} at step ${step}`);
      args.onResume?.(step);
    }
  }
  tasks.forEach((_, t) => { if (!orders[t]!.length) newEpoch(t); });

  const checkpoint = async (seconds: number) => {
    if (!args.checkpointDir) return;
    const tensors = new Map<string, NamedTensor>();
    for (const [k, x] of vars) {
      tensors.set(`param/${k}`, { shape: x.shape, data: x.dataSync() as Float32Array });
      tensors.set(`m/${k}`, { shape: x.shape, data: adam.m.get(k)!.dataSync() as Float32Array });
      tensors.set(`v/${k}`, { shape: x.shape, data: adam.v.get(k)!.dataSync() as Float32Array });
    }
    const state: MultitaskCheckpointState = {
      version: 1, runId: identity, step, adamT: adam.t, dataRng: dataRng.getState(), noiseRng: noiseRng.getState(),
      epoch: epochs[0]!, cursor: cursors[0]!, order: orders[0]!, log: trainLog, seconds, orders, cursors, epochs, mtLog: trainLog,
    };
    const path = await writeCheckpoint(args.checkpointDir, state, tensors);
    log(`checkpoint ${path}`);
    args.onCheckpoint?.(step);
  };

  const t0 = performance.now();
  let lastT = t0, lastStep = step;
  try {
    while (step < total) {
      if (args.signal?.aborted) {
        await checkpoint(prevSeconds + (performance.now() - t0) / 1000);
        throw new Interrupted(step, 'training');
      }
      const batches = tasks.map((t, i) => {
        if (cursors[i]! + bsPer[i]! > orders[i]!.length) { epochs[i]!++; newEpoch(i); }
        const idx = orders[i]!.slice(cursors[i]!, cursors[i]! + bsPer[i]!);
        cursors[i]! += bsPer[i]!;
        return t.train.batch(idx, S);
      });
      const nAll = batches.reduce((a, b) => a + b.n, 0);
      const patches = new Float32Array(nAll * g * g * 3 * v.patch_size ** 2);
      let off = 0;
      for (const b of batches) { const p = patchify(b.x, b.n, S, v.patch_size); patches.set(p, off); off += p.length; }
      adapters?.drawDropout(nAll * (g * g + 1), noiseRng);
      const lr = cosineLr(lr0, step, total);
      const preds: tf.Tensor[] = [];
      const taskLosses: tf.Tensor[] = [];
      const lossT = tf.tidy(() => {
        const pt = tf.tensor2d(patches, [nAll * g * g, 3 * v.patch_size ** 2]);
        const { value, grads } = tf.variableGrads(() => {
          const feats = encodeImage(cfg, ctx, pt, nAll);
          let start = 0;
          const losses = batches.map((b, i) => {
            const f = tf.slice(feats, [start, 0], [b.n, feats.shape[1]]);
            start += b.n;
            const logits = headLogits(f, tasks[i]!.head);
            preds.push(tf.keep(tf.argMax(logits, 1)));
            const l = crossEntropy(logits, b.y);
            taskLosses.push(tf.keep(l));
            return l;
          });
          return tf.addN(losses) as tf.Scalar;
        }, varList);
        const byKey = new Map<string, tf.Tensor>();
        varList.forEach((x, i) => { const gr = grads[x.name]; if (gr) byKey.set(varNames[i]!, gr); });
        adam.apply(byKey, lr);
        return value;
      });
      adapters?.clearDropout();
      const loss = lossT.dataSync()[0]!;
      lossT.dispose();
      const per: { [task: string]: { loss: number; accuracy: number } } = {};
      let correct = 0;
      batches.forEach((b, i) => {
        const p = preds[i]!.dataSync();
        let c = 0;
        for (let j = 0; j < b.n; j++) if (p[j] === b.y[j]) c++;
        correct += c;
        per[names[i]!] = { loss: taskLosses[i]!.dataSync()[0]!, accuracy: c / b.n };
        preds[i]!.dispose(); taskLosses[i]!.dispose();
      });
      step++;
      const now = performance.now();
      const seconds = prevSeconds + (now - t0) / 1000;
      trainLog.push({ step, loss, lr, accuracy: correct / nAll, seconds: Math.round(seconds * 1000) / 1000, tasks: per });
      const throughput = ((step - lastStep) * nAll) / Math.max(1e-9, (now - lastT) / 1000);
      lastT = now; lastStep = step;
      args.onProgress?.({ step, total, loss, lr, accuracy: correct / nAll, throughput, taskLoss: Object.fromEntries(Object.entries(per).map(([k, x]) => [k, x.loss])) });
      if (!Number.isFinite(loss)) throw new Error(`multi-task loss became ${loss} at step ${step} (learning_rate ${lr0} too high?)`);
      if (step % saveInterval === 0 && step < total) await checkpoint(seconds);
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    adam.dispose();
  }
  let state = model.stateDict();
  if (adapters) state = adapters.mergeInto(state);
  return { state, ...(adapters ? { adapters } : {}), log: trainLog, trainableParams, steps: step, seconds: prevSeconds + (performance.now() - t0) / 1000, ...(resumedFrom !== undefined ? { resumedFrom } : {}) };
}
