// DARE (Yu et al., Language Models are Super Mario, 2023): random drop + rescale of task vectors,
// on top of task arithmetic, TIES or simple averaging (FusionBench config/method/dare/*.yaml).
import type { MethodDef } from './MethodDef.js';
import { int, num, tiesParams } from './common.js';

/** `dare(sparsity_ratio, rescale, on=task_arithmetic|ties|average, ...)`. */
export const dare: MethodDef = {
  name: 'dare', role: 'merge', stageKind: 'merge',
  summary: 'DARE: drop a fraction of each task vector, rescale the rest',
  citation: 'Yu et al., arXiv 2311.03099',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      on: { enum: ['task_arithmetic', 'ties', 'average'], default: 'task_arithmetic' },
      sparsity_ratio: num(0.5, { minimum: 0, exclusiveMaximum: 1 }),
      only_on_linear_weights: { type: 'boolean', default: false },
      rescale: { type: 'boolean', default: true },
      ...tiesParams,
      seed: int(42, { minimum: 0 }),
    },
  },
};
