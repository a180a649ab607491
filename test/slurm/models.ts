// Small real model folders (config.json + model.safetensors) for the end-to-end SLURM tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type NamedTensor } from '../../src/ml/io/safetensors.js';

/** A model folder in the Hugging Face layout with deterministic weights from `seed`. */
export async function modelDir(dir: string, seed: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  let s = seed >>> 0 || 1;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
  const t = (shape: number[]): NamedTensor => { const d = new Float32Array(shape.reduce((a, b) => a * b, 1)); for (let i = 0; i < d.length; i++) d[i] = rnd(); return { shape, data: d }; };
  await writeSafetensors(join(dir, 'model.safetensors'), new Map([
    ['vision_model.encoder.layers.0.self_attn.q_proj.weight', t([8, 8])],
    ['visual_projection.weight', t([4, 8])],
  ]));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'clip', projection_dim: 4, vision_config: { hidden_size: 8 } }));
  return dir;
}
