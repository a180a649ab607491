// TIES-merging (Yadav et al., NeurIPS 2023): trim, elect sign, disjoint merge (FusionBench ties_merging.yaml).
import { defineMethod } from './MethodDef.js';
import { scalingAliases, thresholdAliases, tiesParams } from './common.js';
import { tiesKernel } from '../../ml/merge/ties.js';

/** `ties(scaling_factor, threshold, remove_keys, merge_func)`; `k` / `density` = threshold as a fraction. */
export const ties = defineMethod({
  name: 'ties', aliases: ['ties_merging'], role: 'merge', stageKind: 'merge',
  summary: 'TIES: trim each task vector to its top threshold %, elect signs, merge agreeing entries',
  citation: 'Yadav et al., TIES-Merging, NeurIPS 2023 (arXiv 2306.01708)',
  schema: { type: 'object', properties: { ...tiesParams }, additionalProperties: false },
  paramAliases: { ...scalingAliases, ...thresholdAliases },
  merge: { needsBase: true, minModels: 2, kernel: (a, ctx) => tiesKernel(a, ctx), removedKeys: (a) => a.remove_keys },
});
