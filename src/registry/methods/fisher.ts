// Fisher merging (Matena & Raffel, NeurIPS 2022): diagonal-Fisher-weighted average
// (FusionBench config/method/fisher_merging/clip_fisher_merging.yaml).
import type { MethodDef } from './MethodDef.js';
import { int, num } from './common.js';

/** `fisher(num_fisher_examples, normalize_fisher_weight, minimal_fisher_weight, ...)`. */
export const fisher: MethodDef = {
  name: 'fisher', aliases: ['fisher_merging'], role: 'merge', stageKind: 'merge', needsTaskData: true,
  summary: 'Fisher-weighted average (diagonal Fisher from a few labelled batches)',
  citation: 'Matena & Raffel, Merging Models with Fisher-Weighted Averaging, NeurIPS 2022',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      exclude_param_names_regex: { type: 'array', items: { type: 'string' }, default: [] },
      normalize_fisher_weight: { type: 'boolean', default: true },
      minimal_fisher_weight: num(1e-6, { minimum: 0 }),
      num_fisher_examples: int(256, { minimum: 1 }),
      batch_size: int(32, { minimum: 1 }),
      num_workers: int(0, { minimum: 0 }),
    },
  },
};
