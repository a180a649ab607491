// Multi-task fine-tuning: one model, summed per-task losses (FusionBench's "traditional MTL" row).
import { defineMethod } from './MethodDef.js';

/** `multitask [method](...)`: the method's own parameters apply; batch_size is per task. */
export const multitask = defineMethod({
  name: 'multitask', aliases: ['mtl'], role: 'finetune_mode', stageKind: 'multitask',
  summary: 'one model trained on all tasks at once',
  citation: 'FusionBench clip_finetune on an _mtl model pool',
  schema: { type: 'object', properties: {}, additionalProperties: false },
});
