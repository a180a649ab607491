// AdaMerging: task arithmetic whose coefficients are learned at test time by minimising the
// entropy of the merged model's predictions on unlabeled test batches of every task.
// Yang et al., "AdaMerging: Adaptive model merging for multi-task learning", ICLR 2024
// (arXiv 2310.02575). FusionBench: fusion_bench/method/adamerging/ (clip_task_wise_adamerging.py,
// clip_layer_wise_adamerging.py, entropy_loss.py) and config/method/adamerging/clip.yaml:
// θ = θ_pre + Σ_i λ_i τ_i (task-wise: one λ per model; layer-wise: one λ per model and parameter
// tensor), λ initialised to init_values, Adam(lr), max_steps steps of batch_size images per task,
// loss = Σ_tasks mean entropy; clamp_weights merges with clamp(λ, 0, 1); given `weights`, no training.
import * as tf from '@tensorflow/tfjs-core';
import { batchStream, meanEntropy, visionNames, type ModelMergeArgs } from './modelMerge.js';
import { classify } from '../eval/evaluate.js';
import { Interrupted } from '../../util/interrupted.js';
import { newVariable, type ForwardContext } from '../models/clip.js';
import { MergeInputError } from './errors.js';

/** AdaMerging's arguments (FusionBench config/method/adamerging/clip.yaml names). */
export interface AdaMergingArgs {
  /** one coefficient per model ('task') or per model and tensor ('layer') */
  readonly granularity: 'task' | 'layer';
  readonly init_values: number;
  /** fixed coefficients (row-major [models × layers]): skip test-time adaptation; null = learn them */
  readonly weights: readonly number[] | null;
  readonly clamp_weights: boolean;
  /** Adam learning rate of the coefficients */
  readonly lr: number;
  readonly max_steps: number;
  readonly batch_size: number;
  /** seeds the order of the test batches (model i uses seed + i) */
  readonly seed: number;
}

/** What one AdaMerging objective evaluation needs: the base, its task vectors and each task's head. */
export interface AdaMergingProblem {
  readonly base: ModelMergeArgs['base'];
  readonly heads: ModelMergeArgs['heads'];
  /** vision_model.* tensor names, in the order of the coefficient columns */
  readonly names: readonly string[];
  /** taskVectors[i][l] = θ_i[names[l]] − θ_0[names[l]] */
  readonly taskVectors: readonly (readonly tf.Tensor[])[];
  readonly layerWise: boolean;
  /** FusionBench's clamp_weights: the merge uses clamp(λ, 0, 1); λ itself is not clamped */
  readonly clamp: boolean;
}

/** Coefficient of task vector i in tensor l (row-major [models × columns]). */
function coefficient(p: AdaMergingProblem, lambda: ArrayLike<number>, i: number, l: number): number {
  const L = p.layerWise ? p.names.length : 1;
  const v = lambda[i * L + (p.layerWise ? l : 0)]!;
  return p.clamp ? Math.min(1, Math.max(0, v)) : v;
}

/**
 * The test-time objective Σ_tasks mean entropy(merged model on that task's batch) at coefficients
 * λ, and its gradient dL/dλ — what FusionBench accumulates by one backward per task before each
 * optimizer step (clip_layer_wise_adamerging / clip_task_wise_adamerging).
 */
export function adamergingObjective(p: AdaMergingProblem, lambda: Float32Array, batches: readonly { readonly x: Float32Array; readonly n: number }[]): { loss: number; grad: Float32Array } {
  const n = p.taskVectors.length;
  const L = p.layerWise ? p.names.length : 1;
  const lv = newVariable(tf.tensor2d(lambda, [n, L]), 'adamerging.lambda');
  const vision = new Set(p.names);
  try {
    const { value, grads } = tf.variableGrads(() => {
      const used = p.clamp ? tf.clipByValue(lv, 0, 1) : lv;
      const merged = new Map<string, tf.Tensor>();
      p.names.forEach((k, l) => {
        let t: tf.Tensor = p.base.get(k);
        for (let i = 0; i < n; i++) t = tf.add(t, tf.mul(tf.reshape(tf.slice(used, [i, p.layerWise ? l : 0], [1, 1]), []), p.taskVectors[i]![l]!));
        merged.set(k, t);
      });
      const ctx: ForwardContext = { p: (k) => merged.get(k) ?? p.base.get(k), trainable: (k) => vision.has(k) };
      let loss: tf.Scalar = tf.scalar(0);
      batches.forEach((b, i) => { loss = tf.add(loss, meanEntropy(classify(p.base, p.heads[i]!, b.x, b.n, ctx))) as tf.Scalar; });
      return loss;
    }, [lv]);
    const grad = new Float32Array(grads[lv.name]!.dataSync() as Float32Array);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, grad };
  } finally {
    lv.dispose();
  }
}

