// Continual fine-tuning: tasks in sequence, optimizer and schedule reset per task
// (FusionBench config/method/classification/clip_continual_finetune.yaml, seed 000).
import type { MethodDef } from './MethodDef.js';

/** `continual [method](shuffle_order, ...)`: the method's own parameters plus shuffle_order. */
export const continual: MethodDef = {
  name: 'continual', role: 'finetune_mode', stageKind: 'continual',
  summary: 'sequential fine-tuning over the tasks (one model)',
  citation: 'FusionBench ContinualImageClassificationFineTuningForCLIP',
  schema: { type: 'object', properties: { shuffle_order: { type: 'boolean', default: true } }, additionalProperties: false },
};
