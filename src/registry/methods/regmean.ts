// RegMean (Jin et al., Dataless Knowledge Fusion by Merging Weights of Language Models, ICLR 2023):
// closed-form merge of linear layers from input Gram matrices (FusionBench clip_regmean.yaml).
import type { MethodDef } from './MethodDef.js';
import { int, num } from './common.js';

/** `regmean(num_regmean_examples, reduce_non_diagonal_ratio, ...)`. */
export const regmean: MethodDef = {
  name: 'regmean', role: 'merge', stageKind: 'merge', needsTaskData: true,
  summary: 'RegMean: least-squares merge of linear layers',
  citation: 'Jin et al., ICLR 2023',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      exclude_param_names_regex: { type: 'array', items: { type: 'string' }, default: [] },
      num_regmean_examples: int(256, { minimum: 1 }),
      reduce_non_diagonal_ratio: num(0.6, { minimum: 0, maximum: 1 }),
      batch_size: int(32, { minimum: 1 }),
      num_workers: int(0, { minimum: 0 }),
    },
  },
};
