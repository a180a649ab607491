// AdaMerging (Yang et al., ICLR 2024): task-wise or layer-wise merge coefficients learned by
// entropy minimisation on unlabelled test batches (FusionBench config/method/adamerging/clip.yaml).
import type { MethodDef } from './MethodDef.js';
import { int, num } from './common.js';

/** `adamerging(granularity=task|layer, init_values, lr, max_steps, batch_size, ...)`. */
export const adamerging: MethodDef = {
  name: 'adamerging', role: 'merge', stageKind: 'merge', needsTaskData: true,
  summary: 'AdaMerging: learn merge coefficients by test-time entropy minimisation',
  citation: 'Yang et al., AdaMerging, ICLR 2024',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      granularity: { enum: ['task', 'layer'], default: 'layer' },
      init_values: num(0.3),
      weights: { type: ['array', 'null'], items: { type: 'number' }, default: null, description: 'fixed coefficients: skip test-time adaptation' },
      clamp_weights: { type: 'boolean', default: false },
      optimizer: { enum: ['adam', 'sgd'], default: 'adam' },
      lr: num(1e-3, { exclusiveMinimum: 0 }),
      max_steps: int(1000, { minimum: 1 }),
      batch_size: int(16, { minimum: 1 }),
      num_workers: int(8, { minimum: 0 }),
      save_interval: int(100, { minimum: 1 }),
      seed: int(42, { minimum: 0 }),
      devices: int(1, { minimum: 1 }),
    },
  },
};
