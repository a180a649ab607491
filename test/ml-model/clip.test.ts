import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { loadClip, saveClip, ModelLoadError } from '../../src/ml/models/loadClip.js';
import { readSafetensors, writeSafetensors } from '../../src/ml/io/safetensors.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { readHead, writeHead } from '../../src/ml/heads/head.js';
import { classify, evaluate } from '../../src/ml/eval/evaluate.js';
import { loadTask } from '../../src/ml/data/index.js';
import { gatherRows, matMulWT, batchMatMul } from '../../src/ml/models/ops.js';
import { makeRandomClip, tempDir } from './helpers.js';

const dir = tempDir();

async function rejects(f: () => Promise<unknown>, check: RegExp | ((e: Error) => boolean)): Promise<void> {
  try { await f(); } catch (e) {
    const ok = check instanceof RegExp ? check.test((e as Error).message) : check(e as Error);
    assert.ok(ok, `unexpected error: ${(e as Error).message}`);
    return;
  }
  assert.unreachable('expected a rejection');
}
const modelDir = join(dir, 'model');

test.before(async () => {
  await initBackend('cpu');
  await makeRandomClip(modelDir);
});

test('save → load round-trip gives identical tensors and identical bytes', async () => {
  const a = await loadClip(modelDir);
  const out = join(dir, 'copy');
  await saveClip(a, out);
  const b = await loadClip(out);
  assert.is(b.params.size, a.params.size);
  for (const [k, v] of a.params) {
    const x = v.dataSync(), y = b.get(k).dataSync();
    assert.equal(b.get(k).shape, v.shape, k);
    assert.ok(x.every((e, i) => Object.is(e, y[i])), `tensor ${k} differs`);
  }
  assert.ok(readFileSync(join(modelDir, 'model.safetensors')).equals(readFileSync(join(out, 'model.safetensors'))));
  assert.ok(readFileSync(join(out, 'vocab.json')).length > 0, 'tokenizer files copied');
  a.dispose(); b.dispose();
});

test('evaluation reads only the vision side: vision-only load and released text tower give the same logits', async () => {
  const ds = await loadTask('synth_shapes', 'test', { maxExamples: 8 });
  const full = await loadClip(modelDir);
  const head = buildZeroshotHead(full, await tokenizerFor(full), ds.name, ds.classnames, ds.templates);
  const b = ds.batch([0, 1, 2, 3, 4, 5, 6, 7], 32);
  const want = tf.tidy(() => classify(full, head, b.x, b.n)).dataSync();
  const vision = await loadClip(modelDir, { visionOnly: true });
  assert.ok([...vision.params.keys()].every((k) => !k.startsWith('text_model.') && k !== 'text_projection.weight'), 'no text tensor read');
  assert.ok(vision.params.size < full.params.size);
  full.releaseTextTower();
  assert.equal([...full.params.keys()].sort(), [...vision.params.keys()].sort());
  for (const m of [vision, full]) {
    const got = tf.tidy(() => classify(m, head, b.x, b.n)).dataSync();
    assert.ok(got.every((e, i) => Object.is(e, want[i])), 'logits differ');
  }
  vision.dispose(); full.dispose();
});

test('an HF-layout checkpoint loads from a folder, a hub cache snapshot and a .safetensors path, and predicts', async () => {
  const hub = join(dir, 'hub', 'models--test--tiny-clip');
  const snap = join(hub, 'snapshots', '0123abcd');
  mkdirSync(snap, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) copyFileSync(join(modelDir, f), join(snap, f));
  const ds = await loadTask('synth_shapes', 'test', { maxExamples: 16 });
  const preds: number[][] = [];
  for (const path of [modelDir, hub, join(modelDir, 'model.safetensors')]) {
    const m = await loadClip(path);
    const head = buildZeroshotHead(m, await tokenizerFor(m), ds.name, ds.classnames, ds.templates);
    assert.is(head.numClasses, ds.classnames.length);
    for (let c = 0; c < head.numClasses; c++) {
      let n = 0;
      for (let j = 0; j < head.dim; j++) n += head.weight[c * head.dim + j]! ** 2;
      assert.ok(Math.abs(n - 1) < 1e-4, 'head rows are unit norm');
    }
    const b = ds.batch([0, 1, 2, 3, 4, 5, 6, 7], 32);
    const probs = tf.tidy(() => tf.softmax(classify(m, head, b.x, b.n)));
    assert.equal(probs.shape, [8, ds.classnames.length]);
    const p = probs.dataSync();
    for (let i = 0; i < 8; i++) {
      let s = 0;
      for (let c = 0; c < head.numClasses; c++) s += p[i * head.numClasses + c]!;
      assert.ok(Math.abs(s - 1) < 1e-4);
    }
    preds.push([...p]);
    probs.dispose();
    m.dispose();
  }
  assert.equal(preds[1], preds[0]);
  assert.equal(preds[2], preds[0]);
});