/** Adam's moments for the coefficients (torch.optim.Adam defaults: betas 0.9/0.999, eps 1e-8). */
export interface AdamState { readonly m1: Float32Array; readonly m2: Float32Array; t: number }

/** One torch.optim.Adam step on λ in place (no weight decay, no amsgrad), as FusionBench's optimizer.step(). */
export function adamStep(lambda: Float32Array, grad: Float32Array, s: AdamState, lr: number): void {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  s.t++;
  const bc1 = 1 - b1 ** s.t, bc2 = 1 - b2 ** s.t;
  for (let j = 0; j < lambda.length; j++) {
    s.m1[j] = b1 * s.m1[j]! + (1 - b1) * grad[j]!;
    s.m2[j] = b2 * s.m2[j]! + (1 - b2) * grad[j]! * grad[j]!;
    // torch: p -= lr/bc1 · m / (sqrt(v)/sqrt(bc2) + eps)
    lambda[j] = lambda[j]! - (lr / bc1) * s.m1[j]! / (Math.sqrt(s.m2[j]!) / Math.sqrt(bc2) + eps);
  }
}

/** Task- or layer-wise AdaMerging: merged vision tensors. */
export async function adaMerge(p: AdaMergingArgs, a: ModelMergeArgs): Promise<Map<string, Float32Array>> {
  const layerWise = p.granularity === 'layer';
  const name = `${p.granularity}_wise_adamerging`;
  const names = visionNames(a.base);
  const n = a.members.count;
  const L = layerWise ? names.length : 1;
  const given = p.weights ?? [];
  const lambda = new Float32Array(n * L).fill(p.init_values);
  if (given.length) {
    if (given.length !== n * L) throw new MergeInputError(name, `weights has ${given.length} values; ${layerWise ? `layer-wise needs ${n} models × ${L} tensors` : `task-wise needs one per model (${n})`}`);
    lambda.set(given);
  }
  // members are loaded one at a time; only their task vectors stay
  const taskVectors: tf.Tensor[][] = [];
  for (let i = 0; i < n; i++) taskVectors.push(await a.members.with(i, (m) => tf.tidy(() => names.map((k) => tf.sub(m.get(k), a.base.get(k))))));
  const problem: AdaMergingProblem = { base: a.base, heads: a.heads, names, taskVectors, layerWise, clamp: p.clamp_weights };
  const steps = given.length ? 0 : p.max_steps;
  try {
    if (steps > 0) {
      const streams = await Promise.all(Array.from({ length: n }, async (_, i) => batchStream(await a.data(i, 'test'), a.base.config.vision_config.image_size, p.batch_size, p.seed + i)));
      const adam: AdamState = { m1: new Float32Array(n * L), m2: new Float32Array(n * L), t: 0 };
      for (let step = 0; step < steps; step++) {
        if (a.signal?.aborted) throw new Interrupted(0, 'merge');
        const { loss, grad } = adamergingObjective(problem, lambda, streams.map((s) => s()));
        adamStep(lambda, grad, adam, p.lr);
        const t = step + 1;
        a.progress?.({ step: t, total: steps, phase: 'adamerging', loss });
        if (t === 1 || t % 50 === 0 || t === steps) a.log(`${name}: step ${t}/${steps} entropy ${loss.toFixed(4)}${layerWise ? '' : ` λ = [${[...lambda].map((x) => x.toFixed(3)).join(', ')}]`}`);
      }
    }
    a.log(`${name}: coefficients ${layerWise ? `[${n} × ${L}] mean ${(lambda.reduce((x, y) => x + y, 0) / lambda.length).toFixed(4)}` : `[${[...lambda].map((x) => x.toFixed(4)).join(', ')}]`}`);
    const out = new Map<string, Float32Array>();
    names.forEach((k, l) => {
      const merged = tf.tidy(() => {
        let t: tf.Tensor = a.base.get(k);
        for (let i = 0; i < n; i++) t = tf.add(t, tf.mul(coefficient(problem, lambda, i, l), taskVectors[i]![l]!));
        return t;
      });
      out.set(k, merged.dataSync() as Float32Array);
      merged.dispose();
    });
    a.record?.({ merging_weights: [...lambda], shape: [n, L], layers: layerWise ? names : ['all'] });
    return out;
  } finally {
    tf.dispose(taskVectors.flat());
  }
}
