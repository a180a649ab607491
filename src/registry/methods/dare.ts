// DARE (Yu et al., Language Models are Super Mario, ICML 2024): random drop + rescale of task
// vectors, on top of task arithmetic, TIES or simple averaging (FusionBench config/method/dare/*.yaml).
import { defineMethod } from './MethodDef.js';
import { bool, int, num, oneOf, scalingAliases, thresholdAliases, tiesParams } from './common.js';
import { dareKernel } from '../../ml/merge/dare.js';

const TIES_ONLY = { param: 'on', values: ['ties'] } as const;

/** `dare(sparsity_ratio, rescale, on=task_arithmetic|ties|average, ...)`. */
export const dare = defineMethod({
  name: 'dare', role: 'merge', stageKind: 'merge',
  variants: {
    dare_task_arithmetic: { on: 'task_arithmetic' },
    dare_ties_merging: { on: 'ties' }, dare_ties: { on: 'ties' },
    dare_simple_average: { on: 'average' }, dare_average: { on: 'average' },
  },
  summary: 'DARE: drop a fraction of each task vector, rescale the rest, then task arithmetic / TIES / average',
  citation: 'Yu et al., DARE (Super Mario), ICML 2024 (arXiv 2311.03099)',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      on: oneOf(['task_arithmetic', 'ties', 'average'], 'task_arithmetic', { description: 'the merge run on the dropped task vectors' }),
      sparsity_ratio: num(0.5, { minimum: 0, maximum: 1, description: 'fraction of task-vector entries dropped (1 drops everything: only with rescale=false)' }),
      only_on_linear_weights: bool(false, { description: 'drop only in Linear weights (2-D *.weight, not embeddings)' }),
      rescale: bool(true, { description: 'divide kept entries by (1 − sparsity_ratio)' }),
      ...tiesParams,
      seed: int(42, { minimum: 0, description: 'seed of the drop mask' }),
    },
  },
  paramAliases: {
    ...scalingAliases, ...thresholdAliases,
    p: { to: 'sparsity_ratio', schema: { type: 'number', description: 'p is another name of sparsity_ratio' }, doc: 'sparsity_ratio (the DARE paper\'s drop rate p)' },
    drop_rate: { to: 'sparsity_ratio', schema: { type: 'number', description: 'drop_rate is another name of sparsity_ratio' }, doc: 'sparsity_ratio' },
  },
  appliesWhen: {
    scaling_factor: { param: 'on', values: ['task_arithmetic', 'ties'] },
    threshold: TIES_ONLY, remove_keys: TIES_ONLY, merge_func: TIES_ONLY,
  },
  merge: { needsBase: true, minModels: 2, kernel: (a, ctx) => dareKernel(a, ctx), removedKeys: (a) => (a.on === 'ties' ? a.remove_keys : []) },
});
