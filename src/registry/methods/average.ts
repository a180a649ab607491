// Simple averaging of weights (Wortsman et al., Model soups, ICML 2022; FusionBench simple_average).
import { defineMethod } from './MethodDef.js';
import { simpleAverageKernel } from '../../ml/merge/simpleAverage.js';

/** `average`: hyper-parameter free. */
export const average = defineMethod({
  name: 'average', aliases: ['simple_average', 'avg'], role: 'merge', stageKind: 'merge',
  summary: 'θ = mean of the models (model soup); no base needed',
  citation: 'Wortsman et al., Model soups, ICML 2022 (arXiv 2203.05482)',
  schema: { type: 'object', properties: {}, additionalProperties: false },
  merge: { needsBase: false, minModels: 2, kernel: async () => simpleAverageKernel() },
});
