// TIES-merging (Yadav et al., NeurIPS 2023): trim, elect sign, disjoint merge (FusionBench ties_merging.yaml).
import type { MethodDef } from './MethodDef.js';
import { tiesParams } from './common.js';

/** `ties(scaling_factor, threshold, remove_keys, merge_func)`. */
export const ties: MethodDef = {
  name: 'ties', aliases: ['ties_merging'], role: 'merge', stageKind: 'merge',
  summary: 'TIES: trim to top-k %, elect sign, disjoint merge',
  citation: 'Yadav et al., TIES-Merging, NeurIPS 2023',
  schema: { type: 'object', properties: { ...tiesParams }, additionalProperties: false },
};
