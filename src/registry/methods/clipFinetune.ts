// A CLIP fine-tune's arguments as ml's finetuneClip takes them (every value resolved), from the
// catalogue's schemas of full / lora / l_lora / bitfit: the only place their defaults live.
import type { Json } from '../../util/json.js';
import type { FinetuneHyper, FinetuneMethod } from '../../ml/finetune/finetuneClip.js';
import type { MethodDef } from './MethodDef.js';
import { full } from './full.js';
import { lora } from './lora.js';
import { l_lora } from './l_lora.js';
import { bitfit } from './bitfit.js';
import { argsOfStage, resolveArgs } from './resolve.js';

/** The catalogue entry of each CLIP fine-tune method. */
export const CLIP_FINETUNE_METHODS: { readonly [M in FinetuneMethod]: MethodDef<typeof full.schema.properties & Partial<typeof lora.schema.properties>> } = { full, lora, l_lora, bitfit };

/** Their names, in catalogue order. */
export const CLIP_FINETUNE_NAMES = Object.keys(CLIP_FINETUNE_METHODS) as FinetuneMethod[];

/** The resolved, required arguments of one CLIP fine-tune (what finetuneClip takes besides its hooks). */
export interface ClipFinetuneArgs extends FinetuneHyper {
  readonly method: FinetuneMethod;
  readonly head: 'zeroshot' | 'linear';
  readonly state_dict_load_path: string | null;
  readonly state_dict_save_path: string | null;
  readonly skip_training: boolean;
}

/** Is `name` one of the CLIP fine-tune methods? */
export function isClipFinetune(name: string): name is FinetuneMethod {
  return Object.hasOwn(CLIP_FINETUNE_METHODS, name);
}

/**
 * The arguments of `method` from `params`: a stage's params, which the compiler resolved from this
 * catalogue (`from: 'stage'`: a missing or ill-typed value is a defect), or a caller's values laid
 * over the catalogue's defaults (`from: 'user'`: unknown or invalid values are a MethodParamError).
 */
export function clipFinetuneArgs(method: FinetuneMethod, params: { readonly [k: string]: Json }, from: 'stage' | 'user'): ClipFinetuneArgs {
  const common = from === 'stage' ? argsOfStage(full, params) : resolveArgs(full, pick(params, full.schema.properties));
  const withLora = method === 'lora' || method === 'l_lora';
  const def = CLIP_FINETUNE_METHODS[method];
  if (from === 'user') resolveArgs(def, params); // unknown names and bad values are reported against the method itself
  const l = withLora ? (from === 'stage' ? argsOfStage(lora, params) : resolveArgs(lora, params)) : undefined;
  return {
    method, head: common.head,
    learning_rate: common.learning_rate, weight_decay: common.weight_decay, num_steps: common.num_steps,
    batch_size: common.batch_size, save_interval: common.save_interval, seed: common.seed,
    state_dict_load_path: common.state_dict_load_path, state_dict_save_path: common.state_dict_save_path, skip_training: common.skip_training,
    lora: l ? { r: l.r, lora_alpha: l.lora_alpha, target_modules: l.target_modules, lora_dropout: l.lora_dropout, bias: l.bias } : null,
  };
}

function pick(p: { readonly [k: string]: Json }, props: object): { [k: string]: Json } {
  return Object.fromEntries(Object.entries(p).filter(([k]) => k in props));
}
