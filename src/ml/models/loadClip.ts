// Load and save CLIP in the Hugging Face layout: a folder with config.json + model.safetensors
// (+ tokenizer files), a hub cache repo folder (models--org--name/snapshots/<rev>/), or a
// .safetensors file with config.json beside it. PyTorch pickles are refused with a fix.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SafetensorsReader, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { clipParamShapes, parseClipConfig, type ClipConfig } from './clipConfig.js';
import { ClipModel, isVisionSide, newVariable } from './clip.js';
import { PersistedFileInvalid } from '../../util/jsonFormat.js';
import { hfConfigFormat, shardIndexFormat, type HfConfig, type ShardIndex } from '../io/hfFormats.js';
import { writeFileAtomic } from '../../util/writeFileAtomic.js';

/** The model path holds no loadable weights, or weights that do not fit the config. */
export class ModelLoadError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ModelLoadError';
  }
}

/** Files besides the weights that make a model folder usable (copied on save). */
export const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'preprocessor_config.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json'] as const;

/** Buffers some HF checkpoints carry that are not parameters. */
const IGNORED = /(^|\.)position_ids$/;

/** Resolve a path to { folder, weights file }: folder, hub cache repo folder, or .safetensors file. */
export function resolveModelFiles(path: string): { dir: string; weights: string; config: string } {
  if (!existsSync(path)) throw new ModelLoadError(path, 'no such file or folder');
  if (statSync(path).isFile()) {
    if (path.endsWith('.bin') || path.endsWith('.pt') || path.endsWith('.pth')) {
      throw new ModelLoadError(path, 'PyTorch pickle checkpoints are not loaded (unsafe and need Python). Convert once: python -c "import torch; from safetensors.torch import save_file; save_file(torch.load(\'model.bin\'), \'model.safetensors\')"');
    }
    if (!path.endsWith('.safetensors')) throw new ModelLoadError(path, 'expected a .safetensors file or a model folder');
    const dir = dirname(path);
    const config = join(dir, 'config.json');
    if (!existsSync(config)) throw new ModelLoadError(path, `no config.json beside it in ${dir} (a CLIPConfig is needed to know the architecture)`);
    return { dir, weights: path, config };
  }
  let dir = path;
  const snaps = join(path, 'snapshots');
  if (!existsSync(join(dir, 'config.json')) && existsSync(snaps)) {
    const revs = readdirSync(snaps).map((r) => join(snaps, r)).filter((d) => existsSync(join(d, 'config.json')));
    if (!revs.length) throw new ModelLoadError(path, `hub cache folder has no snapshot with config.json under ${snaps}`);
    revs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    dir = revs[0]!;
  }
  const config = join(dir, 'config.json');
  if (!existsSync(config)) throw new ModelLoadError(dir, 'no config.json (expected a Hugging Face model folder)');
  const weights = join(dir, 'model.safetensors');
  // a sharded folder (Hugging Face's index; fbw writes one to complete a vision-only fine-tune with its base)
  if (!existsSync(weights) && existsSync(join(dir, INDEX_FILE))) return { dir, weights: join(dir, INDEX_FILE), config };
  if (!existsSync(weights)) {
    const bin = ['pytorch_model.bin', 'model.bin'].find((f) => existsSync(join(dir, f)));
    if (bin) throw new ModelLoadError(join(dir, bin), 'only a PyTorch pickle is present; fbw reads safetensors. Download model.safetensors (huggingface-cli download REPO model.safetensors) or convert the .bin with safetensors.torch.save_file');
    const any = readdirSync(dir).find((f) => f.endsWith('.safetensors'));
    if (any) return { dir, weights: join(dir, any), config };
    throw new ModelLoadError(dir, 'no model.safetensors in the folder');
  }
  return { dir, weights, config };
}

/** Hugging Face's index of a sharded checkpoint: tensor name -> shard file in the same folder. */
export const INDEX_FILE = 'model.safetensors.index.json';

/** Tensor name -> the reader of the shard that holds it (one reader for a single file). */
async function openWeights(weights: string): Promise<{ readers: SafetensorsReader[]; of: Map<string, SafetensorsReader> }> {
  const of = new Map<string, SafetensorsReader>();
  if (!weights.endsWith(INDEX_FILE)) {
    const r = await SafetensorsReader.open(weights);
    for (const t of r.tensors()) of.set(t.name, r);
    return { readers: [r], of };
  }
  let map: ShardIndex['weight_map'];
  try { map = (await shardIndexFormat.readAsync(weights)).weight_map; } catch (e) { throw new ModelLoadError(weights, `unreadable shard index: ${e instanceof PersistedFileInvalid ? e.reason : (e as Error).message}`); }
  const readers = new Map<string, SafetensorsReader>();
  try {
    for (const [name, file] of Object.entries(map)) {
      if (file.includes('/') || file.includes('..')) throw new ModelLoadError(weights, `shard '${file}' is not a plain file name`);
      let r = readers.get(file);
      if (!r) { r = await SafetensorsReader.open(join(dirname(weights), file)); readers.set(file, r); }
      of.set(name, r);
    }
  } catch (e) {
    for (const r of readers.values()) await r.close();
    throw e;
  }
  return { readers: [...readers.values()], of };
}

