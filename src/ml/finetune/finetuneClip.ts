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
import { newVariable, type ClipModel, type ForwardContext } from '../models/clip.js';
import type { Head } from '../heads/head.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { Adam, adamCheckpointTensors, cosineLr, restoreAdamCheckpoint } from './adam.js';
import { LoraAdapters, type LoraConfig } from './lora.js';
import type { TrainLogEntry } from './checkpoint.js';
import { clipTrainStep, type GradientAllReduce } from './clipTrainStep.js';
import { EpochOrder } from './EpochOrder.js';
import type { TrainingHooks } from './TrainingHooks.js';
import { runTrainingLoop, type Trainer } from './trainingLoop.js';

/** The CLIP fine-tuning methods (issue 5); the catalogue's CLIP_FINETUNE_METHODS must cover exactly these (type-checked). */
export type FinetuneMethod = 'full' | 'lora' | 'l_lora' | 'bitfit';

/** batch_size cannot be split over the data-parallel ranks. */
export class BatchTooSmallForDevices extends Error {
  constructor(readonly batchSize: number, readonly worldSize: number) {
    super(`batch_size ${batchSize} cannot be split over ${worldSize} devices (each needs at least one example); raise batch_size or lower devices`);
    this.name = 'BatchTooSmallForDevices';
  }
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
export interface FinetuneArgs extends FinetuneHyper, TrainingHooks {
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

/** The forward context of a training run: the model's tensors, which of them train, the adapters. */
export function trainingContext(model: ClipModel, vars: ReadonlyMap<string, tf.Variable>, adapters: LoraAdapters | undefined, gradientCheckpointing: boolean | undefined): ForwardContext {
  const trainSet = new Set(vars.keys());
  return {
    p: (n) => model.get(n),
    trainable: (n) => trainSet.has(n),
    ...(adapters ? { adapter: adapters.adapter, lora: adapters.term } : {}),
    ...(gradientCheckpointing ? { gradientCheckpointing: true } : {}),
  };
}

/** A linear head started from `head` (a zero-shot head's weights times its logit scale), added to the trained `vars`. */
function trainableHead(head: Head, vars: Map<string, tf.Variable>): { w: tf.Variable; b: tf.Variable } {
  const scaled = new Float32Array(head.weight.length);
  const s = head.kind === 'zeroshot' ? head.logitScale : 1;
  for (let i = 0; i < scaled.length; i++) scaled[i] = head.weight[i]! * s;
  const w = newVariable(tf.tensor2d(scaled, [head.numClasses, head.dim]), 'head.weight');
  const b = newVariable(head.bias ? tf.tensor1d(head.bias) : tf.zeros([head.numClasses]), 'head.bias');
  vars.set('head.weight', w);
  vars.set('head.bias', b);
  return { w, b };
}

/** Start the trained tensors from state_dict_load_path (each must exist with the right size). */
async function loadStateDict(path: string, vars: ReadonlyMap<string, tf.Variable>, method: FinetuneMethod, log: (s: string) => void): Promise<void> {
  const sd = await readSafetensors(path);
  for (const [k, x] of vars) {
    const t = sd.get(k);
    if (!t) throw new StateDictMismatch(path, `no tensor '${k}' (needed by method ${method}); it has ${[...sd.keys()].slice(0, 3).join(', ')}…`);
    if (numel(t.shape) !== numel(x.shape)) throw new StateDictMismatch(path, `tensor '${k}' has shape [${t.shape.join(', ')}], expected [${x.shape.join(', ')}]`);
    tf.tidy(() => x.assign(tf.tensor(t.data, x.shape)));
  }
  log(`loaded ${vars.size} tensors from ${path}`);
}

/** Fine-tune `model` (mutated in place for dense methods) on `train` against `head`. */
export async function finetuneClip(model: ClipModel, head: Head, train: TaskDataset, args: FinetuneArgs): Promise<FinetuneResult> {
  const bs = Math.min(args.batch_size, train.size);
  const lora = loraConfigFor(args.method, args.lora);
  const log = args.log ?? (() => {});
  const dp = args.dataParallel;
  if (dp && bs < dp.worldSize) throw new BatchTooSmallForDevices(bs, dp.worldSize);
  const { dataRng, noiseRng, adapters, vars } = trainingSetup(model, args.method, lora, args.seed);
  const trainedHead = args.head === 'linear' ? trainableHead(head, vars) : undefined;
  const trainableParams = [...vars.values()].reduce((a, x) => a + numel(x.shape), 0);
  const visionParams = [...model.params].filter(([k]) => k.startsWith('vision_model.')).reduce((a, [, x]) => a + numel(x.shape), 0);
  log(`method ${args.method}${trainedHead ? ' + linear head' : ''}: ${trainableParams} trainable parameters (vision tower has ${visionParams})`);
  if (args.state_dict_load_path) await loadStateDict(args.state_dict_load_path, vars, args.method, log);

  const adam = new Adam(vars, { learningRate: args.learning_rate, weightDecay: args.weight_decay });
  const ctx = trainingContext(model, vars, adapters, args.gradient_checkpointing);
  const step = clipTrainStep({ model, ctx, head, trainedHead, vars, adam, adapters, noiseRng, train }, dp);
  const total = args.skip_training ? 0 : args.num_steps;
  const lr0 = args.learning_rate;
  const data = EpochOrder.range(train.size, dataRng);
  const trainer: Trainer = {
    runId: runIdentity(args.method, { lr0, wd: args.weight_decay, total, bs, seed: args.seed, lora: adapters ? lora : null, headKind: args.head, load: args.state_dict_load_path }, train, head),
    total, what: 'training', saveInterval: args.save_interval, writesCheckpoints: (dp?.rank ?? 0) === 0,
    begin: (ck) => {
      if (!ck) return data.reshuffle();
      restoreAdamCheckpoint(ck, vars, adam, ck.state.adamT);
      dataRng.setState(ck.state.dataRng);
      noiseRng.setState(ck.state.noiseRng);
      data.restore(ck.state);
    },
    step: async (done) => {
      const idx = data.nextFull(bs);
      const lr = cosineLr(lr0, done, total);
      const { loss, correct } = await step(idx, lr, done);
      return { loss, lr, accuracy: correct / idx.length, examples: bs };
    },
    snapshot: () => ({ tensors: adamCheckpointTensors(vars, adam), state: { adamT: adam.t, dataRng: dataRng.getState(), noiseRng: noiseRng.getState(), ...data.state() } }),
    diverged: (loss, at) => new Error(`loss became ${loss} at step ${at} (learning_rate ${lr0} too high?)`),
    dispose: () => adam.dispose(),
  };
  const r = await runTrainingLoop(trainer, args);

  if (args.state_dict_save_path && trainer.writesCheckpoints) {
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
  return { state, ...(adapters ? { adapters } : {}), ...(linearHead ? { linearHead } : {}), ...r, trainableParams, visionParams };
}
