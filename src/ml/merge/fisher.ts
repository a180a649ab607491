// Fisher merging: a per-parameter weighted average, each model weighted by its diagonal Fisher
// information on its own task.
// Matena & Raffel, "Merging models with Fisher-weighted averaging", NeurIPS 2022 (arXiv
// 2111.09832). FusionBench: fusion_bench/method/fisher_merging/fisher_merging.py (after
// MergeLM) and config/method/fisher_merging/clip_fisher_merging.yaml: per batch of the task's
// training data, the squared gradient of Σ_batch Σ_classes sqrt(p̂)·log p (p̂ detached) is
// accumulated and divided by the examples counted; θ = Σ c_i F_i θ_i / Σ c_i F_i with
// F_i + minimal_fisher_weight, and with normalize_fisher_weight c_i ∝ 1/(‖F_i‖ + minimal).
import * as tf from '@tensorflow/tfjs-core';
import { batches, excluded, visionNames, type ModelMergeArgs } from './modelMerge.js';
import { classify } from '../eval/evaluate.js';
import { MergeInputError } from './errors.js';
import { Interrupted } from '../../util/interrupted.js';
import type { ClipModel } from '../models/clip.js';

/** identity whose gradient is zero (torch's .detach()): p̂ is a constant weight in the loss */
const detach = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** Fisher merging's arguments (FusionBench clip_fisher_merging.yaml names). */
export interface FisherArgs {
  readonly exclude_param_names_regex: readonly string[];
  readonly normalize_fisher_weight: boolean;
  readonly minimal_fisher_weight: number;
  readonly num_fisher_examples: number;
  readonly batch_size: number;
  /** one coefficient per model; null = 1/N each */
  readonly fisher_scaling_coefficients: readonly number[] | null;
  /** seeds the order of the examples (model i uses seed + i) */
  readonly seed: number;
}

async function fisherWeights(p: FisherArgs, a: ModelMergeArgs, i: number, model: ClipModel, names: readonly string[]): Promise<Map<string, Float32Array>> {
  const ds = await a.data(i, 'train');
  const bs = p.batch_size, count = p.num_fisher_examples;
  const vars = names.map((k) => model.get(k));
  const acc = new Map<string, Float32Array>(names.map((k) => [k, new Float32Array(model.get(k).size)]));
  const set = new Set(names);
  const ctx = { p: (k: string) => model.get(k), trainable: (k: string) => set.has(k) };
  let counted = 0, step = 0;
  const total = Math.ceil(count / bs);
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  for (const b of batches(ds, model.config.vision_config.image_size, bs, count, p.seed + i)) {
    if (a.signal?.aborted) throw new Interrupted(0, 'merge');
    const { value, grads } = tf.variableGrads(() => {
      const logits = classify(model, a.heads[i]!, b.x, b.n, ctx);
      return tf.sum(tf.mul(tf.sqrt(detach(tf.softmax(logits))), tf.logSoftmax(logits))) as tf.Scalar;
    }, vars);
    names.forEach((k, j) => {
      const g = grads[vars[j]!.name]!.dataSync() as Float32Array;
      const f = acc.get(k)!;
      for (let e = 0; e < g.length; e++) f[e] = f[e]! + g[e]! * g[e]!;
    });
    tf.dispose([value, ...Object.values(grads)]);
    counted += bs; // FusionBench counts the loader's batch size
    a.progress?.({ step: ++step, total, phase: `fisher ${i + 1}/${a.members.count}` });
  }
  for (const f of acc.values()) for (let e = 0; e < f.length; e++) f[e] = f[e]! / counted;
  const cpu = process.cpuUsage(cpu0);
  a.log(`fisher_merging: model ${i + 1}/${a.members.count}: squared gradients over ${count} examples in ${((performance.now() - t0) / 1e3).toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s)`);
  return acc;
}

/** ‖F‖: the L2 norm over parameters of the per-parameter L2 norms (FusionBench's normalisation). */
function fisherNorm(f: ReadonlyMap<string, Float32Array>): number {
  let s = 0;
  for (const v of f.values()) { let t = 0; for (const x of v) t += x * x; s += t; }
  return Math.sqrt(s);
}

/**
 * Fisher-weighted averaging of the fine-tuned models (no base model in the formula): merged vision
 * tensors. θ = Σ c_i (F_i + m) θ_i / Σ c_i (F_i + m). With normalize_fisher_weight c_i ∝ 1/(‖F_i‖ + m):
 * the normalising sum cancels between numerator and denominator, so each member is folded into the
 * two running sums as soon as its own Fisher is known, and only one member and one Fisher are in
 * memory at a time (eight ViT-B/32 members with their Fishers would be ~6 GB).
 */
export async function fisherMerge(p: FisherArgs, a: ModelMergeArgs): Promise<Map<string, Float32Array>> {
  const n = a.members.count;
  const skip = excluded(p.exclude_param_names_regex);
  const names = visionNames(a.base).filter((k) => !skip(k));
  const given = p.fisher_scaling_coefficients ?? [];
  const coef = given.length ? [...given] : Array.from({ length: n }, () => 1 / n);
  if (coef.length !== n) throw new MergeInputError('fisher_merging', `fisher_scaling_coefficients has ${coef.length} values for ${n} models`);
  const minimal = p.minimal_fisher_weight;
  const num = new Map(names.map((k) => [k, new Float64Array(a.base.get(k).size)] as const));
  const den = new Map(names.map((k) => [k, new Float64Array(a.base.get(k).size)] as const));
  const norms: number[] = [], inv: number[] = [];
  for (let i = 0; i < n; i++) {
    await a.members.with(i, async (model) => {
      const fisher = await fisherWeights(p, a, i, model, names);
      let w = coef[i]!;
      if (p.normalize_fisher_weight) { const norm = fisherNorm(fisher); norms.push(norm); inv.push(1 / (norm + minimal)); w *= inv[i]!; }
      for (const k of names) {
        const f = fisher.get(k)!, v = model.get(k).dataSync() as Float32Array, nk = num.get(k)!, dk = den.get(k)!;
        for (let e = 0; e < f.length; e++) { const x = w * (f[e]! + minimal); nk[e] = nk[e]! + x * v[e]!; dk[e] = dk[e]! + x; }
        fisher.delete(k);
      }
    });
  }
  if (p.normalize_fisher_weight) {
    const sum = inv.reduce((x, y) => x + y, 0);
    for (let i = 0; i < n; i++) coef[i] = coef[i]! * inv[i]! / sum;
    a.log(`fisher_merging: Fisher norms [${norms.map((x) => x.toExponential(3)).join(', ')}] → coefficients [${coef.map((x) => x.toFixed(4)).join(', ')}]`);
  }
  a.record?.({ fisher_coefficients: coef });
  const out = new Map<string, Float32Array>();
  for (const k of names) {
    const nk = num.get(k)!, dk = den.get(k)!, r = new Float32Array(nk.length);
    for (let e = 0; e < r.length; e++) r[e] = nk[e]! / dk[e]!;
    out.set(k, r);
    num.delete(k); den.delete(k);
  }
  return out;
}
