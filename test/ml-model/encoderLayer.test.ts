// The hand-written encoder-layer backward (src/ml/models/encoderLayer.ts) against tfjs autograd
// on the same model (the plain-ops path, taken when a context has an adapter hook but no LoRA
// terms), for full fine-tuning, BitFit, LoRA and L-LoRA, vision and causal text towers; and
// gradient checkpointing against no checkpointing: bit-identical gradients.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { encodeImage, encodeText, initClip, type ClipModel, type ForwardContext } from '../../src/ml/models/clip.js';
import { makeClipConfig } from '../../src/ml/models/clipConfig.js';
import { LoraAdapters } from '../../src/ml/finetune/lora.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { clipFinetuneArgs } from '../../src/registry/methods/clipFinetune.js';

/** the catalogue's LoRA configuration */
const LORA = clipFinetuneArgs('lora', {}, 'user').lora!;

const cfg = makeClipConfig({
  projection_dim: 16,
  vision: { image_size: 16, patch_size: 4, hidden_size: 24, num_hidden_layers: 2, num_attention_heads: 3, intermediate_size: 48 },
  text: { vocab_size: 40, max_position_embeddings: 9, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32 },
});

function model(): ClipModel {
  let s = 7;
  return initClip(cfg, () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; });
}

function rand(n: number, seed: number): Float32Array {
  const r = new SeededRng(seed);
  return Float32Array.from({ length: n }, () => r.next() * 2 - 1);
}

/** Gradients of a scalar loss on the image (or text) features w.r.t. `vars`. */
function grads(ctx: ForwardContext, vars: tf.Variable[], tower: 'vision' | 'text'): Float32Array[] {
  return tf.tidy(() => {
    const { grads: g } = tf.variableGrads(() => {
      let f: tf.Tensor2D;
      if (tower === 'vision') {
        const n = 3, np = 16;
        f = encodeImage(cfg, ctx, tf.tensor2d(rand(n * np * 48, 3), [n * np, 48]), n);
      } else {
        const ids = Int32Array.from([5, 9, 12, 39, 0, 0, 7, 3, 39, 0, 0, 0]);
        f = encodeText(cfg, ctx, ids, 2, 6);
      }
      return tf.sum(tf.mul(f, tf.tensor2d(rand(f.size, 11), f.shape)));
    }, vars);
    return vars.map((v) => g[v.name]!.dataSync() as Float32Array);
  });
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => { m = Math.max(m, Math.abs(v - b[i]![j]!) / (1 + Math.abs(v))); }));
  return m;
}

const noAdapter = () => undefined;

test('hand-written layer backward equals tfjs autograd: full and bitfit, vision and text', async () => {
  await initBackend('cpu');
  const m = model();
  for (const tower of ['vision', 'text'] as const) {
    for (const pick of [(k: string) => k.startsWith(`${tower}_model.`), (k: string) => k.startsWith(`${tower}_model.`) && k.endsWith('.bias')]) {
      const names = [...m.params.keys()].filter(pick);
      const set = new Set(names);
      const vars = names.map((k) => m.get(k));
      const base = { p: (n: string) => m.get(n), trainable: (n: string) => set.has(n) };
      const hand = grads(base, vars, tower);
      const auto = grads({ ...base, adapter: noAdapter }, vars, tower);
      assert.ok(maxDiff(hand, auto) < 1e-5, `${tower}: ${maxDiff(hand, auto)}`);
      assert.ok(hand.some((g) => g.some((v) => v !== 0)), 'gradients are not all zero');
    }
  }
  m.dispose();
});

test('hand-written layer backward equals tfjs autograd for LoRA and L-LoRA (with dropout masks)', async () => {
  await initBackend('cpu');
  const m = model();
  for (const linearized of [false, true]) {
    const ad = new LoraAdapters(cfg, { ...LORA, r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'fc1'] }, linearized, new SeededRng(3));
    // non-zero B so every term of the adapter gradient is exercised
    for (const x of ad.modules.values()) tf.tidy(() => x.b.assign(tf.tensor2d(rand(x.b.size, 5), x.b.shape as [number, number])));
    ad.drawDropout(3 * 17, new SeededRng(9));
    const vars = [...ad.variables().values()];
    const base = { p: (n: string) => m.get(n), trainable: () => false, adapter: ad.adapter };
    const hand = grads({ ...base, lora: ad.term }, vars, 'vision');
    const auto = grads(base, vars, 'vision');
    assert.ok(maxDiff(hand, auto) < 1e-5, `linearized=${linearized}: ${maxDiff(hand, auto)}`);
    ad.dispose();
  }
  m.dispose();
});

test('gradient checkpointing gives identical gradients (full and LoRA)', async () => {
  await initBackend('cpu');
  const m = model();
  const names = [...m.params.keys()].filter((k) => k.startsWith('vision_model.'));
  const set = new Set(names);
  const vars = names.map((k) => m.get(k));
  const base = { p: (n: string) => m.get(n), trainable: (n: string) => set.has(n) };
  const plain = grads(base, vars, 'vision');
  const ckpt = grads({ ...base, gradientCheckpointing: true }, vars, 'vision');
  assert.equal(ckpt, plain);
  const ad = new LoraAdapters(cfg, { ...LORA, r: 4 }, false, new SeededRng(3));
  ad.drawDropout(3 * 17, new SeededRng(9));
  const lctx = { p: (n: string) => m.get(n), trainable: () => false, adapter: ad.adapter, lora: ad.term };
  const lv = [...ad.variables().values()];
  assert.equal(grads({ ...lctx, gradientCheckpointing: true }, lv, 'vision'), grads(lctx, lv, 'vision'));
  ad.dispose();
  m.dispose();
});

test('a training step leaves no tensor behind, with and without checkpointing', async () => {
  await initBackend('cpu');
  const m = model();
  const names = [...m.params.keys()].filter((k) => k.startsWith('vision_model.'));
  const set = new Set(names);
  const vars = names.map((k) => m.get(k));
  for (const gc of [false, true]) {
    const ctx = { p: (n: string) => m.get(n), trainable: (n: string) => set.has(n), gradientCheckpointing: gc };
    grads(ctx, vars, 'vision');
    const before = tf.memory().numTensors;
    grads(ctx, vars, 'vision');
    assert.is(tf.memory().numTensors, before);
  }
  m.dispose();
});

test.run();
