// Weighted average of weights (FusionBench config/method/linear/weighted_average.yaml; mergekit's
// `linear` is the same merge: per-model weights, normalised by default).
import { defineMethod } from './MethodDef.js';
import { bool, numListOrNull } from './common.js';
import { weightedAverageKernel } from '../../ml/merge/weightedAverage.js';

/** `weighted_average(weights=[...], normalize)`; weights null means equal weights. */
export const weighted_average = defineMethod({
  name: 'weighted_average', aliases: ['weighted', 'linear'], role: 'merge', stageKind: 'merge',
  summary: 'θ = Σ w_i θ_i (weights normalised to sum 1 when normalize=true); no base needed',
  citation: 'FusionBench WeightedAverageAlgorithm; mergekit linear (Wortsman et al., Model soups, ICML 2022)',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      weights: numListOrNull({ minItems: 1, description: 'one weight per model, in the order the models are given (null: equal weights)' }),
      normalize: bool(true, { description: 'divide the weights by their sum before merging' }),
    },
  },
  merge: { needsBase: false, minModels: 2, kernel: async (a, ctx) => weightedAverageKernel(a, ctx) },
});
