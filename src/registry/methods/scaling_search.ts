// Task arithmetic or TIES with λ chosen on a validation split (Ilharco et al., ICLR 2023, §3: "we
// use a held-out validation split to choose the scaling coefficient"), over FusionBench's /
// the paper's grid 0.1 … 1.0. One merge stage: every λ is merged and scored on held-out labelled
// train images of each task; merge.json records the grid, every score and the λ kept, and the
// report's row says which λ was chosen. A sweep `task_arithmetic(scaling_factor=[...])` instead
// evaluates every λ on the test split — the number a paper must not pick from.
import { defineMethod } from './MethodDef.js';
import { int, oneOf, thresholdAliases, tiesParams } from './common.js';
import { taskArithmeticKernel } from '../../ml/merge/taskArithmetic.js';
import { tiesKernel } from '../../ml/merge/ties.js';
import type { Prop } from './MethodDef.js';

/** The scaling factors FusionBench's and the task-arithmetic paper's grid search try. */
export const FUSIONBENCH_SCALING_GRID: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

const TIES_ONLY = { param: 'on', values: ['ties'] } as const;
const { scaling_factor: _chosen, ...tiesRest } = tiesParams;

/** `scaling_search(on=task_arithmetic|ties, grid, num_val_examples, ...)`. */
export const scaling_search = defineMethod({
  name: 'scaling_search', role: 'merge', stageKind: 'merge', needsTaskData: true,
  summary: 'task arithmetic or TIES with the scaling factor chosen on a validation split (best mean accuracy over a grid)',
  citation: 'Ilharco et al., Editing models with task arithmetic, ICLR 2023 (arXiv 2212.04089), §3; Yadav et al., TIES-Merging, NeurIPS 2023',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      on: oneOf(['task_arithmetic', 'ties'], 'task_arithmetic', { description: 'the task-vector merge whose scaling factor is chosen' }),
      grid: { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 1, default: FUSIONBENCH_SCALING_GRID, description: 'scaling factors tried, in order (the first of equally good ones is kept)' } as Prop<readonly number[]>,
      num_val_examples: int(256, { minimum: 1, description: 'labelled validation images per task: a seeded subset of its train split, never the test split' }),
      batch_size: int(128, { minimum: 1, description: 'validation images per forward pass' }),
      seed: int(42, { minimum: 0, description: 'seed of the validation subset (model i uses seed + i)' }),
      ...tiesRest,
    },
  },
  paramAliases: { ...thresholdAliases },
  appliesWhen: { threshold: TIES_ONLY, remove_keys: TIES_ONLY, merge_func: TIES_ONLY },
  merge: {
    needsBase: true, minModels: 2,
    model: async (a, x) => (await import('../../ml/merge/scalingSearch.js')).scalingSearch(a, {
      name: a.on,
      removedKeys: a.on === 'ties' ? a.remove_keys : [],
      kernel: async (scaling_factor, ctx) => (a.on === 'ties' ? tiesKernel({ scaling_factor, threshold: a.threshold, merge_func: a.merge_func }, ctx) : taskArithmeticKernel({ scaling_factor })),
    }, x),
  },
});
