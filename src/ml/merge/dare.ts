// DARE: drop and rescale task-vector entries before merging.
// Yu et al., "Language models are Super Mario: absorbing abilities from homologous models as a
// free lunch", ICML 2024 (arXiv 2311.03099). FusionBench: fusion_bench/method/dare/
// (task_arithmetic.py, ties_merging.py, simple_average.py, utils.py): each task vector entry is
// kept where u > sparsity_ratio (u uniform), then divided by (1 − sparsity_ratio) if rescale;
// only_on_linear_weights restricts the drop to Linear weights. The mask here comes from a
// positional hash of (seed, model, tensor, index) so a streamed merge is reproducible; it is
// not torch's random stream, so masks differ from FusionBench's draw for draw (same law).
import type { Chunk, Kernel, PassContext } from './method.js';
import { dropInPlace, dropKey } from './kernels.js';
import { MergeInputError } from './errors.js';
import { taskArithmeticApply } from './taskArithmetic.js';
import { tiesKernel, type TiesArgs } from './ties.js';

/** DARE's arguments: the drop, and the merge it runs on (TIES's arguments apply with on=ties). */
export interface DareArgs extends TiesArgs {
  readonly on: 'task_arithmetic' | 'ties' | 'average';
  readonly sparsity_ratio: number;
  readonly only_on_linear_weights: boolean;
  readonly rescale: boolean;
  readonly seed: number;
}

/** The drop applied to every task-vector slice before merging. */
export function dareTransform(a: Pick<DareArgs, 'sparsity_ratio' | 'rescale' | 'only_on_linear_weights' | 'seed'>): (c: Chunk, k: number, tv: Float32Array) => void {
  const { sparsity_ratio: sparsity, rescale, only_on_linear_weights: onlyLinear, seed } = a;
  return (c, k, tv) => {
    if (onlyLinear && !c.linearWeight) return;
    dropInPlace(tv, c.length, c.start, dropKey(seed, k, c.name), sparsity, rescale);
  };
}

/** θ_pre + s · Σ DARE-dropped task vectors, chunk by chunk with one reused scratch buffer. */
function dareTaskArithmeticKernel(s: number, t: ReturnType<typeof dareTransform>): Kernel {
  let scratch = new Float32Array(0);
  return {
    apply(c, out) {
      if (scratch.length < c.length) scratch = new Float32Array(c.length);
      taskArithmeticApply(c, out, s, scratch, t);
    },
  };
}

/**
 * DARE on top of task arithmetic (FusionBench's DareTaskArithmetic), of TIES (DareTiesMerging:
 * drop first, then trim/elect/merge) or of simple averaging (DareSimpleAverage: task arithmetic
 * with scaling_factor 1/N).
 */
export async function dareKernel(a: DareArgs, ctx: PassContext): Promise<Kernel> {
  if (a.rescale && a.sparsity_ratio >= 1) throw new MergeInputError('dare', 'sparsity_ratio 1 drops every entry, and rescale would divide by 1 − 1 = 0; give rescale=false or a smaller sparsity_ratio');
  const t = dareTransform(a);
  switch (a.on) {
    case 'task_arithmetic': return dareTaskArithmeticKernel(a.scaling_factor, t);
    case 'average': return dareTaskArithmeticKernel(1 / ctx.numModels, t);
    case 'ties': return tiesKernel(a, ctx, t);
  }
}
