// The generic classifier fine-tune: it learns (test accuracy rises over the start), keeps the best
// save_top_k models, uses a training_data_ratio subset, leaks no tensors, and an interrupted
// epoch-mode run resumes from its checkpoint to the same weights as an uninterrupted one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTask } from '../../src/ml/data/index.js';
import { loadResNet } from '../../src/ml/classifier/loadResNet.js';
import { evaluateResNet } from '../../src/ml/classifier/evaluateResNet.js';
import { finetuneClassifier, fitClassifierToTask, ClassifierArgsError, smoothedCrossEntropy } from '../../src/ml/classifier/finetuneClassifier.js';
import { writeClassifierRun } from '../../src/ml/classifier/writeClassifierRun.js';
import { resnetNet } from '../../src/ml/classifier/ClassifierNet.js';
import { makeTinyResNet, tempDir } from './helpers.js';
import { resolveArgs } from '../../src/registry/methods/resolve.js';
import { classifier } from '../../src/registry/methods/classifier.js';
import { Interrupted } from '../../src/util/interrupted.js';

const dir = tempDir('fbw-classifier-');

test('mnist: 40 SGD steps raise test accuracy well above the start; top-k folders and outputs written', async () => {
  const m = await loadResNet(await makeTinyResNet(join(dir, 'm1'), 'mnist'));
  const train = await loadTask('mnist', 'train', { maxExamples: 1000 });
  const testSet = await loadTask('mnist', 'test');
  const start = evaluateResNet(m, testSet, 32, { maxExamples: 300 });
  const r = await finetuneClassifier(resnetNet(m, 32), train, {
    ...resolveArgs(classifier, { max_steps: 40, batch_size: 32, optimizer: { lr: 0.05 }, save_interval: 10, save_top_k: 2 }),
    test: testSet, max_eval_examples: 300, checkpointDir: join(dir, 'ck1'),
  });
  assert.is(r.steps, 40);
  assert.is(r.evals.length, 4);
  assert.ok(r.final!.accuracy > start.accuracy + 0.2, `accuracy ${start.accuracy} → ${r.final!.accuracy}`);
  assert.is(r.topK.length, 2);
  assert.ok(r.topK[0]!.accuracy >= r.topK[1]!.accuracy);
  assert.equal(readdirSync(r.topKDir!).sort(), r.topK.map((e) => e.name).sort(), 'only the best 2 are kept on disk');
  assert.ok(r.log.every((e, i) => e.lr <= (r.log[i - 1]?.lr ?? Infinity)), 'cosine schedule decreases');
  await writeClassifierRun(join(dir, 'out1'), resnetNet(m, 32), r, { task: 'mnist' });
  for (const f of ['model.safetensors', 'config.json', 'train_log.json', 'classifier.json', `top_k/${r.topK[0]!.name}/model.safetensors`]) assert.ok(existsSync(join(dir, 'out1', f)), f);
  const again = await loadResNet(join(dir, 'out1'));
  assert.is(evaluateResNet(again, testSet, 32, { maxExamples: 300 }).accuracy, r.final!.accuracy, 'the saved model is the trained one');
  again.dispose(); m.dispose();
});

