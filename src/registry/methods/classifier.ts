// Generic image-classification fine-tune for non-CLIP models, e.g. a ResNet
// (FusionBench config/method/classification/image_classification_finetune.yaml, seed 000).
import { defineMethod } from './MethodDef.js';
import type { Prop } from './MethodDef.js';
import { bool, int, intOrNull, num, numOrNull, oneOf } from './common.js';

/** `classifier(max_epochs | max_steps, label_smoothing, optimizer={...}, lr_scheduler={...}, ...)`. */
export const classifier = defineMethod({
  name: 'classifier', aliases: ['image_classification_finetune'], role: 'finetune', stageKind: 'finetune',
  summary: 'generic classifier fine-tune (SGD + cosine, label smoothing, epochs or steps)',
  citation: 'FusionBench ImageClassificationFineTuning (image_classification_finetune.yaml)',
  exclusive: [['max_epochs', 'max_steps']],
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      max_epochs: intOrNull(10, { minimum: 1 }),
      max_steps: intOrNull(null, { minimum: 1 }),
      label_smoothing: num(0, { minimum: 0, maximum: 1 }),
      save_top_k: int(1, { minimum: -1 }),
      save_interval: int(1, { minimum: 1 }),
      save_on_train_epoch_end: bool(true),
      training_data_ratio: numOrNull(null, { exclusiveMinimum: 0, maximum: 1 }),
      optimizer: {
        type: 'object', additionalProperties: false,
        properties: {
          name: { enum: ['sgd', 'adam', 'adamw'], default: 'sgd' },
          lr: num(0.001, { exclusiveMinimum: 0 }),
          momentum: num(0.9, { minimum: 0, maximum: 1 }),
          weight_decay: num(1e-4, { minimum: 0 }),
        },
        default: { name: 'sgd', lr: 0.001, momentum: 0.9, weight_decay: 1e-4 },
      } as Prop<{ readonly name: 'sgd' | 'adam' | 'adamw'; readonly lr: number; readonly momentum: number; readonly weight_decay: number }>,
      lr_scheduler: {
        type: 'object', additionalProperties: false,
        properties: {
          name: { enum: ['cosine', 'constant'], default: 'cosine' },
          T_max: { type: ['integer', 'null'], minimum: 1, default: null, description: 'null = max_epochs (or max_steps)' },
        },
        default: { name: 'cosine', T_max: null },
      } as Prop<{ readonly name: 'cosine' | 'constant'; readonly T_max: number | null }>,
      batch_size: int(256, { minimum: 1 }),
      num_workers: int(8, { minimum: 0 }),
      seed: int(42, { minimum: 0 }),
      devices: int(1, { minimum: 1 }),
    },
  },
});
