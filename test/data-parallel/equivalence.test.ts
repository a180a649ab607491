// Data-parallel fine-tuning in 2 real worker processes reaches the weights of one process with
// the whole batch (up to float summation order), for full fine-tuning and for LoRA with dropout
// and a trained linear head (the dropout masks and the head's gradients must shard exactly).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { finetuneClip, type FinetuneArgs } from '../../src/ml/finetune/finetuneClip.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { loadTask } from '../../src/ml/data/index.js';
import { readHead } from '../../src/ml/heads/head.js';
import { tempDir, tinyClipDir } from '../ml-model/helpers.js';
import { TASK, finetuneStage, makeHead, maxAbsDiff, referenceRun, runJob } from './helpers.js';
import { clipFinetuneArgs } from '../../src/registry/methods/clipFinetune.js';

const dir = tempDir('fbw-dp-');
const TOL = 1e-5;
const lrOf = (a: FinetuneArgs) => a.learning_rate ?? 1e-5;
let head = '';

test.before(async () => { head = await makeHead(join(dir, 'head')); });

const cases: readonly { name: string; method: string; params: { [k: string]: number | string }; args: FinetuneArgs }[] = [
  {
    name: 'full fine-tuning, batch 12 over 2 ranks, with weight decay',
    method: 'full', params: { num_steps: 3, batch_size: 12, learning_rate: 1e-4, weight_decay: 0.01, save_interval: 100, seed: 3 },
    args: clipFinetuneArgs('full', { num_steps: 3, batch_size: 12, learning_rate: 1e-4, weight_decay: 0.01, seed: 3 }, 'user'),
  },
  {
    name: 'LoRA with dropout and a linear head, odd batch 9 (shards of 4 and 5)',
    method: 'lora', params: { num_steps: 3, batch_size: 9, learning_rate: 1e-3, save_interval: 100, seed: 5, r: 4, lora_alpha: 8, lora_dropout: 0.1, head: 'linear' },
    args: clipFinetuneArgs('lora', { head: 'linear', num_steps: 3, batch_size: 9, learning_rate: 1e-3, seed: 5, r: 4, lora_alpha: 8, lora_dropout: 0.1 }, 'user'),
  },
];

for (const c of cases) {
  test(`${c.name}: 2 processes = 1 process with the whole batch`, async () => {
    const dp = await runJob(dir, finetuneStage(c.method, c.params, 2), head, 'cpu,cpu');
    const last = dp.messages.at(-1)!;
    assert.is(last.type, 'done', JSON.stringify(last) + '\n' + readFileSync(dp.log, 'utf8'));
    const log = readFileSync(dp.log, 'utf8');
    assert.match(log, /data-parallel: rank 1\/2 on cpu pid \d+/);
    assert.match(log, /\[rank 1\] done; [\d.]+ ms computing/);
    const ref = await referenceRun(head, c.args);
    const d = await maxAbsDiff(join(dp.out, 'model.safetensors'), ref.state);
    assert.ok(d.changed > 0, 'training moved the weights');
    if (process.env["FBW_DP_VERBOSE"]) console.log(c.method, d);
    assert.ok(d.max < TOL, `max |Δw| = ${d.max} over ${d.tensors} tensors`);
    assert.ok(d.maxNoiseOnly <= 2 * lrOf(c.args) * 3, `key biases (zero true gradient) differ by ${d.maxNoiseOnly}`);
    const trainLog = JSON.parse(readFileSync(join(dp.out, 'train_log.json'), 'utf8')) as { step: number; loss: number }[];
    assert.equal(trainLog.map((e) => e.step), [1, 2, 3]);
    trainLog.forEach((e, i) => assert.ok(Math.abs(e.loss - ref.losses[i]!) < 1e-5, `loss at step ${e.step}: ${e.loss} vs ${ref.losses[i]}`));
    const info = JSON.parse(readFileSync(join(dp.out, 'finetune.json'), 'utf8')) as { devices: number };
    assert.is(info.devices, 2);
    if (c.method === 'lora') assert.ok(existsSync(join(dp.out, 'adapter', 'adapter_model.safetensors')));
    if (ref.headWeight) {
      const h = await readHead(join(dp.out, 'head'));
      let m = 0;
      for (let i = 0; i < h.weight.length; i++) m = Math.max(m, Math.abs(h.weight[i]! - ref.headWeight[i]!));
      assert.ok(m < TOL, `linear head max |Δw| = ${m}`);
    }
  });
}

test('the data-parallel step keeps the tensor count flat across steps', async () => {
  await initBackend('cpu');
  const model = await loadClip(tinyClipDir());
  const h = await readHead(head);
  const train = await loadTask(TASK, 'train', { maxExamples: 64 });
  // a group of one: the sum is the rank's own buffer, so only this process's tensor code runs
  const solo = { rank: 0, worldSize: 1, allReduceSum: (b: Float32Array) => Promise.resolve(b) };
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const r = await finetuneClip(model, h, train, {
    ...clipFinetuneArgs('lora', { head: 'linear', num_steps: 4, batch_size: 6, learning_rate: 1e-3, r: 2, lora_dropout: 0.1 }, 'user'),
    dataParallel: solo, onProgress: () => counts.push(tf.memory().numTensors),
  });
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts per step: ${counts.join(', ')}`);
  r.adapters?.dispose();
  assert.is(tf.memory().numTensors, before);
  model.dispose();
});

test('a batch smaller than the device count is refused with a clear error', async () => {
  const r = await runJob(dir, finetuneStage('bitfit', { num_steps: 2, batch_size: 1, save_interval: 100 }, 2), head, 'cpu,cpu');
  const last = r.messages.at(-1)!;
  assert.is(last.type, 'error');
  if (last.type === 'error') assert.match(last.error.message, /batch_size 1 cannot be split over 2 devices/);
});

test.run();
