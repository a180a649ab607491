// Weighted averaging of model weights: θ = Σ_i w_i θ_i.
// Matena & Raffel, "Merging models with Fisher-weighted averaging", NeurIPS 2022 (the isotropic
// special case), and Wortsman et al., Model soups, ICML 2022. FusionBench:
// fusion_bench/method/weighted_average/weighted_average.py — weights normalised in float64 when
// `normalize`, then each product θ_i·w_i and the running sum rounded to float32 in model order.
import type { Kernel, PassContext } from './method.js';
import { MergeInputError } from './errors.js';
import { BLOCK } from './kernels.js';

/** weighted_average's arguments: one weight per model in model order (null: equal weights). */
export interface WeightedAverageArgs { readonly weights: readonly number[] | null; readonly normalize: boolean }

/** Averaging with user-chosen weights (e.g. favouring one task). */
export function weightedAverageKernel(a: WeightedAverageArgs, ctx: Pick<PassContext, 'numModels'>): Kernel {
    let w = a.weights && a.weights.length ? [...a.weights] : Array.from({ length: ctx.numModels }, () => 1);
    if (w.length !== ctx.numModels) throw new MergeInputError('weighted_average', `got ${w.length} weights for ${ctx.numModels} models; give one weight per model`);
    if (a.normalize) {
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
}
