// The benchmark's tiny ViT built from fbw's real CLIP vision tower (src/ml/models/clip.ts) at the
// issue's shape (32×32×3, patch 4, width 64, depth 4, 4 heads, MLP 256, quick-GELU) plus a linear
// 10-class head on the projection, trained exactly as fbw fine-tunes: tf.variableGrads through
// the model's own ops and custom gradients, then fbw's Adam (src/ml/finetune/adam.ts).
import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from '../src/ml/backend/initBackend.js';
import { encodeImage, initClip, patchify } from '../src/ml/models/clip.js';
import { makeClipConfig } from '../src/ml/models/clipConfig.js';
import { crossEntropy, matMulWT } from '../src/ml/models/ops.js';
import { Adam } from '../src/ml/finetune/adam.js';

export interface ClipVitBench {
  readonly params: number;
  /** one training step on (images NHWC [n,32,32,3], labels); returns the loss */
  step(images: Float32Array, labels: Int32Array, n: number): number;
  /** logits for images NHWC [n,32,32,3] (inference) */
  infer(images: Float32Array, n: number): void;
  dispose(): void;
}

/** Builds the CLIP-tower bench model, or throws when fbw's model code is not usable yet. */
export async function makeClipVitBench(seed = 1): Promise<ClipVitBench> {
  await registerGradients();
  const cfg = makeClipConfig({
    projection_dim: 64,
    vision: { image_size: 32, patch_size: 4, hidden_size: 64, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 256 },
    text: { vocab_size: 64, max_position_embeddings: 8, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 16 },
  });
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const model = initClip(cfg, rand);
  const vars = new Map<string, tf.Variable>();
  for (const [k, v] of model.params) if (k.startsWith('vision_model.') || k === 'visual_projection.weight') vars.set(k, v);
  const head0 = tf.randomNormal([10, 64], 0, 0.02, 'float32', seed);
  const head = tf.variable(head0, true, `bench.head#${seed}`);
  head0.dispose();
  vars.set('head', head);
  const adam = new Adam(vars, { learningRate: 1e-3 });
  const ctx = { p: (n: string) => model.get(n), trainable: (n: string) => vars.has(n) };
  const varList = [...vars.values()];
  const keyOf = new Map([...vars].map(([k, v]) => [v.name, k]));
  const g = 32 / 4;
  const logits = (images: Float32Array, n: number): tf.Tensor2D => {
    const pt = tf.tensor2d(patchify(images, n, 32, 4), [n * g * g, 48]);
    return matMulWT(encodeImage(cfg, ctx, pt, n), head);
  };
  return {
    params: varList.reduce((a, v) => a + v.size, 0),
    step(images, labels, n) {
      const lossT = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(logits(images, n), labels), varList);
        const byKey = new Map<string, tf.Tensor>();
        for (const [name, gr] of Object.entries(grads)) byKey.set(keyOf.get(name)!, gr);
        adam.apply(byKey, 1e-3);
        return value;
      });
      const loss = lossT.dataSync()[0]!;
      lossT.dispose();
      return loss;
    },
    infer(images, n) {
      tf.tidy(() => { logits(images, n).dataSync(); });
    },
    dispose() {
      adam.dispose();
      head.dispose();
      model.dispose();
    },
  };
}
