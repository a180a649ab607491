// Contrastive image-text pretraining (Radford et al., CLIP, ICML 2021): how the bundled tiny CLIP is made.
// Defaults equal the direct script's (node dist/src/cli/scripts/pretrain.js with no flags), so a
// workflow and the script given the same settings produce the same weights bit for bit.
import { defineMethod } from './MethodDef.js';
import { int, intOrNull, num } from './common.js';
import { MIN_BPE_VOCAB_SIZE } from '../../ml/text/tokenizer.js';

/** `contrastive(num_steps, batch_size, learning_rate, warmup_steps, seed, ...)` on captions built from the tasks' class names. */
export const contrastive = defineMethod({
  name: 'contrastive', role: 'pretrain', stageKind: 'pretrain',
  summary: 'CLIP contrastive pretraining (from random init for a built-in name, else continuing from the given model)',
  citation: 'Radford et al., Learning Transferable Visual Models From Natural Language Supervision, ICML 2021',
  schema: {
    type: 'object', additionalProperties: false,
    properties: {
      num_steps: int(600, { minimum: 1 }),
      batch_size: int(128, { minimum: 2 }),
      learning_rate: num(5e-4, { exclusiveMinimum: 0 }),
      weight_decay: num(0, { minimum: 0, description: 'decoupled (AdamW) weight decay' }),
      warmup_steps: intOrNull(null, { minimum: 0, description: 'linear warm-up steps before the cosine decay; null = 5% of num_steps' }),
      save_interval: int(100, { minimum: 1 }),
      seed: int(42, { minimum: 0, description: 'seeds the random init and the data/caption sampling' }),
      vocab_size: int(1024, { minimum: MIN_BPE_VOCAB_SIZE, description: 'BPE vocabulary learned on the captions (random init only; a continued model keeps its tokenizer)' }),
      width: int(64, { minimum: 16, maximum: 1024, multipleOf: 4, description: 'hidden size of both towers and the projection (random init only): 4 attention heads, MLP 4 × width' }),
      vision_layers: int(4, { minimum: 1, maximum: 24, description: 'vision transformer layers (random init only; the text tower keeps 2)' }),
      max_train: intOrNull(null, { minimum: 1, description: 'use only the first N training images of each task; null = all' }),
      devices: int(1, { minimum: 1 }),
    },
  },
});
