// The ResNet itself: im2col convolution and max-pool agree with tfjs's reference kernels (values and
// gradients), HF tensor names and shapes, safetensors round trip, BatchNorm train/eval behaviour.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { SafetensorsReader } from '../../src/ml/io/safetensors.js';
import { conv2d, maxPool3x3s2, forwardResNet, applyBnUpdates, initResNet, type BnUpdate } from '../../src/ml/classifier/resnet.js';
import { makeResNetConfig, resnetTensorShapes } from '../../src/ml/classifier/resnetConfig.js';
import { loadResNet, saveResNet, ResNetLoadError } from '../../src/ml/classifier/loadResNet.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { makeTinyResNet, tempDir } from './helpers.js';

const dir = tempDir('fbw-resnet-');
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

for (const [k, s] of [[3, 1], [3, 2], [7, 2], [1, 2], [1, 1]] as const) {
  test(`conv ${k}×${k} stride ${s}: values and gradients match tf.conv2d`, async () => {
    await initBackend('cpu');
    tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([4, 3, k, k], 0, 1, 'float32', 2);
      const ref = (xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, tf.transpose(ww, [2, 3, 1, 0]) as tf.Tensor4D, s, Math.floor(k / 2));
      assert.ok(maxDiff(conv2d(x, w, s, true), ref(x, w)) < 1e-4);
      const g1 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(conv2d(xx as tf.Tensor4D, ww, s, true))))([x, w]);
      const g2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(ref(xx, ww))))([x, w]);
      assert.ok(maxDiff(g1[0]!, g2[0]!) < 1e-3, 'dx');
      assert.ok(maxDiff(g1[1]!, g2[1]!) < 1e-3, 'dw');
    });
  });
}

test('max-pool 3×3/2 pad 1: values and gradients match tf.maxPool', async () => {
  await initBackend('cpu');
  tf.tidy(() => {
    const x = tf.randomNormal([2, 9, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    assert.is(maxDiff(maxPool3x3s2(x), tf.maxPool(x, 3, 2, 1)), 0);
    const g1 = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(maxPool3x3s2(xx as tf.Tensor4D))))(x);
    const g2 = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(tf.maxPool(xx as tf.Tensor4D, 3, 2, 1))))(x);
    assert.ok(maxDiff(g1, g2) < 1e-5);
  });
});

test('HF tensor names: basic and bottleneck layers, shortcuts only where shape or stride changes', () => {
  const basic = resnetTensorShapes(makeResNetConfig({ embedding_size: 8, hidden_sizes: [8, 16], depths: [2, 1], labels: ['a', 'b', 'c'] }));
  assert.equal(basic.get('resnet.embedder.embedder.convolution.weight')?.shape, [8, 3, 7, 7]);
  assert.not.ok(basic.has('resnet.encoder.stages.0.layers.0.shortcut.convolution.weight'), 'same width, stride 1: identity shortcut');
  assert.equal(basic.get('resnet.encoder.stages.1.layers.0.shortcut.convolution.weight')?.shape, [16, 8, 1, 1]);
  assert.equal(basic.get('resnet.encoder.stages.0.layers.1.layer.1.normalization.running_var')?.shape, [8]);
  assert.equal(basic.get('classifier.1.weight')?.shape, [3, 16]);
  const bott = resnetTensorShapes(makeResNetConfig({ embedding_size: 8, hidden_sizes: [16, 32], depths: [1, 1], layer_type: 'bottleneck', labels: ['a', 'b'] }));
  assert.equal(bott.get('resnet.encoder.stages.0.layers.0.layer.0.convolution.weight')?.shape, [4, 8, 1, 1]);
  assert.equal(bott.get('resnet.encoder.stages.1.layers.0.layer.1.convolution.weight')?.shape, [8, 8, 3, 3]);
  assert.equal(bott.get('resnet.encoder.stages.1.layers.0.layer.2.convolution.weight')?.shape, [32, 8, 1, 1]);
  assert.equal(bott.get('resnet.encoder.stages.0.layers.0.shortcut.normalization.num_batches_tracked')?.shape, []);
});

