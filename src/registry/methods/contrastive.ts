// Contrastive image-text pretraining (Radford et al., CLIP, ICML 2021): how the bundled tiny CLIP is made.
import type { MethodDef } from './MethodDef.js';
import { int, num } from './common.js';

/** `contrastive(num_steps, batch_size, learning_rate, ...)` on captions built from the tasks' class names. */
export const contrastive: MethodDef = {
  name: 'contrastive', role: 'pretrain', stageKind: 'pretrain',
  summary: 'CLIP contrastive pretraining from random init',
  citation: 'Radford et al., Learning Transferable Visual Models From Natural Language Supervision, ICML 2021',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      num_steps: int(3000, { minimum: 1 }),
      batch_size: int(128, { minimum: 2 }),
      learning_rate: num(5e-4, { exclusiveMinimum: 0 }),
      weight_decay: num(0.1, { minimum: 0 }),
      warmup_steps: int(100, { minimum: 0 }),
      save_interval: int(500, { minimum: 1 }),
      seed: int(42, { minimum: 0 }),
      devices: int(1, { minimum: 1 }),
    },
  },
};
