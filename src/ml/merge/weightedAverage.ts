// Weighted averaging of model weights: θ = Σ_i w_i θ_i.
// Matena & Raffel, "Merging models with Fisher-weighted averaging", NeurIPS 2022 (the isotropic
// special case), and Wortsman et al., Model soups, ICML 2022. FusionBench:
// fusion_bench/method/weighted_average/weighted_average.py — weights normalised in float64 when
// `normalize`, then each product θ_i·w_i and the running sum rounded to float32 in model order.
import { get, type MergeMethod } from './method.js';
import { MergeInputError } from './errors.js';
import { BLOCK } from './kernels.js';

/** Averaging with user-chosen weights (e.g. favouring one task). */
export const weightedAverage: MergeMethod = {
  name: 'weighted_average',
  aliases: ['weighted'],
  summary: 'θ = Σ w_i θ_i (weights normalised to sum 1 when normalize=true); no base needed',
  citation: 'Wortsman et al., Model soups, ICML 2022; Matena & Raffel, Fisher-weighted averaging, NeurIPS 2022',
  needsBase: false,
  params: [
    { name: 'weights', type: 'number[]', default: [], doc: 'one weight per model, in the order the models are given (empty: equal weights)' },
    { name: 'normalize', type: 'boolean', default: true, doc: 'divide the weights by their sum before merging' },
  ],
  async prepare(p, ctx) {
    let w = [...get.nums(p, 'weights')];
    if (w.length === 0) w = Array.from({ length: ctx.numModels }, () => 1);
    if (w.length !== ctx.numModels) throw new MergeInputError('weighted_average', `got ${w.length} weights for ${ctx.numModels} models; give one weight per model`);
    if (get.bool(p, 'normalize')) {
      let sum = 0;
      for (const x of w) sum += x;
      if (sum === 0) throw new MergeInputError('weighted_average', 'the weights sum to 0 and cannot be normalised; pass normalize=false or other weights');
      w = w.map((x) => x / sum);
    }
    const w32 = w.map((x) => Math.fround(x));
    return {
      apply(c, out) {
        const ms = c.models;
        const len = c.length;
        for (let b = 0; b < len; b += BLOCK) {
          const e = Math.min(len, b + BLOCK);
          const m0 = ms[0]!, w0 = w32[0]!;
          for (let i = b; i < e; i++) out[i] = m0[i]! * w0;
          for (let k = 1; k < ms.length; k++) {
            const m = ms[k]!, wk = w32[k]!;
            for (let i = b; i < e; i++) out[i] = out[i]! + Math.fround(m[i]! * wk);
          }
        }
      },
    };
  },
};
