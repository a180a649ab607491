// Simple averaging of weights (Wortsman et al., Model soups, ICML 2022; FusionBench simple_average).
import type { MethodDef } from './MethodDef.js';

/** `average`: hyper-parameter free. */
export const average: MethodDef = {
  name: 'average', aliases: ['simple_average', 'avg'], role: 'merge', stageKind: 'merge',
  summary: 'simple average of the fine-tuned weights',
  citation: 'Wortsman et al., Model soups, ICML 2022',
  schema: { type: 'object', properties: {}, additionalProperties: false },
};