test('save → load round trip is exact; num_batches_tracked is int64; a wrong config is a clear error', async () => {
  const d = await makeTinyResNet(join(dir, 'rt'), 'synth_shapes', 9, { layer_type: 'bottleneck', hidden_sizes: [16, 32], depths: [1, 2] });
  const m = await loadResNet(d);
  m.batchesTracked.set('resnet.embedder.embedder', 7);
  await saveResNet(join(dir, 'rt2'), m);
  const r = await SafetensorsReader.open(join(dir, 'rt2', 'model.safetensors'));
  assert.is(r.info('resnet.embedder.embedder.normalization.num_batches_tracked').dtype, 'I64');
  assert.is((await r.read('resnet.embedder.embedder.normalization.num_batches_tracked')).data[0], 7);
  await r.close();
  const m2 = await loadResNet(join(dir, 'rt2'));
  for (const [k, t] of m.stateDict()) assert.equal(Array.from(m2.stateDict().get(k)!.data), Array.from(t.data), k);
  assert.is(m2.batchesTracked.get('resnet.embedder.embedder'), 7);
  const cfg = JSON.parse(readFileSync(join(dir, 'rt2', 'config.json'), 'utf8')) as { layer_type: string; architectures: string[] };
  assert.is(cfg.layer_type, 'bottleneck');
  assert.equal(cfg.architectures, ['ResNetForImageClassification']);
  m.dispose(); m2.dispose();
  // weights of the basic net with the bottleneck config: a ResNetLoadError naming a tensor
  const basic = await makeTinyResNet(join(dir, 'rt3'), 'synth_shapes');
  await saveResNet(basic, await loadResNet(basic));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(basic, 'config.json'), readFileSync(join(d, 'config.json')));
  try { await loadResNet(basic); assert.unreachable(); } catch (e) {
    assert.instance(e, ResNetLoadError);
    assert.match((e as Error).message, /tensor '.*'/);
  }
});

test('BatchNorm: train mode uses batch statistics and updates running ones; eval mode uses running ones', async () => {
  await initBackend('cpu');
  const rng = new SeededRng(3);
  const m = initResNet(makeResNetConfig({ embedding_size: 4, hidden_sizes: [4], depths: [1], labels: ['a', 'b'] }), () => rng.next());
  const x = tf.randomNormal([4, 16, 16, 3], 2, 3, 'float32', 4) as tf.Tensor4D;
  const rm = m.get('resnet.embedder.embedder.normalization.running_mean');
  const before = Array.from(rm.dataSync());
  const evalA = tf.tidy(() => forwardResNet(m, x, 'eval').dataSync());
  const updates: BnUpdate[] = [];
  const trainOut = tf.tidy(() => forwardResNet(m, x, 'train', updates).dataSync());
  assert.not.equal(Array.from(trainOut), Array.from(evalA), 'train mode normalises with batch statistics');
  assert.equal(Array.from(rm.dataSync()), before, 'running stats change only when updates are applied');
  tf.tidy(() => applyBnUpdates(m, updates));
  const after = rm.dataSync();
  // running_mean ← 0.9·0 + 0.1·batch mean of the stem conv output
  const conv = tf.tidy(() => tf.mean(conv2d(x, m.get('resnet.embedder.embedder.convolution.weight'), 2, false), [0, 1, 2]).dataSync());
  for (let i = 0; i < after.length; i++) assert.ok(Math.abs(after[i]! - 0.1 * conv[i]!) < 1e-5);
  assert.is(m.batchesTracked.get('resnet.embedder.embedder'), 1);
  const evalB = tf.tidy(() => forwardResNet(m, x, 'eval').dataSync());
  assert.not.equal(Array.from(evalB), Array.from(evalA), 'eval mode follows the running statistics');
  x.dispose(); m.dispose();
});

test.run();
