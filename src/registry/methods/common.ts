// Parameter schemas shared by several methods, so a name means the same thing everywhere, and the
// typed builders every method file writes its schema with (each carries its value's type, so a
// method's argument type is derived from its schema: ArgsOf in MethodDef.ts).
import type { JsonSchema, Prop } from './MethodDef.js';

/** a number (default d) */
export const num = (d: number, extra: JsonSchema = {}): Prop<number> => ({ type: 'number', default: d, ...extra });
/** an integer (default d) */
export const int = (d: number, extra: JsonSchema = {}): Prop<number> => ({ type: 'integer', default: d, ...extra });
/** an integer or null */
export const intOrNull = (d: number | null, extra: JsonSchema = {}): Prop<number | null> => ({ type: ['integer', 'null'], default: d, ...extra });
/** a number or null */
export const numOrNull = (d: number | null, extra: JsonSchema = {}): Prop<number | null> => ({ type: ['number', 'null'], default: d, ...extra });
/** true or false */
export const bool = (d: boolean, extra: JsonSchema = {}): Prop<boolean> => ({ type: 'boolean', default: d, ...extra });
/** a string */
export const str = (d: string, extra: JsonSchema = {}): Prop<string> => ({ type: 'string', default: d, ...extra });
/** a string or null */
export const strOrNull = (d: string | null, extra: JsonSchema = {}): Prop<string | null> => ({ type: ['string', 'null'], default: d, ...extra });
/** one of a few words */
export const oneOf = <const T extends string>(values: readonly T[], d: NoInfer<T>, extra: JsonSchema = {}): Prop<T> => ({ enum: values, default: d, ...extra });
/** a list of strings */
export const strList = (d: readonly string[], extra: JsonSchema = {}): Prop<readonly string[]> => ({ type: 'array', items: { type: 'string' }, default: d, ...extra });
/** a list of numbers, or null */
export const numListOrNull = (extra: JsonSchema = {}): Prop<readonly number[] | null> => ({ type: ['array', 'null'], items: { type: 'number' }, default: null, ...extra });

/** FusionBench clip_finetune (seed 000): the parameters every CLIP fine-tune shares. */
export const clipFinetuneParams = {
  learning_rate: num(1e-5, { exclusiveMinimum: 0 }),
  weight_decay: num(0, { minimum: 0 }),
  num_steps: int(4000, { minimum: 1 }),
  batch_size: int(128, { minimum: 1 }),
  num_workers: int(16, { minimum: 0 }),
  save_interval: int(500, { minimum: 1 }),
  seed: int(42, { minimum: 0 }),
  state_dict_load_path: strOrNull(null),
  state_dict_save_path: strOrNull(null),
  skip_training: bool(false),
  head: oneOf(['zeroshot', 'linear'], 'zeroshot', { description: "'linear' trains a linear head (ModelScope style) instead of the frozen zero-shot head" }),
  devices: int(1, { minimum: 1, description: 'data-parallel worker count; moved to stage.devices, not part of params' }),
  gradient_checkpointing: bool(false, { description: "activation checkpointing (Hugging Face's name): keep only each encoder layer's input and recompute the layer in the backward pass — less memory, about one more forward pass of compute, identical gradients" }),
};

/** The LoRA target modules of a CLIP encoder layer. */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2'] as const;

/** FusionBench lora_config (seed 000). */
export const loraParams = {
  r: int(16, { minimum: 1 }),
  lora_alpha: num(32, { exclusiveMinimum: 0 }),
  target_modules: {
    type: 'array', minItems: 1, uniqueItems: true, default: ['q_proj', 'v_proj'],
    items: { enum: LORA_TARGETS },
  } as Prop<readonly (typeof LORA_TARGETS)[number][]>,
  lora_dropout: num(0.1, { minimum: 0, exclusiveMaximum: 1 }),
  bias: oneOf(['none', 'all', 'lora_only'], 'none'),
};

/** task arithmetic's λ (shared by TIES and DARE) */
export const scalingFactor = { scaling_factor: num(0.3, { description: 'λ multiplying the summed task vectors' }) };

/** TIES-merging parameters (FusionBench config/method/ties_merging.yaml). */
export const tiesParams = {
  ...scalingFactor,
  threshold: num(20, { exclusiveMinimum: 0, maximum: 100, description: 'percent of each task vector kept (top by magnitude over the whole model; FusionBench reads values ≤ 1 as fractions)' }),
  remove_keys: strList([], { description: 'tensors left at the pretrained value and excluded from the top-k statistic' }),
  merge_func: oneOf(['sum', 'mean', 'max'], 'sum', { description: 'how agreeing entries are combined' }),
};

/** 0.2 → 20, without float noise (0.2 * 100 = 20.000000000000004) */
export const fractionToPercent = (v: unknown): number => Number((Number(v) * 100).toPrecision(12));

/** Aliases of λ: the TIES / task-arithmetic papers write λ, mergekit users `scale`. */
export const scalingAliases = {
  scale: { to: 'scaling_factor', schema: { type: 'number', description: 'scale is another name of scaling_factor' }, doc: 'another name of scaling_factor' },
  lambda: { to: 'scaling_factor', schema: { type: 'number', description: 'lambda is another name of scaling_factor' }, doc: 'another name of scaling_factor' },
};

/** Aliases of TIES's threshold: k (the TIES paper's top-k, as a fraction kept) and mergekit's density. */
export const thresholdAliases = {
  k: { to: 'threshold', schema: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'k is the fraction of each task vector kept: k=0.2 is threshold=20 (percent)' }, convert: fractionToPercent, doc: 'fraction of each task vector kept: k=0.2 is threshold=20 (percent)' },
  density: { to: 'threshold', schema: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: "density (mergekit's name) is the fraction kept: density=0.2 is threshold=20 (percent)" }, convert: fractionToPercent, doc: "mergekit's density, the fraction kept: density=0.2 is threshold=20 (percent)" },
};
