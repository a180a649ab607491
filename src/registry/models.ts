// Built-in model names. Resolution to files on disk (HF cache, $FBW_DATA, models/clip-tiny) is the
// engine's job; the language only needs names, Hugging Face repo ids and architecture ids.
import { existsSync, statSync } from 'node:fs';
import { hfConfigFormat } from '../ml/io/hfFormats.js';
import { dirname, join } from 'node:path';
import { BUILTIN_POOLS } from './datasets.js';

/** A model the language knows by name. */
export interface BuiltinModel {
  readonly name: string;
  /** Hugging Face repo id (for the hub cache layout), or the bundled folder for clip-tiny */
  readonly repo: string;
  /** architecture id: models with equal ids can be merged */
  readonly architecture: string;
  readonly family: 'clip';
  readonly description: string;
}

/** Every model a workflow can name without declaring it. */
export const BUILTIN_MODELS: readonly BuiltinModel[] = [
  { name: 'clip', repo: 'openai/clip-vit-base-patch32', architecture: 'clip-vit-b32', family: 'clip', description: 'CLIP ViT-B/32' },
  { name: 'clip-b16', repo: 'openai/clip-vit-base-patch16', architecture: 'clip-vit-b16', family: 'clip', description: 'CLIP ViT-B/16' },
  { name: 'clip-l14', repo: 'openai/clip-vit-large-patch14', architecture: 'clip-vit-l14', family: 'clip', description: 'CLIP ViT-L/14' },
  { name: 'clip-tiny', repo: 'models/clip-tiny', architecture: 'clip-tiny', family: 'clip', description: 'the bundled tiny CLIP (32px, 4 layers, width 64), pretrained on the first eight local tasks' },
  { name: 'clip-tiny-local12', repo: 'models/clip-tiny-local12', architecture: 'clip-tiny', family: 'clip', description: 'the bundled tiny CLIP pretrained on all twelve local tasks (LOCAL12): the base of the LOCAL8 merge table' },
];

/** Alternative spellings users type (FusionBench / Hugging Face names). */
export const MODEL_ALIASES: { readonly [alias: string]: string } = {
  'clip-b32': 'clip',
  'clip-vit-base-patch32': 'clip',
  'clip-vit-base-patch16': 'clip-b16',
  'clip-vit-large-patch14': 'clip-l14',
};

const byName = new Map(BUILTIN_MODELS.map((m) => [m.name, m] as const));

/** Built-in model by name or alias. */
export function findBuiltinModel(name: string): BuiltinModel | undefined {
  return byName.get(MODEL_ALIASES[name] ?? name);
}

/** The built-in models as the engine's model resolution takes them (find by name or alias; list the names). */
export const BUILTIN_MODEL_TABLE = { find: findBuiltinModel, names: (): readonly string[] => BUILTIN_MODELS.map((m) => m.name) };

/** Every spelling that resolves, for did-you-mean. */
export function modelNames(): string[] {
  return [...byName.keys(), ...Object.keys(MODEL_ALIASES)];
}

/** Architecture id of a Hugging Face ResNetForImageClassification folder (a plain classifier: no text tower, no zero-shot heads). */
export const RESNET_ARCHITECTURE = 'resnet';

/**
 * Architecture id of a declared model read from its config.json at compile time (the folder, or the
 * config.json beside a .safetensors file): RESNET_ARCHITECTURE when `model_type` is "resnet", else
 * undefined (a CLIP, or a path that does not exist yet: the pretrained stage reports that when it runs).
 */
export function modelFolderArchitecture(path: string): string | undefined {
  try {
    const cfg = existsSync(path) && statSync(path).isDirectory() ? join(path, 'config.json') : join(dirname(path), 'config.json');
    if (!existsSync(cfg)) return undefined;
    return hfConfigFormat.read(cfg).model_type === 'resnet' ? RESNET_ARCHITECTURE : undefined;
  } catch {
    return undefined;
  }
}

/** A published pool of fine-tuned models (FusionBench's CLIPVisionModelPool configs): one
 *  Hugging Face repo per task, all fine-tuned from `base`. */
export interface BuiltinModelPool {
  readonly name: string;
  /** built-in model every member was fine-tuned from */
  readonly base: string;
  /** canonical task name -> Hugging Face repo id, in FusionBench's order */
  readonly members: { readonly [task: string]: string };
}

/** FusionBench names its fine-tunes `tanganke/<base repo name>_<task>`, spelling a task as its
 *  data set configs do; only these two differ from fbw's canonical task names. */
const FUSIONBENCH_TASK_SPELLING: { readonly [canonical: string]: string } = { stanford_cars: 'stanford-cars', rendered_sst2: 'rendered-sst2' };

/** The task sets FusionBench publishes a fine-tune of every member for, per ViT size
 *  (config/modelpool/CLIPVisionModelPool/clip-vit-{base-patch32,base-patch16,large-patch14}_{TA8,TALL14,TALL20}.yaml). */
const PUBLISHED_POOLS = ['TA8', 'TALL14', 'TALL20'] as const;

function publishedPools(taskPools: { readonly [name: string]: readonly string[] }): BuiltinModelPool[] {
  const out: BuiltinModelPool[] = [];
  for (const m of BUILTIN_MODELS) {
    if (!m.repo.startsWith('openai/')) continue;
    const repoName = m.repo.slice('openai/'.length);
    for (const p of PUBLISHED_POOLS) {
      const members: { [task: string]: string } = {};
      for (const t of taskPools[p]!) members[t] = `tanganke/${repoName}_${FUSIONBENCH_TASK_SPELLING[t] ?? t}`;
      out.push({ name: `${repoName}_${p}`, base: m.name, members });
    }
  }
  return out;
}

/** Every model pool a workflow can name without declaring it (`models ft = clip-vit-base-patch32_TA8`). */
export const BUILTIN_MODEL_POOLS: readonly BuiltinModelPool[] = publishedPools(BUILTIN_POOLS);

const poolByName = new Map(BUILTIN_MODEL_POOLS.map((p) => [p.name, p] as const));

/** Built-in model pool by name. */
export function findBuiltinModelPool(name: string): BuiltinModelPool | undefined {
  return poolByName.get(name);
}
