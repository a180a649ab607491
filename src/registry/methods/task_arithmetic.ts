// Task arithmetic (Ilharco et al., Editing models with task arithmetic, ICLR 2023):
// pretrained + scaling_factor * sum of task vectors (FusionBench task_arithmetic.yaml).
import type { MethodDef } from './MethodDef.js';
import { num } from './common.js';

/** `task_arithmetic(scaling_factor)`. */
export const task_arithmetic: MethodDef = {
  name: 'task_arithmetic', aliases: ['ta'], role: 'merge', stageKind: 'merge',
  summary: 'pretrained + scaling_factor x sum of task vectors',
  citation: 'Ilharco et al., ICLR 2023',
  schema: { type: 'object', properties: { scaling_factor: num(0.3) }, additionalProperties: false },
};
