// CLIP image-classification fine-tuning as FusionBench's ImageClassificationFineTuningForCLIP
// does it: the vision tower (or its LoRA / L-LoRA adapters, or only its biases — BitFit, Ben Zaken
// et al., ACL 2022, arXiv 2106.10199) trains against a frozen zero-shot head (or a trainable linear
// head), logits = logit_scale · norm(f_vision(x)) · W_zeroshotᵀ, cross-entropy, Adam with weight
// decay, cosine schedule over num_steps. Checkpoints every save_interval steps hold everything
// needed to continue bit-identically after kill -9: trained tensors, Adam moments and step, RNG
// states, data order and position.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { SeededRng } from '../data/SeededRng.js';
import type { TaskDataset } from '../data/types.js';
import { encodeImage, newVariable, patchify, type ClipModel, type ForwardContext } from '../models/clip.js';
import { crossEntropy } from '../models/ops.js';
import { headLogits, type Head } from '../heads/head.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { Adam, cosineLr } from './adam.js';
import { LoraAdapters, type LoraConfig } from './lora.js';
import { readLatestCheckpoint, writeCheckpoint, type CheckpointState, type TrainLogEntry } from './checkpoint.js';
import { Interrupted } from '../../util/interrupted.js';

/** The CLIP fine-tuning methods (issue 5); the catalogue's CLIP_FINETUNE_METHODS must cover exactly these (type-checked). */
export type FinetuneMethod = 'full' | 'lora' | 'l_lora' | 'bitfit';

/**
 * This process's place in a data-parallel group (PyTorch DDP / Lightning Fabric's `devices=k`):
 * how gradients cross ranks is the caller's business (processes, IPC), so ml/ stays pure.
 */
export interface GradientAllReduce {
  /** 0 … worldSize−1; rank 0 alone writes checkpoints and state_dict_save_path */
  readonly rank: number;
  readonly worldSize: number;
  /** Element-wise sum of `buf` over all ranks; every rank must receive bit-identical sums. */
  allReduceSum(buf: Float32Array): Promise<Float32Array>;
}

/** batch_size cannot be split over the data-parallel ranks. */
export class BatchTooSmallForDevices extends Error {
  constructor(readonly batchSize: number, readonly worldSize: number) {
    super(`batch_size ${batchSize} cannot be split over ${worldSize} devices (each needs at least one example); raise batch_size or lower devices`);
    this.name = 'BatchTooSmallForDevices';
  }
}

/** Ranks disagree about where training is (e.g. they resumed from different checkpoints). */
export class RanksOutOfStep extends Error {
  constructor(readonly step: number, readonly got: number) {
    super(`data-parallel ranks are out of step at step ${step} (sum of rank steps ${got}); the checkpoint folder changed under the run — delete it and start the stage again`);
    this.name = 'RanksOutOfStep';
  }
}

/** Contiguous shard [from, to) of a global batch of `n` examples for `rank` of `world`. */
export function shardOf(n: number, rank: number, world: number): [number, number] {
  return [Math.floor((rank * n) / world), Math.floor(((rank + 1) * n) / world)];
}

/**
 * Resolved hyper-parameters with the seeds' names. Every one is required: names, defaults and
 * ranges live in the method catalogue (src/registry/methods: full, lora, l_lora, bitfit).
 */
export interface FinetuneHyper {
  readonly learning_rate: number;
  readonly weight_decay: number;
  readonly num_steps: number;
  readonly batch_size: number;
  readonly save_interval: number;
  readonly seed: number;
  /** the adapters' configuration: required by lora and l_lora, null for full and bitfit */
  readonly lora: LoraConfig | null;
}

/** One fine-tune: the method, its resolved hyper-parameters, and the caller's hooks. */
export interface FinetuneArgs extends FinetuneHyper {
  readonly method: FinetuneMethod;
  /** 'zeroshot': frozen head; 'linear': the head trains too */
  readonly head: 'zeroshot' | 'linear';
  readonly state_dict_load_path: string | null;
  readonly state_dict_save_path: string | null;
  readonly skip_training: boolean;
  /**
   * Activation checkpointing (HF `gradient_checkpointing`): keep only each encoder layer's input
   * in the forward pass and recompute the layer in the backward pass — less memory, one more
   * forward of compute. Gradients are identical either way.
   */
  readonly gradient_checkpointing?: boolean;
  /** where checkpoints go; without it none are written */
  readonly checkpointDir?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { step: number; total: number; loss: number; lr: number; accuracy: number; throughput: number }) => void;
  readonly onCheckpoint?: (step: number) => void;
  readonly onResume?: (step: number) => void;
  readonly log?: (line: string) => void;
  /**
   * Data-parallel training: each rank computes the gradient of its contiguous shard of the same
   * global batch, the sums are shared, and every rank applies the same update — the weights of
   * one device with the whole batch, up to float summation order.
   */
  readonly dataParallel?: GradientAllReduce;
}

