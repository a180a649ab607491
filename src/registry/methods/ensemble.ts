// Simple ensemble: average the logits of the members (FusionBench config/method/ensemble/simple_ensemble.yaml).
import { defineMethod } from './MethodDef.js';
import { numListOrNull } from './common.js';

/** `ensemble(weights)`: not a weight merge; the output folder lists its members. */
export const ensemble = defineMethod({
  name: 'ensemble', aliases: ['simple_ensemble', 'weighted_ensemble'], role: 'merge', stageKind: 'ensemble',
  summary: 'ensemble: average the members\' logits',
  citation: 'FusionBench SimpleEnsembleAlgorithm / WeightedEnsembleAlgorithm',
  schema: {
    type: 'object', additionalProperties: false,
    properties: { weights: numListOrNull({ minItems: 1 }) },
  },
  merge: { needsBase: false, minModels: 2 },
});
