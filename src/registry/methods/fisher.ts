// Fisher merging (Matena & Raffel, NeurIPS 2022): diagonal-Fisher-weighted average
// (FusionBench config/method/fisher_merging/clip_fisher_merging.yaml).
import { defineMethod } from './MethodDef.js';
import { bool, int, num, numListOrNull, strList } from './common.js';

/** `fisher(num_fisher_examples, normalize_fisher_weight, minimal_fisher_weight, seed, ...)`. */
export const fisher = defineMethod({
  name: 'fisher', aliases: ['fisher_merging', 'clip_fisher_merging'], role: 'merge', stageKind: 'merge', needsTaskData: true,
  summary: 'Fisher-weighted average (diagonal Fisher from a few labelled batches of each task)',
  citation: 'Matena & Raffel, Merging Models with Fisher-Weighted Averaging, NeurIPS 2022 (arXiv 2111.09832)',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      exclude_param_names_regex: strList([], { description: 'parameters (regex, matched at the start) kept at the base value' }),
      normalize_fisher_weight: bool(true, { description: 'weight each model by the inverse L2 norm of its Fisher' }),
      minimal_fisher_weight: num(1e-6, { minimum: 0, description: 'added to every Fisher value (numerical floor)' }),
      num_fisher_examples: int(256, { minimum: 1, description: 'training examples per task used to estimate the Fisher' }),
      fisher_scaling_coefficients: numListOrNull({ minItems: 1, description: 'one coefficient per model (null: 1/N each)' }),
      batch_size: int(32, { minimum: 1 }),
      num_workers: int(0, { minimum: 0 }),
      seed: int(42, { minimum: 0, description: 'seed of the example order (model i uses seed + i)' }),
    },
  },
  merge: { needsBase: true, minModels: 2, model: async (a, x) => (await import('../../ml/merge/fisher.js')).fisherMerge(a, x) },
});
