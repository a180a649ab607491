// Built-in model names. Resolution to files on disk (HF cache, $FBW_DATA, models/clip-tiny) is the
// engine's job; the language only needs names, Hugging Face repo ids and architecture ids.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
  { name: 'clip-tiny', repo: 'models/clip-tiny', architecture: 'clip-tiny', family: 'clip', description: 'the bundled tiny CLIP (32px, 4 layers, width 64)' },
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
    const c = JSON.parse(readFileSync(cfg, 'utf8')) as { model_type?: unknown };
    return c.model_type === 'resnet' ? RESNET_ARCHITECTURE : undefined;
  } catch {
    return undefined;
  }
}