test('label smoothing matches the torch formula; a ratio trains on a subset; a task with other classes gets a new classifier', async () => {
  tf.tidy(() => {
    const logits = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 3]]);
    const labels = Int32Array.from([0, 2]);
    const eps = 0.1;
    const lp = tf.logSoftmax(logits).arraySync() as number[][];
    let want = 0;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want -= ((j === labels[i] ? 1 - eps : 0) + eps / 3) * lp[i]![j]!;
    assert.ok(Math.abs(smoothedCrossEntropy(logits, labels, eps).dataSync()[0]! - want / 2) < 1e-6);
  });
  const m0 = await loadResNet(await makeTinyResNet(join(dir, 'm2'), 'mnist'));
  const shapes = await loadTask('synth_shapes', 'train', { maxExamples: 200 });
  const m = fitClassifierToTask(m0, shapes.classnames, 1);
  assert.is(m.config.num_labels, shapes.classnames.length);
  assert.is(m.config.id2label['0'], shapes.classnames[0]);
  const r = await finetuneClassifier(resnetNet(m, 32), shapes, resolveArgs(classifier, { max_epochs: 2, batch_size: 16, training_data_ratio: 0.25, label_smoothing: 0.1, optimizer: { lr: 0.02 } }));
  assert.is(r.steps, 2 * Math.ceil(50 / 16), '2 epochs over 25% of 200 examples');
  assert.is(r.log[0]!.lr, 0.02);
  assert.ok(Math.abs(r.log.at(-1)!.lr - 0.02 * 0.5 * (1 + Math.cos(Math.PI / 2))) < 1e-9, 'epoch 2 of T_max 2 runs at the cosine midpoint');
  try { await finetuneClassifier(resnetNet(m, 32), shapes, { ...resolveArgs(classifier, {}), max_steps: 0 }); assert.unreachable(); } catch (e) { assert.instance(e, ClassifierArgsError); }
  m.dispose();
});

test('no tensor leaks: the live tensor count is flat across steps, and a run releases everything', async () => {
  const m = await loadResNet(await makeTinyResNet(join(dir, 'm3'), 'synth_colors'));
  const train = await loadTask('synth_colors', 'train', { maxExamples: 64 });
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await finetuneClassifier(resnetNet(m, 32), train, { ...resolveArgs(classifier, { max_steps: 6, batch_size: 8, save_interval: 2 }), test: await loadTask('synth_colors', 'test'), max_eval_examples: 16, checkpointDir: join(dir, 'ck3'), onProgress: () => counts.push(tf.memory().numTensors) });
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts per step: ${counts.join(', ')}`);
  assert.is(tf.memory().numTensors, before);
  m.dispose();
});

test('epoch mode: abort mid-run checkpoints; the resumed run ends with the same weights and top-k as an uninterrupted one', async () => {
  const modelDir = await makeTinyResNet(join(dir, 'm4'), 'synth_shapes', 8);
  const train = await loadTask('synth_shapes', 'train', { maxExamples: 48 });
  const testSet = await loadTask('synth_shapes', 'test');
  const args = { ...resolveArgs(classifier, { max_epochs: 3, batch_size: 16, optimizer: { lr: 0.03 }, save_interval: 1, save_top_k: 1 }), test: testSet, max_eval_examples: 24 };
  const a = await loadResNet(modelDir);
  const ra = await finetuneClassifier(resnetNet(a, 32), train, { ...args, checkpointDir: join(dir, 'ck4a') });
  const b = await loadResNet(modelDir);
  const ctl = new AbortController();
  let threw: unknown;
  try {
    await finetuneClassifier(resnetNet(b, 32), train, { ...args, checkpointDir: join(dir, 'ck4b'), signal: ctl.signal, onProgress: (p) => { if (p.step === 5) ctl.abort(); } });
  } catch (e) { threw = e; }
  assert.instance(threw, Interrupted);
  b.dispose();
  const c = await loadResNet(modelDir);
  const rc = await finetuneClassifier(resnetNet(c, 32), train, { ...args, checkpointDir: join(dir, 'ck4b') });
  assert.is(rc.resumedFrom, 5);
  const sa = a.stateDict(), sc = c.stateDict();
  for (const [k, t] of sa) assert.ok(Buffer.from(t.data.buffer).equals(Buffer.from(sc.get(k)!.data.buffer)), `tensor ${k} bit-identical`);
  assert.equal(rc.log.map((e) => e.loss), ra.log.map((e) => e.loss));
  assert.equal(rc.topK, ra.topK);
  assert.equal(Object.fromEntries(c.batchesTracked), Object.fromEntries(a.batchesTracked));
  a.dispose(); c.dispose();
});

test.run();
