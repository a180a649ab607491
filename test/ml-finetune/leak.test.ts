// No tensor leaks across training steps: the live tensor count is the same after every step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { makeRandomClip, tempDir } from '../ml-model/helpers.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { loadTask } from '../../src/ml/data/index.js';
import { finetuneClip } from '../../src/ml/finetune/finetuneClip.js';
import { evaluate } from '../../src/ml/eval/evaluate.js';
import { CLIP_FINETUNE_NAMES, clipFinetuneArgs } from '../../src/registry/methods/clipFinetune.js';

const dir = tempDir('fbw-leak-');

for (const method of CLIP_FINETUNE_NAMES) {
  test(`${method}: tensor count is flat across steps (with checkpoints and a linear head)`, async () => {
    const modelDir = await makeRandomClip(join(dir, 'model'), 3);
    const model = await loadClip(modelDir);
    const train = await loadTask('synth_shapes', 'train', { maxExamples: 64 });
    const head = buildZeroshotHead(model, await tokenizerFor(model), train.name, train.classnames, train.templates);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await finetuneClip(model, head, train, {
      ...clipFinetuneArgs(method, { head: method === 'bitfit' ? 'linear' : 'zeroshot', num_steps: 6, batch_size: 8, save_interval: 2, learning_rate: 1e-3 }, 'user'),
      checkpointDir: join(dir, `ck-${method}`),
      onProgress: () => counts.push(tf.memory().numTensors),
    });
    assert.is(counts.length, 6);
    assert.ok(counts.every((c) => c === counts[0]), `tensor counts per step: ${counts.join(', ')}`);
    r.adapters?.dispose();
    assert.is(tf.memory().numTensors, before, 'everything the run created is released');
    const e0 = tf.memory().numTensors;
    evaluate(model, head, await loadTask('synth_shapes', 'test', { maxExamples: 20 }), { batchSize: 8 });
    assert.is(tf.memory().numTensors, e0, 'evaluation leaks nothing');
    model.dispose();
  });
}

test.run();