export interface FinetuneResult {
  /** dense weights of the whole CLIP model after training (adapters merged) */
  readonly state: Map<string, NamedTensor>;
  /** the LoRA/L-LoRA adapters (caller saves them, then disposes) */
  readonly adapters?: LoraAdapters;
  /** the trained linear head, when head = 'linear' */
  readonly linearHead?: Head;
  readonly log: TrainLogEntry[];
  /** trained parameter count, and parameters of the vision tower for reference */
  readonly trainableParams: number;
  readonly visionParams: number;
  readonly steps: number;
  readonly seconds: number;
  readonly resumedFrom?: number;
}


/** state_dict_load_path does not fit the method's trained tensors. */
export class StateDictMismatch extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'StateDictMismatch';
  }
}

/** Vision-tower parameter names trained by a dense method. */
export function trainedDenseNames(model: ClipModel, method: FinetuneMethod, lora: LoraConfig | null): string[] {
  const vision = [...model.params.keys()].filter((k) => k.startsWith('vision_model.'));
  switch (method) {
    case 'full': return vision;
    case 'bitfit': return vision.filter((k) => k.endsWith('.bias'));
    case 'lora': case 'l_lora': {
      const l = loraConfigFor(method, lora)!;
      switch (l.bias) {
        case 'none': return [];
        case 'all': return vision.filter((k) => k.endsWith('.bias'));
        case 'lora_only': return vision.filter((k) => k.endsWith('.bias') && l.target_modules.some((t) => k.endsWith(`.${t}.bias`)));
      }
    }
  }
}

function numel(shape: readonly number[]): number { return shape.reduce((a, b) => a * b, 1); }

/** A LoRA method without its adapters' configuration: the caller did not resolve its arguments. */
export class MissingLoraConfig extends Error {
  constructor(readonly method: FinetuneMethod) {
    super(`defect: fine-tune method '${method}' needs its LoRA configuration (r, lora_alpha, target_modules, lora_dropout, bias), resolved from the method catalogue`);
    this.name = 'MissingLoraConfig';
  }
}

/** The adapters' configuration a method uses (the one given; full and bitfit use none). */
export function loraConfigFor(method: FinetuneMethod, lora: LoraConfig | null): LoraConfig | null {
  if (method === 'lora' || method === 'l_lora') { if (!lora) throw new MissingLoraConfig(method); return lora; }
  return null;
}

/** Trainable-parameter count of a method on a model, without training (for reports and plans). */
export function countTrainable(model: ClipModel, method: FinetuneMethod, loraArgs: LoraConfig | null, head: 'zeroshot' | 'linear' = 'zeroshot', numClasses = 0): number {
  const lora = loraConfigFor(method, loraArgs);
  let n = 0;
  for (const k of trainedDenseNames(model, method, lora)) n += numel(model.get(k).shape);
  if (lora) {
    const v = model.config.vision_config;
    for (let i = 0; i < v.num_hidden_layers; i++) for (const t of lora.target_modules) {
      const [inD, outD] = t === 'fc1' ? [v.hidden_size, v.intermediate_size] : t === 'fc2' ? [v.intermediate_size, v.hidden_size] : [v.hidden_size, v.hidden_size];
      n += lora.r * (inD + outD);
    }
  }
  if (head === 'linear') n += numClasses * (model.config.projection_dim + 1);
  return n;
}

function runIdentity(method: FinetuneMethod, a: object, ds: TaskDataset, head: Head): string {
  return createHash('sha256').update(JSON.stringify({ method, a, data: ds.fingerprint, head: head.task, classes: head.numClasses })).digest('hex').slice(0, 16);
}

/**
 * The seeded streams and trained variables of a fine-tune, shared by the single-task and
 * multi-task loops so both draw LoRA init, data order and dropout noise the same way.
 */
