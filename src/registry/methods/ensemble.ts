// Simple ensemble: average the logits of the members (FusionBench config/method/ensemble/simple_ensemble.yaml).
import type { MethodDef } from './MethodDef.js';

/** `ensemble(weights)`: not a weight merge; the output folder lists its members. */
export const ensemble: MethodDef = {
  name: 'ensemble', aliases: ['simple_ensemble', 'weighted_ensemble'], role: 'merge', stageKind: 'ensemble',
  summary: 'ensemble: average the members\' logits',
  citation: 'FusionBench SimpleEnsembleAlgorithm / WeightedEnsembleAlgorithm',
  schema: {
    type: 'object', additionalProperties: false,
    properties: { weights: { type: ['array', 'null'], items: { type: 'number' }, minItems: 1, default: null } },
  },
};
