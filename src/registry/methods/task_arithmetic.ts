// Task arithmetic (Ilharco et al., Editing models with task arithmetic, ICLR 2023):
// pretrained + scaling_factor * sum of task vectors (FusionBench task_arithmetic.yaml).
import { defineMethod } from './MethodDef.js';
import { scalingAliases, scalingFactor } from './common.js';
import { taskArithmeticKernel } from '../../ml/merge/taskArithmetic.js';

/** `task_arithmetic(scaling_factor)`. */
export const task_arithmetic = defineMethod({
  name: 'task_arithmetic', aliases: ['ta'], role: 'merge', stageKind: 'merge',
  summary: 'θ = θ_pre + scaling_factor · Σ (θ_i − θ_pre)',
  citation: 'Ilharco et al., Editing models with task arithmetic, ICLR 2023 (arXiv 2212.04089)',
  schema: { type: 'object', properties: { ...scalingFactor }, additionalProperties: false },
  paramAliases: { ...scalingAliases },
  merge: { needsBase: true, minModels: 2, kernel: async (a) => taskArithmeticKernel(a) },
});
