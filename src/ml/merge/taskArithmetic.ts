// Task arithmetic: add the scaled sum of task vectors to the pretrained weights.
// Ilharco et al., "Editing models with task arithmetic", ICLR 2023 (arXiv 2212.04089).
// FusionBench: fusion_bench/method/task_arithmetic/task_arithmetic.py — τ_i = θ_i − θ_pre,
// τ = Σ_i τ_i (model order), θ = θ_pre + scaling_factor·τ, all in float32.
import type { Chunk, Kernel } from './method.js';
import { BLOCK } from './kernels.js';

/**
 * out = base + s·Σ_k τ_k, with τ_k = m_k − base, each step rounded to float32 in FusionBench's
 * order. `transform` may edit each task vector slice (DARE's drop) before it is summed.
 */
export function taskArithmeticApply(c: Chunk, out: Float32Array, scalingFactor: number, tvScratch: Float32Array, transform?: (c: Chunk, k: number, tv: Float32Array) => void): void {
  const base = c.base!;
  const ms = c.models;
  const len = c.length;
  const s = Math.fround(scalingFactor);
  if (transform) {
    for (let k = 0; k < ms.length; k++) {
      const m = ms[k]!;
      const tv = tvScratch.subarray(0, len);
      for (let i = 0; i < len; i++) tv[i] = m[i]! - base[i]!;
      transform(c, k, tv);
      if (k === 0) out.set(tv);
      else for (let i = 0; i < len; i++) out[i] = out[i]! + tv[i]!;
    }
    for (let i = 0; i < len; i++) out[i] = base[i]! + Math.fround(out[i]! * s);
    return;
  }
  for (let b = 0; b < len; b += BLOCK) {
    const e = Math.min(len, b + BLOCK);
    const m0 = ms[0]!;
    for (let i = b; i < e; i++) out[i] = m0[i]! - base[i]!;
    for (let k = 1; k < ms.length; k++) {
      const m = ms[k]!;
      for (let i = b; i < e; i++) out[i] = out[i]! + Math.fround(m[i]! - base[i]!);
    }
    for (let i = b; i < e; i++) out[i] = base[i]! + Math.fround(out[i]! * s);
  }
}

/** The task-vector baseline: one scaling factor for all tasks. */
export function taskArithmeticKernel(a: { readonly scaling_factor: number }): Kernel {
  return { apply: (c, out) => taskArithmeticApply(c, out, a.scaling_factor, out) };
}
