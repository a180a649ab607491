// Generic image-classification fine-tune for non-CLIP models, e.g. a ResNet
// (FusionBench config/method/classification/image_classification_finetune.yaml, seed 000).
import type { MethodDef } from './MethodDef.js';
import { int, num } from './common.js';

/** `classifier(max_epochs | max_steps, label_smoothing, optimizer={...}, lr_scheduler={...}, ...)`. */
export const classifier: MethodDef = {
  name: 'classifier', aliases: ['image_classification_finetune'], role: 'finetune', stageKind: 'finetune',
  summary: 'generic classifier fine-tune (SGD + cosine, label smoothing, epochs or steps)',
  citation: 'FusionBench ImageClassificationFineTuning (image_classification_finetune.yaml)',
  exclusive: [['max_epochs', 'max_steps']],
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      max_epochs: { type: ['integer', 'null'], minimum: 1, default: 10 },
      max_steps: { type: ['integer', 'null'], minimum: 1, default: null },
      label_smoothing: num(0, { minimum: 0, maximum: 1 }),
      save_top_k: int(1, { minimum: -1 }),
      save_interval: int(1, { minimum: 1 }),
      save_on_train_epoch_end: { type: 'boolean', default: true },
      training_data_ratio: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1, default: null },
      optimizer: {
        type: 'object', additionalProperties: false,
        properties: {
          name: { enum: ['sgd', 'adam', 'adamw'], default: 'sgd' },
          lr: num(0.001, { exclusiveMinimum: 0 }),
          momentum: num(0.9, { minimum: 0, maximum: 1 }),
          weight_decay: num(1e-4, { minimum: 0 }),
        },
        default: { name: 'sgd', lr: 0.001, momentum: 0.9, weight_decay: 1e-4 },
      },
      lr_scheduler: {
        type: 'object', additionalProperties: false,
        properties: {
          name: { enum: ['cosine', 'constant'], default: 'cosine' },
          T_max: { type: ['integer', 'null'], minimum: 1, default: null, description: 'null = max_epochs (or max_steps)' },
        },
        default: { name: 'cosine', T_max: null },
      },
      batch_size: int(256, { minimum: 1 }),
      num_workers: int(8, { minimum: 0 }),
      seed: int(42, { minimum: 0 }),
      devices: int(1, { minimum: 1 }),
    },
  },
};
