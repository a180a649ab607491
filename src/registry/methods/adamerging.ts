// AdaMerging (Yang et al., ICLR 2024): task-wise or layer-wise merge coefficients learned by
// entropy minimisation on unlabelled test batches (FusionBench config/method/adamerging/clip.yaml).
import { defineMethod } from './MethodDef.js';
import { bool, int, num, numListOrNull, oneOf } from './common.js';

/** `adamerging(granularity=task|layer, init_values, lr, max_steps, batch_size, ...)`. */
export const adamerging = defineMethod({
  name: 'adamerging', role: 'merge', stageKind: 'merge', needsTaskData: true,
  variants: {
    layer_wise_adamerging: { granularity: 'layer' }, clip_layer_wise_adamerging: { granularity: 'layer' },
    task_wise_adamerging: { granularity: 'task' }, clip_task_wise_adamerging: { granularity: 'task' },
  },
  summary: 'AdaMerging: learn merge coefficients by test-time entropy minimisation',
  citation: 'Yang et al., AdaMerging, ICLR 2024 (arXiv 2310.02575)',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      granularity: oneOf(['task', 'layer'], 'layer', { description: 'one coefficient per model (task) or per model and tensor (layer)' }),
      init_values: num(0.3, { description: 'initial value of every coefficient' }),
      weights: numListOrNull({ description: 'fixed coefficients (row-major [models × layers]): skip test-time adaptation' }),
      clamp_weights: bool(false, { description: 'merge with clamp(coefficients, 0, 1), as FusionBench (the coefficients themselves are not clamped)' }),
      optimizer: oneOf(['adam'], 'adam', { description: 'Adam, as FusionBench (the only one implemented)' }),
      lr: num(1e-3, { exclusiveMinimum: 0, description: 'learning rate of the coefficients' }),
      max_steps: int(1000, { minimum: 0 }),
      batch_size: int(16, { minimum: 1, description: 'unlabeled test images per task per step' }),
      num_workers: int(8, { minimum: 0 }),
      save_interval: int(100, { minimum: 1 }),
      seed: int(42, { minimum: 0, description: 'seed of the test-batch order (model i uses seed + i)' }),
      devices: int(1, { minimum: 1 }),
    },
  },
  merge: { needsBase: true, minModels: 2, model: async (a, x) => (await import('../../ml/merge/adamerging.js')).adaMerge(a, x) },
});
