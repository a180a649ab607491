// Weighted average of weights (FusionBench config/method/linear/weighted_average.yaml).
import type { MethodDef } from './MethodDef.js';

/** `weighted_average(weights=[...], normalize)`; weights null means equal weights. */
export const weighted_average: MethodDef = {
  name: 'weighted_average', role: 'merge', stageKind: 'merge',
  summary: 'weighted average (one weight per model, in task order)',
  citation: 'FusionBench WeightedAverageAlgorithm',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      weights: { type: ['array', 'null'], items: { type: 'number' }, minItems: 1, default: null },
      normalize: { type: 'boolean', default: true },
    },
  },
};