export function trainingSetup(model: ClipModel, method: FinetuneMethod, lora: LoraConfig | null, seed: number): {
  initRng: SeededRng; dataRng: SeededRng; noiseRng: SeededRng; adapters: LoraAdapters | undefined; vars: Map<string, tf.Variable>;
} {
  const initRng = new SeededRng((seed + 0x51ed) >>> 0);
  const dataRng = new SeededRng(seed >>> 0);
  const noiseRng = new SeededRng((seed ^ 0x9e3779b9) >>> 0);
  const l = loraConfigFor(method, lora);
  const adapters = l ? new LoraAdapters(model.config, l, method === 'l_lora', initRng) : undefined;
  const vars = new Map<string, tf.Variable>();
  for (const k of trainedDenseNames(model, method, lora)) vars.set(k, model.get(k));
  if (adapters) for (const [k, x] of adapters.variables()) vars.set(k, x);
  return { initRng, dataRng, noiseRng, adapters, vars };
}

/** Put a checkpoint's trained variables and Adam moments/step back (both training loops resume this way). */
export function restoreTrainable(ck: { readonly tensors: ReadonlyMap<string, NamedTensor>; readonly path: string }, vars: ReadonlyMap<string, tf.Variable>, adam: Adam, adamT: number): void {
  tf.tidy(() => {
    for (const [k, x] of vars) {
      const p = ck.tensors.get(`param/${k}`), m = ck.tensors.get(`m/${k}`), vv = ck.tensors.get(`v/${k}`);
      if (!p || !m || !vv) throw new Error(`checkpoint ${ck.path} lacks tensor '${k}'`);
      x.assign(tf.tensor(p.data, x.shape));
      adam.m.get(k)!.assign(tf.tensor(m.data, x.shape));
      adam.v.get(k)!.assign(tf.tensor(vv.data, x.shape));
    }
  });
  adam.t = adamT;
}