/** Read config.json as a ClipConfig. */
export async function readClipConfig(path: string): Promise<ClipConfig> {
  let raw: HfConfig;
  try { raw = await hfConfigFormat.readAsync(path); } catch (e) { throw new ModelLoadError(path, `cannot read config.json: ${e instanceof PersistedFileInvalid ? e.reason : (e as Error).message}`); }
  return parseClipConfig(raw, path);
}

/** What loadClip reads. */
export interface LoadClipOptions {
  /**
   * a loaded model and which of its tensors to use instead of reading this checkpoint's (same
   * name and shape required): the data-driven merges read only each fine-tune's vision tower and
   * share the base's text tower, ~250 MB less per ViT-B/32 member and no re-reading of it
   */
  readonly shareFrom?: { readonly model: ClipModel; readonly names: (name: string) => boolean };
  /**
   * Read only the vision side (vision tower, visual projection, logit_scale): for evaluation with
   * heads built beforehand. Every tensor's name and shape is still checked from the header.
   */
  readonly visionOnly?: boolean;
}

/**
 * Load a CLIP model (all tensors become trainable tf.Variables, float32). Each tensor is read from
 * the file straight into its final buffer: no whole-file or per-tensor intermediate copy.
 */
export async function loadClip(path: string, opts: LoadClipOptions = {}): Promise<ClipModel> {
  const { dir, weights, config: cfgPath } = resolveModelFiles(path);
  const config = await readClipConfig(cfgPath);
  const shapes = clipParamShapes(config);
  const { readers, of } = await openWeights(weights);
  const params = new Map<string, tf.Variable>();
  const borrowed = new Set<string>();
  try {
    const names = new Set(of.keys());
    const unexpected = [...names].filter((n) => !shapes.has(n) && !IGNORED.test(n));
    if (unexpected.length) throw new ModelLoadError(weights, `unexpected tensor '${unexpected[0]}'${unexpected.length > 1 ? ` (and ${unexpected.length - 1} more)` : ''}: not a CLIPModel state dict for this config.json`);
    for (const [name, shape] of shapes) {
      if (!names.has(name)) throw new ModelLoadError(weights, `missing tensor '${name}' (expected shape [${shape.join(', ')}]) — is this a full CLIPModel checkpoint matching ${cfgPath}?`);
      const reader = of.get(name)!;
      const info = reader.info(name);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new ModelLoadError(weights, `tensor '${name}' has shape [${info.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
      }
      if (opts.visionOnly && !isVisionSide(name)) continue;
      const shared = opts.shareFrom?.names(name) ? opts.shareFrom.model.params.get(name) : undefined;
      if (shared && shared.shape.length === shape.length && shared.shape.every((d, i) => d === shape[i])) {
        params.set(name, shared);
        borrowed.add(name);
        continue;
      }
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      await reader.readInto(name, data);
      params.set(name, newVariable(tf.tensor(data, [...shape]), name));
    }
  } catch (e) {
    for (const [k, v] of params) if (!borrowed.has(k)) v.dispose();
    throw e;
  } finally {
    for (const r of readers) await r.close();
  }
  return new ClipModel(config, params, dir, borrowed);
}

/** Save a state dict + config in HF layout, copying tokenizer files from `tokenizerFrom`. Atomic per file. */
export async function saveClipState(dir: string, config: ClipConfig, sd: ReadonlyMap<string, NamedTensor>, tokenizerFrom?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ordered = new Map<string, NamedTensor>();
  for (const name of clipParamShapes(config).keys()) {
    const t = sd.get(name);
    if (!t) throw new ModelLoadError(dir, `cannot save: state dict lacks tensor '${name}'`);
    ordered.set(name, t);
  }
  await writeSafetensors(join(dir, 'model.safetensors'), ordered, { format: 'pt' });
  await writeFileAtomic(join(dir, 'config.json'), JSON.stringify(config.raw, null, 2) + '\n');
  if (tokenizerFrom && tokenizerFrom !== dir) {
    for (const f of TOKENIZER_FILES) if (existsSync(join(tokenizerFrom, f))) await copyFile(join(tokenizerFrom, f), join(dir, f));
  }
}

/** Save a loaded model (weights, config, tokenizer files from where it was loaded). */
export async function saveClip(model: ClipModel, dir: string): Promise<void> {
  await saveClipState(dir, model.config, model.stateDict(), model.source);
}

/** The name of a model folder for messages. */
export function modelLabel(path: string): string {
  return basename(path.replace(/\/+$/, ''));
}
