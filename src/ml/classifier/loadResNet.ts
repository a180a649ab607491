// Load and save ResNetForImageClassification in the Hugging Face layout: config.json +
// model.safetensors with HF tensor names (BatchNorm num_batches_tracked as int64 scalars, as
// PyTorch writes them), plus preprocessor_config.json when present (its size picks the input size).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsReader, SafetensorsWriter } from '../io/safetensors.js';
import { newVariable } from '../models/clip.js';
import { ResNetModel } from './resnet.js';
import { parseResNetConfig, resnetTensorShapes, type ResNetConfig } from './resnetConfig.js';
import { PersistedFileInvalid } from '../../util/jsonFormat.js';
import { hfConfigFormat, preprocessorConfigFormat, type HfConfig } from '../io/hfFormats.js';
import { writeFileAtomic } from '../../util/writeFileAtomic.js';

/** The folder is not a loadable ResNet: names the file/tensor and how to fix it. */
export class ResNetLoadError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ResNetLoadError';
  }
}

/** Read `dir/config.json` as a ResNetConfig. */
export async function readResNetConfig(dir: string): Promise<ResNetConfig> {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) throw new ResNetLoadError(dir, 'no config.json (expected a Hugging Face ResNetForImageClassification folder)');
  let raw: HfConfig;
  try { raw = await hfConfigFormat.readAsync(p); } catch (e) { throw new ResNetLoadError(p, `cannot parse: ${e instanceof PersistedFileInvalid ? e.reason : (e as Error).message}`); }
  return parseResNetConfig(raw, p);
}

/** Input image size of a model folder: preprocessor_config.json crop_size / size, else 224 (HF's default). */
export async function resnetImageSize(dir: string): Promise<number> {
  const p = join(dir, 'preprocessor_config.json');
  if (!existsSync(p)) return 224;
  const j = await preprocessorConfigFormat.readAsync(p);
  for (const v of [j.crop_size, j.size]) {
    if (typeof v === 'number') return v;
    const side = v?.height ?? v?.shortest_edge;
    if (side !== undefined) return side;
  }
  return 224;
}

/** Load a ResNet folder; every tensor becomes a tf.Variable (float32). */
export async function loadResNet(dir: string): Promise<ResNetModel> {
  const config = await readResNetConfig(dir);
  const weights = join(dir, 'model.safetensors');
  if (!existsSync(weights)) throw new ResNetLoadError(dir, 'no model.safetensors (PyTorch .bin checkpoints are not read; convert with safetensors.torch.save_file)');
  const shapes = resnetTensorShapes(config);
  const reader = await SafetensorsReader.open(weights);
  const params = new Map<string, tf.Variable>();
  const running = new Map<string, tf.Variable>();
  const counts = new Map<string, number>();
  try {
    const names = new Set(reader.tensors().map((t) => t.name));
    const unexpected = [...names].filter((n) => !shapes.has(n));
    if (unexpected.length) throw new ResNetLoadError(weights, `unexpected tensor '${unexpected[0]}'${unexpected.length > 1 ? ` (and ${unexpected.length - 1} more)` : ''}: not a ResNetForImageClassification state dict for this config.json`);
    for (const [name, { shape, role }] of shapes) {
      if (role === 'count') {
        const prefix = name.slice(0, -'.normalization.num_batches_tracked'.length);
        counts.set(prefix, names.has(name) ? (await reader.read(name)).data[0]! : 0);
        continue;
      }
      if (!names.has(name)) throw new ResNetLoadError(weights, `missing tensor '${name}' (shape [${shape.join(', ')}]) — does config.json match the weights?`);
      const info = reader.info(name);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new ResNetLoadError(weights, `tensor '${name}' has shape [${info.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
      }
      const t = await reader.read(name);
      (role === 'param' ? params : running).set(name, newVariable(tf.tensor(t.data, shape), name));
    }
  } catch (e) {
    for (const v of [...params.values(), ...running.values()]) v.dispose();
    throw e;
  } finally {
    await reader.close();
  }
  return new ResNetModel(config, params, running, counts, dir);
}

/** Save weights + config.json (+ preprocessor_config.json copied from `copyFrom`), each file atomically. */
export async function saveResNet(dir: string, model: ResNetModel, copyFrom?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const shapes = resnetTensorShapes(model.config);
  const specs = [...shapes].map(([name, s]) => ({ name, shape: s.shape, ...(s.role === 'count' ? { dtype: 'I64' as const } : {}) }));
  const w = await SafetensorsWriter.create(join(dir, 'model.safetensors'), specs, { format: 'pt' });
  try {
    for (const [name, s] of shapes) {
      if (s.role === 'count') {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(BigInt(model.batchesTracked.get(name.slice(0, -'.normalization.num_batches_tracked'.length)) ?? 0));
        await w.writeBytes(name, b);
      } else {
        await w.write(name, model.get(name).dataSync() as Float32Array);
      }
    }
    await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
  await writeFileAtomic(join(dir, 'config.json'), JSON.stringify(model.config.raw, null, 2) + '\n');
  if (copyFrom && copyFrom !== dir && existsSync(join(copyFrom, 'preprocessor_config.json'))) {
    await copyFile(join(copyFrom, 'preprocessor_config.json'), join(dir, 'preprocessor_config.json'));
  }
}

/** Write a preprocessor_config.json (HF ConvNextImageProcessor shape) for `size`×`size` inputs. */
export async function writeResNetPreprocessor(dir: string, size: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'preprocessor_config.json'), JSON.stringify({
    image_processor_type: 'ConvNextImageProcessor', do_resize: true, do_normalize: true, crop_pct: 1,
    size: { shortest_edge: size }, resample: 3,
    image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711],
  }, null, 2) + '\n');
}
