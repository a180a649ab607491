// Fisher merging: a per-parameter weighted average, each model weighted by its diagonal Fisher
// information on its own task.
// Matena & Raffel, "Merging models with Fisher-weighted averaging", NeurIPS 2022 (arXiv
// 2111.09832). FusionBench: fusion_bench/method/fisher_merging/fisher_merging.py (after
// MergeLM) and config/method/fisher_merging/clip_fisher_merging.yaml: per batch of the task's
// training data, the squared gradient of Σ_batch Σ_classes sqrt(p̂)·log p (p̂ detached) is
// accumulated and divided by the examples counted; θ = Σ c_i F_i θ_i / Σ c_i F_i with
// F_i + minimal_fisher_weight, and with normalize_fisher_weight c_i ∝ 1/(‖F_i‖ + minimal).
import * as tf from '@tensorflow/tfjs-core';
import { get, type ResolvedParams } from './method.js';
import { batches, excluded, visionNames, ModelMergeAborted, type ModelMergeArgs, type ModelMergeMethod } from './modelMerge.js';
import { classify } from '../eval/evaluate.js';
import { MergeInputError } from './errors.js';

/** identity whose gradient is zero (torch's .detach()): p̂ is a constant weight in the loss */
const detach = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

async function fisherWeights(p: ResolvedParams, a: ModelMergeArgs, i: number, names: readonly string[]): Promise<Map<string, Float32Array>> {
  const model = a.models[i]!;
  const ds = await a.data(i, 'train');
  const bs = get.num(p, 'batch_size'), count = get.num(p, 'num_fisher_examples');
  const vars = names.map((k) => model.get(k));
  const acc = new Map<string, Float32Array>(names.map((k) => [k, new Float32Array(model.get(k).size)]));
  const set = new Set(names);
  const ctx = { p: (k: string) => model.get(k), trainable: (k: string) => set.has(k) };
  let counted = 0, step = 0;
  const total = Math.ceil(count / bs);
  for (const b of batches(ds, model.config.vision_config.image_size, bs, count, get.num(p, 'seed') + i)) {
    if (a.signal?.aborted) throw new ModelMergeAborted();
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
    a.progress?.({ step: ++step, total, phase: `fisher ${i + 1}/${a.models.length}` });
  }
  for (const f of acc.values()) for (let e = 0; e < f.length; e++) f[e] = f[e]! / counted;
  return acc;
}

/** Fisher-weighted averaging of the fine-tuned models (no base model in the formula). */
export const fisherMerging: ModelMergeMethod = {
  name: 'fisher_merging',
  aliases: ['fisher', 'clip_fisher_merging'],
  summary: 'per-parameter average weighted by each model\'s diagonal Fisher information on its task',
  citation: 'Matena & Raffel, Merging models with Fisher-weighted averaging, NeurIPS 2022 (arXiv 2111.09832)',
  params: [
    { name: 'exclude_param_names_regex', type: 'string[]', default: [], doc: 'parameters (regex, matched at the start) kept at the base value' },
    { name: 'normalize_fisher_weight', type: 'boolean', default: true, doc: 'weight each model by the inverse L2 norm of its Fisher' },
    { name: 'minimal_fisher_weight', type: 'number', default: 1e-6, min: 0, doc: 'added to every Fisher value (numerical floor)' },
    { name: 'num_fisher_examples', type: 'number', default: 256, min: 1, doc: 'training examples per task used to estimate the Fisher' },
    { name: 'batch_size', type: 'number', default: 32, min: 1, doc: 'examples per gradient' },
    { name: 'fisher_scaling_coefficients', type: 'number[]', default: [], doc: 'one coefficient per model (default 1/N each)' },
    { name: 'seed', type: 'number', default: 42, doc: 'seed of the example order' },
  ],
  async run(p, a) {
    const n = a.models.length;
    const skip = excluded(get.strs(p, 'exclude_param_names_regex'));
    const names = visionNames(a.base).filter((k) => !skip(k));
    let coef = [...get.nums(p, 'fisher_scaling_coefficients')];
    if (!coef.length) coef = a.models.map(() => 1 / n);
    if (coef.length !== n) throw new MergeInputError('fisher_merging', `fisher_scaling_coefficients has ${coef.length} values for ${n} models`);
    const fishers: Map<string, Float32Array>[] = [];
    for (let i = 0; i < n; i++) fishers.push(await fisherWeights(p, a, i, names));
    const minimal = get.num(p, 'minimal_fisher_weight');
    if (get.bool(p, 'normalize_fisher_weight')) {
      // ‖F_i‖: L2 norm over parameters of the per-parameter L2 norms
      const norms = fishers.map((f) => { let s = 0; for (const v of f.values()) { let t = 0; for (const x of v) t += x * x; s += t; } return Math.sqrt(s); });
      const inv = norms.map((x) => 1 / (x + minimal));
      const sum = inv.reduce((x, y) => x + y, 0);
      coef = coef.map((c, i) => c * inv[i]! / sum);
      a.log(`fisher_merging: Fisher norms [${norms.map((x) => x.toExponential(3)).join(', ')}] → coefficients [${coef.map((x) => x.toFixed(4)).join(', ')}]`);
    }
    a.record?.({ fisher_coefficients: coef });
    const out = new Map<string, Float32Array>();
    for (const k of names) {
      const vals = a.models.map((m) => m.get(k).dataSync() as Float32Array);
      const r = new Float32Array(vals[0]!.length);
      for (let e = 0; e < r.length; e++) {
        let num = 0, den = 0;
        for (let i = 0; i < n; i++) { const w = coef[i]! * (fishers[i]!.get(k)![e]! + minimal); num += w * vals[i]![e]!; den += w; }
        r[e] = num / den;
      }
      out.set(k, r);
    }
    return out;
  },
};
