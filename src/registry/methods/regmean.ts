// RegMean (Jin et al., Dataless Knowledge Fusion by Merging Weights of Language Models, ICLR 2023):
// closed-form merge of linear layers from input Gram matrices (FusionBench clip_regmean.yaml).
import { defineMethod } from './MethodDef.js';
import { int, num, strList } from './common.js';

/** `regmean(num_regmean_examples, reduce_non_diagonal_ratio, seed, ...)`. */
export const regmean = defineMethod({
  name: 'regmean', aliases: ['clip_regmean'], role: 'merge', stageKind: 'merge', needsTaskData: true,
  summary: 'RegMean: closed-form least-squares merge of each Linear layer from its input Gram matrices',
  citation: 'Jin et al., RegMean, ICLR 2023 (arXiv 2212.09849)',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      exclude_param_names_regex: strList([], { description: 'parameters (regex, matched at the start) kept at the base value' }),
      num_regmean_examples: int(256, { minimum: 1, description: 'training examples per task for the Gram matrices' }),
      reduce_non_diagonal_ratio: num(0.6, { minimum: 0, maximum: 1, description: 'multiplier of the off-diagonal Gram entries' }),
      batch_size: int(32, { minimum: 1 }),
      num_workers: int(0, { minimum: 0 }),
      seed: int(42, { minimum: 0, description: 'seed of the example order (model i uses seed + i)' }),
    },
  },
  merge: { needsBase: true, minModels: 2, model: async (a, x) => (await import('../../ml/merge/regmean.js')).regmeanMerge(a, x) },
});
