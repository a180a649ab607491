// One optimisation step of CLIP image-classification fine-tuning (finetuneClip's step): the batch
// through the vision tower (with LoRA adapters and their dropout when present) and the head,
// cross-entropy, gradients of the trained variables, one Adam update. On one device the update
// uses the gradients directly; data-parallel, each rank computes its shard's gradients and the
// ranks sum them before the same update everywhere.
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRng } from '../data/SeededRng.js';
import type { TaskDataset } from '../data/types.js';
import { encodeImage, patchify, type ClipModel, type ForwardContext } from '../models/clip.js';
import { crossEntropy } from '../models/ops.js';
import { headLogits, type Head } from '../heads/head.js';
import type { Adam } from './adam.js';
import type { LoraAdapters } from './lora.js';

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

/** What a step trains: the model and forward context, the head (and a trained linear head), the variables and their optimizer. */
export interface ClipStepParts {
  readonly model: ClipModel;
  readonly ctx: ForwardContext;
  readonly head: Head;
  readonly trainedHead: { readonly w: tf.Variable; readonly b: tf.Variable } | undefined;
  readonly vars: ReadonlyMap<string, tf.Variable>;
  readonly adam: Adam;
  readonly adapters: LoraAdapters | undefined;
  readonly noiseRng: SeededRng;
  readonly train: TaskDataset;
}

/** A step: train on the examples `idx` at learning rate `lr`; `step` is the steps completed (data-parallel check). */
export type ClipStep = (idx: readonly number[], lr: number, step: number) => Promise<{ loss: number; correct: number }>;

/** The step for one device, or for this rank of `dp`. */
export function clipTrainStep(parts: ClipStepParts, dp: GradientAllReduce | undefined): ClipStep {
  return dp ? dataParallelStep(parts, dp) : singleDeviceStep(parts);
}

/** Logits of a batch of patches; a frozen zero-shot head becomes linear when its weights train. */
function logitsOf(p: ClipStepParts, patches: tf.Tensor2D, n: number): tf.Tensor2D {
  const { head, trainedHead } = p;
  return headLogits(encodeImage(p.model.config, p.ctx, patches, n), head.kind === 'zeroshot' && trainedHead ? { ...head, kind: 'linear' } : head, trainedHead);
}

/** Examples `idx` as a patch matrix ([n·g², 3·patch²]) with their labels. */
function patchesOf(p: ClipStepParts, idx: readonly number[]): { patches: Float32Array; n: number; y: Int32Array; rows: number; cols: number } {
  const v = p.model.config.vision_config;
  const S = v.image_size, g = S / v.patch_size;
  const batch = p.train.batch(idx, S);
  return { patches: patchify(batch.x, batch.n, S, v.patch_size), n: batch.n, y: batch.y, rows: batch.n * g * g, cols: 3 * v.patch_size ** 2 };
}

/** Tokens per image (patches + class token): dropout noise is drawn per token. */
function tokensPerImage(model: ClipModel): number {
  const v = model.config.vision_config;
  const g = v.image_size / v.patch_size;
  return g * g + 1;
}

function singleDeviceStep(p: ClipStepParts): ClipStep {
  const varList = [...p.vars.values()];
  const keyOf = new Map([...p.vars].map(([k, x]) => [x.name, k]));
  const tokens = tokensPerImage(p.model);
  return async (idx, lr) => {
    const b = patchesOf(p, idx);
    p.adapters?.drawDropout(b.n * tokens, p.noiseRng);
    let pred: tf.Tensor | undefined;
    const lossT = tf.tidy(() => {
      const pt = tf.tensor2d(b.patches, [b.rows, b.cols]);
      const { value, grads } = tf.variableGrads(() => {
        const logits = logitsOf(p, pt, b.n);
        pred = tf.keep(tf.argMax(logits, 1));
        return crossEntropy(logits, b.y);
      }, varList);
      const byKey = new Map<string, tf.Tensor>();
      for (const [name, gr] of Object.entries(grads)) byKey.set(keyOf.get(name)!, gr);
      p.adam.apply(byKey, lr);
      return value;
    });
    p.adapters?.clearDropout();
    const loss = lossT.dataSync()[0]!;
    lossT.dispose();
    return { loss, correct: hitsAndDispose(pred!, b.y, b.n) };
  };
}

/** Correct predictions among the first `n` (and the prediction tensor disposed). */
function hitsAndDispose(pred: tf.Tensor, y: Int32Array, n: number): number {
  const p = pred.dataSync();
  pred.dispose();
  let hits = 0;
  for (let j = 0; j < n; j++) if (p[j] === y[j]) hits++;
  return hits;
}

// One data-parallel step: this rank's shard → its gradients scaled by shard/batch (so the sum
// over ranks is the whole batch's mean-loss gradient), loss and hit count ride along, plus the
// step as a check that all ranks are at the same place; then the same Adam update everywhere.
function dataParallelStep(p: ClipStepParts, dp: GradientAllReduce): ClipStep {
  const tokens = tokensPerImage(p.model);
  return async (idx, lr, step) => {
    const [from, to] = shardOf(idx.length, dp.rank, dp.worldSize);
    const b = patchesOf(p, idx.slice(from, to));
    p.adapters?.drawDropout(idx.length * tokens, p.noiseRng, [from * tokens, to * tokens]);
    const w = b.n / idx.length;
    let shard: ShardGradients;
    try {
      shard = shardGradients(p, b);
    } finally {
      p.adapters?.clearDropout();
    }
    const len = shard.parts.reduce((a, q) => a + q.data.length, 0);
    const buf = new Float32Array(len + 3);
    let off = 0;
    for (const q of shard.parts) { for (let i = 0; i < q.data.length; i++) buf[off + i] = q.data[i]! * w; off += q.data.length; }
    buf[len] = shard.loss * w; buf[len + 1] = shard.hits; buf[len + 2] = step;
    const sum = await dp.allReduceSum(buf);
    if (sum.length !== buf.length) throw new RanksOutOfStep(step, sum.length);
    if (sum[len + 2] !== step * dp.worldSize) throw new RanksOutOfStep(step, sum[len + 2]!);
    tf.tidy(() => {
      const byKey = new Map<string, tf.Tensor>();
      let o = 0;
      for (const q of shard.parts) { byKey.set(q.key, tf.tensor(sum.slice(o, o + q.data.length), q.x.shape)); o += q.data.length; }
      p.adam.apply(byKey, lr);
    });
    return { loss: sum[len]!, correct: sum[len + 1]! };
  };
}

interface ShardGradients {
  readonly parts: { key: string; x: tf.Variable; data: Float32Array }[];
  readonly loss: number;
  readonly hits: number;
}

/** This rank's shard: gradients of every trained variable (unscaled), its mean loss and hit count. */
function shardGradients(p: ClipStepParts, b: ReturnType<typeof patchesOf>): ShardGradients {
  const varList = [...p.vars.values()];
  const parts: { key: string; x: tf.Variable; data: Float32Array }[] = [];
  let loss = 0, hits = 0;
  tf.tidy(() => {
    const pt = tf.tensor2d(b.patches, [b.rows, b.cols]);
    let pred: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = logitsOf(p, pt, b.n);
      pred = tf.keep(tf.argMax(logits, 1));
      return crossEntropy(logits, b.y);
    }, varList);
    for (const [key, x] of p.vars) {
      const gr = grads[x.name];
      if (gr) parts.push({ key, x, data: gr.dataSync() as Float32Array });
    }
    loss = value.dataSync()[0]!;
    hits = hitsAndDispose(pred!, b.y, b.n);
  });
  return { parts, loss, hits };
}
