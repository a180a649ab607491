// Parameter schemas shared by several methods, so a name means the same thing everywhere.
import type { JsonSchema } from './MethodDef.js';

const num = (d: number, extra: JsonSchema = {}): JsonSchema => ({ type: 'number', default: d, ...extra });
const int = (d: number, extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', default: d, ...extra });

/** FusionBench clip_finetune (seed 000): the parameters every CLIP fine-tune shares. */
export const clipFinetuneParams: { readonly [k: string]: JsonSchema } = {
  learning_rate: num(1e-5, { exclusiveMinimum: 0 }),
  weight_decay: num(0, { minimum: 0 }),
  num_steps: int(4000, { minimum: 1 }),
  batch_size: int(128, { minimum: 1 }),
  num_workers: int(16, { minimum: 0 }),
  save_interval: int(500, { minimum: 1 }),
  seed: int(42, { minimum: 0 }),
  state_dict_load_path: { type: ['string', 'null'], default: null },
  state_dict_save_path: { type: ['string', 'null'], default: null },
  skip_training: { type: 'boolean', default: false },
  head: { enum: ['zeroshot', 'linear'], default: 'zeroshot', description: "'linear' trains a linear head (ModelScope style) instead of the frozen zero-shot head" },
  devices: int(1, { minimum: 1, description: 'data-parallel worker count; moved to stage.devices, not part of params' }),
};

/** FusionBench lora_config (seed 000). */
export const loraParams: { readonly [k: string]: JsonSchema } = {
  r: int(16, { minimum: 1 }),
  lora_alpha: num(32, { exclusiveMinimum: 0 }),
  target_modules: {
    type: 'array', minItems: 1, uniqueItems: true, default: ['q_proj', 'v_proj'],
    items: { enum: ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2'] },
  },
  lora_dropout: num(0.1, { minimum: 0, exclusiveMaximum: 1 }),
  bias: { enum: ['none', 'all', 'lora_only'], default: 'none' },
};

/** TIES-merging parameters (FusionBench config/method/ties_merging.yaml). */
export const tiesParams: { readonly [k: string]: JsonSchema } = {
  scaling_factor: num(0.3),
  threshold: num(20, { exclusiveMinimum: 0, maximum: 100, description: 'keep the top threshold % of each task vector by magnitude' }),
  remove_keys: { type: 'array', items: { type: 'string' }, default: [] },
  merge_func: { enum: ['sum', 'mean', 'max'], default: 'sum' },
};

export { num, int };
