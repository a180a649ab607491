// The tiny CLIP the data-driven merge tests share: its config, and fine-tune stand-ins made by moving
// the base's vision tensors by a seeded random task vector.
import * as tf from '@tensorflow/tfjs-core';
import { makeClipConfig } from '../../src/ml/models/clipConfig.js';
import { ClipModel, newVariable } from '../../src/ml/models/clip.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';

export const TASKS = ['synth_shapes', 'synth_colors'];
export const config = makeClipConfig({
  projection_dim: 16,
  vision: { image_size: 16, patch_size: 8, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2 },
  text: { vocab_size: 50, max_position_embeddings: 8, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2 },
});

/** base model plus a copy whose vision tensors moved by a seeded random task vector (tag keeps variable names unique) */
export function perturbed(base: ClipModel, seed: number, scale: number, tag: string): ClipModel {
  const rng = new SeededRng(seed);
  const params = new Map<string, tf.Variable>();
  for (const [k, v] of base.params) {
    const d = Float32Array.from(v.dataSync());
    if (k.startsWith('vision_model.')) for (let i = 0; i < d.length; i++) d[i] = d[i]! + (rng.next() - 0.5) * 2 * scale;
    params.set(k, newVariable(tf.tensor(d, v.shape), `${k}.${tag}${seed}`));
  }
  return new ClipModel(base.config, params);
}