test('head artifact round-trips and evaluation reports accuracy and loss', async () => {
  const m = await loadClip(modelDir);
  const ds = await loadTask('synth_colors', 'test', { maxExamples: 40 });
  const head = buildZeroshotHead(m, await tokenizerFor(m), ds.name, ds.classnames, ds.templates);
  await writeHead(join(dir, 'head'), head);
  const h2 = await readHead(join(dir, 'head'));
  assert.equal([...h2.weight], [...head.weight]);
  assert.equal(h2.classnames, head.classnames);
  const r = evaluate(m, h2, ds, { batchSize: 16 });
  assert.is(r.n, 40);
  assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
  assert.ok(r.loss > 0 && Number.isFinite(r.loss));
  m.dispose();
});

test('a PyTorch pickle is refused with a fix, a shape mismatch names the tensor', async () => {
  const bad = join(dir, 'pickle');
  mkdirSync(bad, { recursive: true });
  copyFileSync(join(modelDir, 'config.json'), join(bad, 'config.json'));
  writeFileSync(join(bad, 'pytorch_model.bin'), Buffer.from([0x80, 0x02, 0x7d, 0x71]));
  await rejects(() => loadClip(bad), (e: Error) => e instanceof ModelLoadError && /pickle/.test(e.message) && /safetensors/.test(e.message));
  await rejects(() => loadClip(join(bad, 'pytorch_model.bin')), /pickle/);

  const wrong = join(dir, 'wrong');
  mkdirSync(wrong, { recursive: true });
  copyFileSync(join(modelDir, 'config.json'), join(wrong, 'config.json'));
  const sd = await readSafetensors(join(modelDir, 'model.safetensors'));
  sd.set('visual_projection.weight', { shape: [7, 32], data: new Float32Array(7 * 32) });
  await writeSafetensors(join(wrong, 'model.safetensors'), sd);
  await rejects(() => loadClip(wrong), /visual_projection\.weight.*shape \[7, 32\]/);
  sd.delete('visual_projection.weight');
  await writeSafetensors(join(wrong, 'model.safetensors'), sd);
  await rejects(() => loadClip(wrong), /missing tensor 'visual_projection\.weight'/);
});

test('custom-gradient ops match tfjs autodiff', () => {
  tf.tidy(() => {
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1), w = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
    const f1 = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(matMulWT(a, b)));
    const f2 = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true)));
    const [g1, g2] = [tf.grads(f1)([x, w]), tf.grads(f2)([x, w])];
    for (let i = 0; i < 2; i++) assert.ok(tf.max(tf.abs(tf.sub(g1[i]!, g2[i]!))).dataSync()[0]! < 1e-4);
    const a = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3), b = tf.randomNormal([2, 4, 5], 0, 1, 'float32', 4);
    const h1 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(batchMatMul(p, q))))([a, b]);
    const h2 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D))))([a, b]);
    for (let i = 0; i < 2; i++) assert.ok(tf.max(tf.abs(tf.sub(h1[i]!, h2[i]!))).dataSync()[0]! < 1e-4);
    const table = tf.randomNormal([6, 3], 0, 1, 'float32', 5);
    const idx = Int32Array.from([1, 4, 1, 0]);
    const k = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, idx), tf.reshape(tf.range(0, 12), [4, 3]))))(table);
    const kd = k.arraySync() as number[][];
    assert.equal(kd[1], [0 + 6, 1 + 7, 2 + 8]);
    assert.equal(kd[4], [3, 4, 5]);
    assert.equal(kd[2], [0, 0, 0]);
  });
});

test('loadClip shareFrom: the named tensors are the other model\'s variables, the rest read; disposing the borrower leaves them alive', async () => {
  const before = tf.memory().numTensors;
  const base = await loadClip(modelDir);
  const text = (n: string): boolean => n.startsWith('text_model.');
  const m = await loadClip(modelDir, { shareFrom: { model: base, names: text } });
  let shared = 0;
  for (const [k, v] of m.params) {
    if (text(k)) { assert.is(v, base.get(k), k); shared++; } else assert.is.not(v, base.get(k), k);
  }
  assert.ok(shared > 0);
  const loaded = tf.memory().numTensors;
  m.dispose();
  assert.is(tf.memory().numTensors, loaded - (base.params.size - shared));
  for (const [k, v] of base.params) assert.ok(!v.isDisposed, `${k} disposed with the borrower`);
  base.dispose();
  assert.is(tf.memory().numTensors, before);
});

test.run();
