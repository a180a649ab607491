// Continual fine-tuning: tasks in sequence, optimizer and schedule reset per task
// (FusionBench config/method/classification/clip_continual_finetune.yaml, seed 000).
import { defineMethod } from './MethodDef.js';
import { bool } from './common.js';

/** `continual [method](shuffle_order, ...)`: the method's own parameters plus shuffle_order. */
export const continual = defineMethod({
  name: 'continual', role: 'finetune_mode', stageKind: 'continual',
  summary: 'sequential fine-tuning over the tasks (one model)',
  citation: 'FusionBench ContinualImageClassificationFineTuningForCLIP',
  schema: { type: 'object', properties: { shuffle_order: bool(true, { description: 'train the tasks in a seeded shuffle of the given order' }) }, additionalProperties: false },
});
