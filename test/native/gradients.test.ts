// Gradients of a small transformer (patch embedding, attention, quick-GELU MLP, LayerNorms,
// cross-entropy) computed on fbw-native match the cpu backend, the backward pass matches finite
// differences, and training steps on fbw-native leak neither tensors nor backend buffers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { registerNativeBackend } from '../../src/ml/backend/native/registerNativeBackend.js';
import { initTinyVit, lossAndGrads } from '../../bench/_tinyvit.js';
import type { TinyVitConfig } from '../../bench/_tinyvit.js';

const status = await registerNativeBackend();
/** The backend other test files expect (restored after these tests switch backends). */
const initialBackend = tf.getBackend() || 'cpu';
const SMALL: TinyVitConfig = { image: 8, patch: 4, dim: 16, depth: 2, heads: 2, mlp: 32, classes: 5 };
const BATCH = 3;

function data(): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(BATCH * SMALL.image * SMALL.image * 3);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = s / 4294967296 * 2 - 1;
  }
  return { x, y: Int32Array.from([0, 3, 4]) };
}

/** Loss and every gradient as plain arrays, computed on `backend`. */
async function gradsOn(backend: string, perturb?: { name: string; index: number; delta: number }): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await tf.setBackend(backend);
  const p = initTinyVit(SMALL, 3);
  if (perturb) {
    const v = p[perturb.name]!;
    const vals = v.dataSync().slice();
    vals[perturb.index] = vals[perturb.index]! + perturb.delta;
    v.assign(tf.tensor(vals, v.shape));
  }
  const { x, y } = data();
  const xt = tf.tensor4d(x, [BATCH, SMALL.image, SMALL.image, 3]);
  const yt = tf.tensor1d(y, 'int32');
  const out = tf.tidy(() => {
    const r = lossAndGrads(p, SMALL, xt, yt);
    return { loss: r.loss.dataSync()[0]!, grads: Object.fromEntries(Object.entries(r.grads).map(([k, g]) => [k, Float32Array.from(g.dataSync())])) };
  });
  tf.dispose([xt, yt, ...Object.values(p)]);
  return out;
}

test('the native backend is available', () => {
  assert.ok(status.ok, status.ok ? '' : status.reason);
});

test('transformer gradients on fbw-native match the cpu backend to 1e-5', async () => {
  const cpu = await gradsOn('cpu');
  const nat = await gradsOn('fbw-native');
  assert.ok(Math.abs(cpu.loss - nat.loss) < 1e-5, `loss ${cpu.loss} vs ${nat.loss}`);
  const names = Object.keys(cpu.grads);
  assert.equal(Object.keys(nat.grads).sort(), names.sort());
  assert.is(names.length, 9 + 12 * SMALL.depth, 'one gradient per parameter');
  let worst = 0;
  for (const k of names) {
    const a = cpu.grads[k]!, b = nat.grads[k]!;
    const scale = Math.max(1e-3, ...Array.from(a, Math.abs));
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  }
  assert.ok(worst < 1e-5, `max relative gradient difference ${worst}`);
  await tf.setBackend('cpu');
});

test('the hand-written backward pass matches finite differences (on fbw-native)', async () => {
  const base = await gradsOn('fbw-native');
  for (const [name, index] of [['head.w', 3], ['1.fc1.w', 17], ['0.qkv.w', 40], ['0.ln1.g', 5], ['pos', 9], ['patch.w', 11], ['cls', 2]] as const) {
    const h = 1e-2;
    const up = await gradsOn('fbw-native', { name, index, delta: h });
    const down = await gradsOn('fbw-native', { name, index, delta: -h });
    const fd = (up.loss - down.loss) / (2 * h);
    const an = base.grads[name]![index]!;
    assert.ok(Math.abs(fd - an) <= 2e-3 * Math.max(1, Math.abs(fd)) + 1e-4, `${name}[${index}]: finite difference ${fd} vs backward ${an}`);
  }
  await tf.setBackend('cpu');
});

test('training steps on fbw-native leak no tensors and no backend buffers', async () => {
  await tf.setBackend('fbw-native');
  const p = initTinyVit(SMALL, 5);
  const opt = tf.train.adam(1e-2);
  const { x, y } = data();
  const xt = tf.tensor4d(x, [BATCH, SMALL.image, SMALL.image, 3]);
  const yt = tf.tensor1d(y, 'int32');
  const losses: number[] = [];
  const step = (): void => tf.tidy(() => {
    const r = lossAndGrads(p, SMALL, xt, yt);
    opt.applyGradients(r.grads as unknown as Parameters<typeof opt.applyGradients>[0]);
    losses.push(r.loss.dataSync()[0]!);
  });
  step();
  const tensors = tf.memory().numTensors, ids = tf.engine().backend.numDataIds();
  for (let i = 0; i < 15; i++) step();
  assert.is(tf.memory().numTensors, tensors, 'tensors leaked across steps');
  assert.is(tf.engine().backend.numDataIds(), ids, 'backend buffers leaked across steps');
  assert.ok(losses[losses.length - 1]! < losses[0]! * 0.5, `training did not reduce the loss: ${losses[0]} -> ${losses[losses.length - 1]}`);
  opt.dispose();
  tf.dispose([xt, yt, ...Object.values(p)]);
  await tf.setBackend('cpu');
});

test.after(async () => {
  await tf.setBackend(initialBackend);
});

test.run();
