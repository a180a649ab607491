// DARE: drop and rescale task-vector entries before merging.
// Yu et al., "Language models are Super Mario: absorbing abilities from homologous models as a
// free lunch", ICML 2024 (arXiv 2311.03099). FusionBench: fusion_bench/method/dare/
// (task_arithmetic.py, ties_merging.py, simple_average.py, utils.py): each task vector entry is
// kept where u > sparsity_ratio (u uniform), then divided by (1 − sparsity_ratio) if rescale;
// only_on_linear_weights restricts the drop to Linear weights. The mask here comes from a
// positional hash of (seed, model, tensor, index) so a streamed merge is reproducible; it is
// not torch's random stream, so masks differ from FusionBench's draw for draw (same law).
import { get, type MergeMethod, type Chunk, type ResolvedParams, type ParamSpec } from './method.js';
import { dropInPlace, dropKey } from './kernels.js';
import { taskArithmeticApply } from './taskArithmetic.js';
import { tiesKernel, tiesParams } from './ties.js';

const dareParams: readonly ParamSpec[] = [
  { name: 'sparsity_ratio', type: 'number', default: 0.5, min: 0, max: 1, doc: 'fraction of task-vector entries dropped' },
  { name: 'only_on_linear_weights', type: 'boolean', default: false, doc: 'drop only in Linear weights (2-D *.weight, not embeddings)' },
  { name: 'rescale', type: 'boolean', default: true, doc: 'divide kept entries by (1 − sparsity_ratio)' },
  { name: 'seed', type: 'number', default: 42, doc: 'seed of the drop mask' },
];

/** The drop applied to every task-vector slice before merging. */
export function dareTransform(p: ResolvedParams): (c: Chunk, k: number, tv: Float32Array) => void {
  const sparsity = get.num(p, 'sparsity_ratio');
  const rescale = get.bool(p, 'rescale');
  const onlyLinear = get.bool(p, 'only_on_linear_weights');
  const seed = get.num(p, 'seed');
  return (c, k, tv) => {
    if (onlyLinear && !c.linearWeight) return;
    dropInPlace(tv, c.length, c.start, dropKey(seed, k, c.name), sparsity, rescale);
  };
}

/** θ_pre + s · Σ DARE-dropped task vectors, chunk by chunk with one reused scratch buffer. */
function dareTaskArithmeticKernel(s: number, t: ReturnType<typeof dareTransform>): { apply(c: Parameters<typeof taskArithmeticApply>[0], out: Float32Array): void } {
  let scratch = new Float32Array(0);
  return {
    apply(c, out) {
      if (scratch.length < c.length) scratch = new Float32Array(c.length);
      taskArithmeticApply(c, out, s, scratch, t);
    },
  };
}

/** DARE on top of task arithmetic (FusionBench's DareTaskArithmetic). */
export const dareTaskArithmetic: MergeMethod = {
  name: 'dare_task_arithmetic',
  aliases: ['dare'],
  summary: 'task arithmetic on DARE-dropped task vectors',
  citation: 'Yu et al., DARE (Super Mario), ICML 2024 (arXiv 2311.03099)',
  needsBase: true,
  params: [{ name: 'scaling_factor', type: 'number', default: 0.3, doc: 'λ multiplying the summed task vectors' }, ...dareParams],
  prepare: async (p) => dareTaskArithmeticKernel(get.num(p, 'scaling_factor'), dareTransform(p)),
};

/** DARE on top of simple averaging: task arithmetic with scaling_factor 1/N (FusionBench's DareSimpleAverage). */
export const dareSimpleAverage: MergeMethod = {
  name: 'dare_simple_average',
  aliases: ['dare_average'],
  summary: 'θ_pre + mean of DARE-dropped task vectors',
  citation: 'Yu et al., DARE (Super Mario), ICML 2024 (arXiv 2311.03099)',
  needsBase: true,
  params: dareParams,
  prepare: async (p, ctx) => dareTaskArithmeticKernel(1 / ctx.numModels, dareTransform(p)),
};

/** DARE on top of TIES (FusionBench's DareTiesMerging): drop first, then trim/elect/merge. */
export const dareTies: MergeMethod = {
  name: 'dare_ties_merging',
  aliases: ['dare_ties'],
  summary: 'TIES-Merging on DARE-dropped task vectors',
  citation: 'Yu et al., DARE (Super Mario), ICML 2024 (arXiv 2311.03099); Yadav et al., TIES-Merging, NeurIPS 2023',
  needsBase: true,
  params: [...dareParams, ...tiesParams],
  removedKeys: (p) => get.strs(p, 'remove_keys'),
  prepare: (p, ctx) => tiesKernel(p, ctx, dareTransform(p)),
};