/** Fine-tune `model` (mutated in place for dense methods) on `train` against `head`. */
export async function finetuneClip(model: ClipModel, head: Head, train: TaskDataset, args: FinetuneArgs): Promise<FinetuneResult> {
  const lr0 = args.learning_rate;
  const wd = args.weight_decay;
  const skip = args.skip_training;
  const total = skip ? 0 : args.num_steps;
  const bs = Math.min(args.batch_size, train.size);
  const saveInterval = args.save_interval;
  const seed = args.seed;
  const lora = loraConfigFor(args.method, args.lora);
  const headKind = args.head;
  const log = args.log ?? (() => {});
  const dp = args.dataParallel;
  const writer = (dp?.rank ?? 0) === 0;
  if (dp && bs < dp.worldSize) throw new BatchTooSmallForDevices(bs, dp.worldSize);
  const cfg = model.config;
  const v = cfg.vision_config;
  const S = v.image_size;

  const { dataRng, noiseRng, adapters, vars } = trainingSetup(model, args.method, lora, seed);
  let trainedHead: { w: tf.Variable; b: tf.Variable } | undefined;
  if (headKind === 'linear') {
    const scaled = new Float32Array(head.weight.length);
    const s = head.kind === 'zeroshot' ? head.logitScale : 1;
    for (let i = 0; i < scaled.length; i++) scaled[i] = head.weight[i]! * s;
    trainedHead = {
      w: newVariable(tf.tensor2d(scaled, [head.numClasses, head.dim]), 'head.weight'),
      b: newVariable(head.bias ? tf.tensor1d(head.bias) : tf.zeros([head.numClasses]), 'head.bias'),
    };
    vars.set('head.weight', trainedHead.w);
    vars.set('head.bias', trainedHead.b);
  }
  const trainableParams = [...vars.values()].reduce((a, x) => a + numel(x.shape), 0);
  const visionParams = [...model.params].filter(([k]) => k.startsWith('vision_model.')).reduce((a, [, x]) => a + numel(x.shape), 0);
  log(`method ${args.method}${headKind === 'linear' ? ' + linear head' : ''}: ${trainableParams} trainable parameters (vision tower has ${visionParams})`);

  if (args.state_dict_load_path) {
    const sd = await readSafetensors(args.state_dict_load_path);
    for (const [k, x] of vars) {
      const t = sd.get(k);
      if (!t) throw new StateDictMismatch(args.state_dict_load_path, `no tensor '${k}' (needed by method ${args.method}); it has ${[...sd.keys()].slice(0, 3).join(', ')}…`);
      if (numel(t.shape) !== numel(x.shape)) throw new StateDictMismatch(args.state_dict_load_path, `tensor '${k}' has shape [${t.shape.join(', ')}], expected [${x.shape.join(', ')}]`);
      tf.tidy(() => x.assign(tf.tensor(t.data, x.shape)));
    }
    log(`loaded ${vars.size} tensors from ${args.state_dict_load_path}`);
  }

  const adam = new Adam(vars, { learningRate: lr0, weightDecay: wd });
  const trainSet = new Set(vars.keys());
  const ctx: ForwardContext = {
    p: (n) => model.get(n),
    trainable: (n) => trainSet.has(n),
    ...(adapters ? { adapter: adapters.adapter, lora: adapters.term } : {}),
    ...(args.gradient_checkpointing ? { gradientCheckpointing: true } : {}),
  };
  const varList = [...vars.values()];
  const keyOf = new Map(varList.map((x, i) => [x.name, [...vars.keys()][i]!]));

  const identity = runIdentity(args.method, { lr0, wd, total, bs, seed, lora: adapters ? lora : null, headKind, load: args.state_dict_load_path }, train, head);
  let step = 0, epoch = 0, cursor = 0, prevSeconds = 0;
  let order: number[] = [];
  const trainLog: TrainLogEntry[] = [];
  const newEpoch = () => {
    order = Array.from({ length: train.size }, (_, i) => i);
    dataRng.shuffleInPlace(order);
    cursor = 0;
  };
  let resumedFrom: number | undefined;
  if (args.checkpointDir && total > 0) {
    const ck = await readLatestCheckpoint(args.checkpointDir, identity, log);
    if (ck) {
      const st = ck.state;
      restoreTrainable(ck, vars, adam, st.adamT);
      dataRng.setState(st.dataRng);
      noiseRng.setState(st.noiseRng);
      step = st.step; epoch = st.epoch; cursor = st.cursor; order = [...st.order];
      trainLog.push(...st.log);
      prevSeconds = st.seconds;
      resumedFrom = step;
      log(`resumed from ${ck.path} at step ${step}`);
      args.onResume?.(step);
    }
  }
  if (!order.length) newEpoch();

  const checkpoint = async (seconds: number) => {
    if (!args.checkpointDir || !writer) return;
    const tensors = new Map<string, NamedTensor>();
    for (const [k, x] of vars) {
      tensors.set(`param/${k}`, { shape: x.shape, data: x.dataSync() as Float32Array });
      tensors.set(`m/${k}`, { shape: x.shape, data: adam.m.get(k)!.dataSync() as Float32Array });
      tensors.set(`v/${k}`, { shape: x.shape, data: adam.v.get(k)!.dataSync() as Float32Array });
    }
    const state: CheckpointState = { version: 1, runId: identity, step, adamT: adam.t, dataRng: dataRng.getState(), noiseRng: noiseRng.getState(), epoch, cursor, order, log: trainLog, seconds };
    const path = await writeCheckpoint(args.checkpointDir, state, tensors);
    log(`checkpoint ${path}`);
    args.onCheckpoint?.(step);
  };

  const g = v.image_size / v.patch_size;
  const tokens = g * g + 1;
  // One data-parallel step: this rank's shard → its gradients scaled by shard/batch (so the sum
  // over ranks is the whole batch's mean-loss gradient), loss and hit count ride along, plus the
  // step as a check that all ranks are at the same place; then the same Adam update everywhere.
  const dataParallelStep = async (idx: readonly number[], lr: number): Promise<{ loss: number; correct: number }> => {
    const [from, to] = shardOf(idx.length, dp!.rank, dp!.worldSize);
    const batch = train.batch(idx.slice(from, to), S);
    const patches = patchify(batch.x, batch.n, S, v.patch_size);
    adapters?.drawDropout(idx.length * tokens, noiseRng, [from * tokens, to * tokens]);
    const w = batch.n / idx.length;
    const parts: { key: string; x: tf.Variable; data: Float32Array }[] = [];
    let shardLoss = 0, hits = 0;
    try {
      tf.tidy(() => {
        const pt = tf.tensor2d(patches, [batch.n * g * g, 3 * v.patch_size ** 2]);
        let pred: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const logits = headLogits(encodeImage(cfg, ctx, pt, batch.n), head.kind === 'zeroshot' && trainedHead ? { ...head, kind: 'linear' } : head, trainedHead);
          pred = tf.keep(tf.argMax(logits, 1));
          return crossEntropy(logits, batch.y);
        }, varList);
        for (const [key, x] of vars) {
          const gr = grads[x.name];
          if (gr) parts.push({ key, x, data: gr.dataSync() as Float32Array });
        }
        shardLoss = value.dataSync()[0]!;
        const p = pred!.dataSync();
        pred!.dispose();
        for (let j = 0; j < batch.n; j++) if (p[j] === batch.y[j]) hits++;
      });
    } finally {
      adapters?.clearDropout();
    }
    const len = parts.reduce((a, q) => a + q.data.length, 0);
    const buf = new Float32Array(len + 3);
    let off = 0;
    for (const q of parts) { for (let i = 0; i < q.data.length; i++) buf[off + i] = q.data[i]! * w; off += q.data.length; }
    buf[len] = shardLoss * w; buf[len + 1] = hits; buf[len + 2] = step;
    const sum = await dp!.allReduceSum(buf);
    if (sum.length !== buf.length) throw new RanksOutOfStep(step, sum.length);
    if (sum[len + 2] !== step * dp!.worldSize) throw new RanksOutOfStep(step, sum[len + 2]!);
    tf.tidy(() => {
      const byKey = new Map<string, tf.Tensor>();
      let o = 0;
      for (const q of parts) { byKey.set(q.key, tf.tensor(sum.slice(o, o + q.data.length), q.x.shape)); o += q.data.length; }
      adam.apply(byKey, lr);
    });
    return { loss: sum[len]!, correct: sum[len + 1]! };
  };

  const t0 = performance.now();
  let lastT = t0, lastStep = step;
  try {
    while (step < total) {
      if (args.signal?.aborted) {
        await checkpoint(prevSeconds + (performance.now() - t0) / 1000);
        throw new Interrupted(step, 'training');
      }
      if (cursor + bs > order.length) { epoch++; newEpoch(); }
      const idx = order.slice(cursor, cursor + bs);
      cursor += bs;
      const lr = cosineLr(lr0, step, total);
      let loss: number, correct = 0;
      if (dp) {
        ({ loss, correct } = await dataParallelStep(idx, lr));
      } else {
        const batch = train.batch(idx, S);
        const patches = patchify(batch.x, batch.n, S, v.patch_size);
        adapters?.drawDropout(batch.n * (g * g + 1), noiseRng);
        let pred: tf.Tensor | undefined;
        const lossT = tf.tidy(() => {
          const pt = tf.tensor2d(patches, [batch.n * g * g, 3 * v.patch_size ** 2]);
          const { value, grads } = tf.variableGrads(() => {
            const logits = headLogits(encodeImage(cfg, ctx, pt, batch.n), head.kind === 'zeroshot' && trainedHead ? { ...head, kind: 'linear' } : head, trainedHead);
            pred = tf.keep(tf.argMax(logits, 1));
            return crossEntropy(logits, batch.y);
          }, varList);
          const byKey = new Map<string, tf.Tensor>();
          for (const [name, gr] of Object.entries(grads)) byKey.set(keyOf.get(name)!, gr);
          adam.apply(byKey, lr);
          return value;
        });
        adapters?.clearDropout();
        loss = lossT.dataSync()[0]!;
        lossT.dispose();
        const p = pred!.dataSync();
        pred!.dispose();
        for (let j = 0; j < batch.n; j++) if (p[j] === batch.y[j]) correct++;
      }
      step++;
      const now = performance.now();
      const seconds = prevSeconds + (now - t0) / 1000;
      trainLog.push({ step, loss, lr, accuracy: correct / idx.length, seconds: Math.round(seconds * 1000) / 1000 });
      const throughput = ((step - lastStep) * bs) / Math.max(1e-9, (now - lastT) / 1000);
      lastT = now; lastStep = step;
      args.onProgress?.({ step, total, loss, lr, accuracy: correct / idx.length, throughput });
      if (!Number.isFinite(loss)) throw new Error(`loss became ${loss} at step ${step} (learning_rate ${lr0} too high?)`);
      if (step % saveInterval === 0 && step < total) await checkpoint(seconds);
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    adam.dispose();
  }

  if (args.state_dict_save_path && writer) {
    const sd = new Map<string, NamedTensor>();
    for (const [k, x] of vars) sd.set(k, { shape: x.shape, data: x.dataSync() as Float32Array });
    await writeSafetensors(args.state_dict_save_path, sd);
    log(`saved trained tensors to ${args.state_dict_save_path}`);
  }
  let state = model.stateDict();
  if (adapters) state = adapters.mergeInto(state);
  let linearHead: Head | undefined;
  if (trainedHead) {
    linearHead = { ...head, kind: 'linear', weight: trainedHead.w.dataSync() as Float32Array, bias: trainedHead.b.dataSync() as Float32Array, logitScale: 1 };
    trainedHead.w.dispose(); trainedHead.b.dispose();
  }
  const seconds = prevSeconds + (performance.now() - t0) / 1000;
  return { state, ...(adapters ? { adapters } : {}), ...(linearHead ? { linearHead } : {}), log: trainLog, trainableParams, visionParams, steps: step, seconds, ...(resumedFrom !== undefined ? { resumedFrom } : {}) };
}
