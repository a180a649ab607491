// Simple averaging of model weights.
// Wortsman et al., "Model soups: averaging weights of multiple fine-tuned models improves accuracy
// without increasing inference time", ICML 2022 (arXiv 2203.05482). FusionBench:
// fusion_bench/method/simple_average.py — θ = (Σ_i θ_i) / N, summed in model order in float32,
// then divided (not multiplied by 1/N), so the result matches FusionBench bit for bit.
import type { Kernel } from './method.js';
import { BLOCK } from './kernels.js';

/** The model-soup baseline row of every FusionBench table: θ = mean of the models. */
export function simpleAverageKernel(): Kernel {
    return {
      apply(c, out) {
        const ms = c.models;
        const n = ms.length;
        const len = c.length;
        for (let b = 0; b < len; b += BLOCK) {
          const e = Math.min(len, b + BLOCK);
          const m0 = ms[0]!;
          for (let i = b; i < e; i++) out[i] = m0[i]!;
          for (let k = 1; k < n; k++) {
            const m = ms[k]!;
            for (let i = b; i < e; i++) out[i] = out[i]! + m[i]!;
          }
          for (let i = b; i < e; i++) out[i] = out[i]! / n;
        }
      },
    };
}
