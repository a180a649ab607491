// The fused native Adam update matches the op-by-op formula (torch.optim.Adam with coupled weight
// decay), never mutates arrays user code already holds, and copies shared buffers before updating.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { registerNativeBackend } from '../../src/ml/backend/native/registerNativeBackend.js';
import { nativeAdamUpdate } from '../../src/ml/backend/native/nativeAdamUpdate.js';

await registerNativeBackend();
/** The backend other test files expect (restored after these tests switch backends). */
const initialBackend = tf.getBackend() || 'cpu';
const N = 300;
const vals = (seed: number): Float32Array => Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.37 + seed));
const args = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** The reference: the same update written with tfjs ops (as src/ml/finetune/adam.ts does). */
function opsAdam(x: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, step: number): void {
  tf.tidy(() => {
    const c1 = 1 - args.beta1 ** step, c2 = 1 - args.beta2 ** step;
    const gg = tf.add(g, tf.mul(x, args.weightDecay));
    const m1 = tf.add(tf.mul(m, args.beta1), tf.mul(gg, 1 - args.beta1));
    const v1 = tf.add(tf.mul(v, args.beta2), tf.mul(tf.square(gg), 1 - args.beta2));
    m.assign(m1);
    v.assign(v1);
    x.assign(tf.sub(x, tf.div(tf.mul(m1, args.lr / c1), tf.add(tf.sqrt(tf.div(v1, c2)), args.eps))));
  });
}

/** A variable that owns its buffer (the initial tensor disposed), as fbw's newVariable makes them. */
function own(t: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(t, true, name);
  t.dispose();
  return v;
}

async function run(fused: boolean): Promise<Float32Array[]> {
  await tf.setBackend(fused ? 'fbw-native' : 'cpu');
  // start from kernel outputs (as training does), so the buffers are the backend's own
  const x = own(tf.tidy(() => tf.mul(tf.tensor1d(vals(1)), 1)), `adam-x-${fused}`);
  const m = own(tf.zeros([N]), `adam-m-${fused}`);
  const v = own(tf.zeros([N]), `adam-v-${fused}`);
  for (let step = 1; step <= 4; step++) {
    const g = tf.tensor1d(vals(step * 10));
    if (fused) assert.ok(nativeAdamUpdate(x, g, m, v, { ...args, step }), 'fused update declined');
    else opsAdam(x, g, m, v, step);
    g.dispose();
  }
  const out = [x, m, v].map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([x, m, v]);
  return out;
}

test('fused Adam matches the op-by-op update', async () => {
  const ref = await run(false);
  const got = await run(true);
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < N; i++) {
      const a = ref[k]![i]!, b = got[k]![i]!;
      assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a)), `tensor ${k} [${i}]: ${a} vs ${b}`);
    }
  }
  await tf.setBackend('cpu');
});

test('arrays returned by dataSync and tensors sharing a buffer are never updated in place', async () => {
  await tf.setBackend('fbw-native');
  const x = own(tf.tidy(() => tf.mul(tf.tensor1d(vals(2)), 1)), 'adam-esc-x');
  const m = own(tf.zeros([N]), 'adam-esc-m');
  const v = own(tf.zeros([N]), 'adam-esc-v');
  const held = x.dataSync();
  const before = Float32Array.from(held);
  const g = tf.tensor1d(vals(3));
  assert.ok(nativeAdamUpdate(x, g, m, v, { ...args, step: 1 }));
  assert.equal(Array.from(held), Array.from(before), 'the array the caller held was mutated');
  assert.not.equal(Array.from(x.dataSync()), Array.from(before), 'the variable did not change');
  const alias = tf.reshape(x, [N]); // shares x's buffer: x gets its own copy before the update
  const aliasBefore = Float32Array.from(alias.dataSync());
  assert.ok(nativeAdamUpdate(x, g, m, v, { ...args, step: 2 }));
  assert.equal(Array.from(alias.dataSync()), Array.from(aliasBefore), 'a tensor sharing the buffer changed');
  assert.not.equal(Array.from(x.dataSync()), Array.from(aliasBefore), 'the variable did not change');
  tf.dispose([x, m, v, g, alias]);
  await tf.setBackend('cpu');
  const c = tf.variable(tf.zeros([N]), true, 'adam-cpu');
  assert.is(nativeAdamUpdate(c, c, c, c, { ...args, step: 1 }), false, 'must decline on another backend');
  c.dispose();
});

test.after(async () => {
  await tf.setBackend(initialBackend);
});

test.run();
