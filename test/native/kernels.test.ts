// Each native kernel of the fbw-native backend against the tfjs cpu backend on random inputs,
// including broadcasting, transposed/batched GEMMs, odd shapes and empty tensors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { registerNativeBackend } from '../../src/ml/backend/native/registerNativeBackend.js';
import { activeNativeBackend } from '../../src/ml/backend/native/registerNativeBackend.js';

const status = await registerNativeBackend();
/** The backend other test files expect (restored after these tests switch backends). */
const initialBackend = tf.getBackend() || 'cpu';

/** Deterministic random float32 values in [-2, 2) (or (0.1, 2.1] when positive). */
function rand(shape: number[], seed: number, positive = false): { shape: number[]; values: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    const u = s / 4294967296;
    v[i] = positive ? 0.1 + 2 * u : 4 * u - 2;
  }
  return { shape, values: v };
}

type In = { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' };

/** Runs f on both backends with the same inputs and returns both results. */
async function both(inputs: In[], f: (...xs: tf.Tensor[]) => tf.Tensor): Promise<[tf.Tensor, tf.Tensor]> {
  const run = async (backend: string): Promise<tf.Tensor> => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const ids = tf.engine().backend.numDataIds();
    const xs = inputs.map((i) => tf.tensor(i.values.slice(), i.shape, i.dtype ?? 'float32'));
    const y = tf.tidy(() => f(...xs));
    const out = tf.tensor(await y.data(), y.shape, y.dtype);
    // move to a backend-independent copy, then check nothing leaked
    const copy = { data: await out.data(), shape: out.shape, dtype: out.dtype };
    tf.dispose([...xs, y, out]);
    assert.is(tf.memory().numTensors, before, `${backend}: tensors leaked`);
    assert.is(tf.engine().backend.numDataIds(), ids, `${backend}: data ids leaked`);
    return tf.tensor(copy.data, copy.shape, copy.dtype);
  };
  const cpu = await run('cpu');
  const nat = await run('fbw-native');
  await tf.setBackend('cpu');
  return [cpu, nat];
}

async function close(inputs: In[], f: (...xs: tf.Tensor[]) => tf.Tensor, tol = 1e-5, label = ''): Promise<void> {
  const [a, b] = await both(inputs, f);
  assert.equal(b.shape, a.shape, `${label} shape`);
  assert.is(b.dtype, a.dtype, `${label} dtype`);
  const x = await a.data(), y = await b.data();
  for (let i = 0; i < x.length; i++) {
    const ok = (Number.isNaN(x[i]) && Number.isNaN(y[i])) || x[i] === y[i] ||
      Math.abs(x[i]! - y[i]!) <= tol * Math.max(1, Math.abs(x[i]!));
    if (!ok) assert.unreachable(`${label} [${i}]: cpu ${x[i]} vs native ${y[i]}`);
  }
  tf.dispose([a, b]);
}

test('the native backend registers (the addon is built in this checkout)', () => {
  assert.ok(status.ok, status.ok ? '' : status.reason);
  if (status.ok) assert.match(status.info.blas, /OpenBLAS|builtin/);
});

test('matMul: plain, transposed, batched, broadcast batch, odd sizes, k=0', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false], [[5, 7], [5, 3], true, false], [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true], [[4, 3, 9, 17], [4, 3, 17, 6], false, false],
    [[2, 9, 17], [17, 6], false, false], [[2, 17, 9], [17, 6], true, false], [[9, 17], [3, 6, 17], false, true],
    [[1, 65, 64], [64, 193], false, false], [[3, 0], [0, 4], false, false], [[33, 1], [1, 31], false, false],
  ];
  let seed = 1;
  for (const [sa, sb, ta, tb] of cases) {
    await close([rand(sa, seed++), rand(sb, seed++)], (a, b) => tf.matMul(a!, b!, ta, tb), 1e-5, `matMul ${sa} ${sb} ${ta} ${tb}`);
  }
});

test('fused matMul: bias and activations', async () => {
  for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'leakyrelu', 'elu'] as const) {
    await close([rand([6, 10], 3), rand([10, 7], 4), rand([7], 5)],
      (a, b, bias) => tf.fused.matMul({ a: a!, b: b!, bias, activation, transposeB: false }), 1e-5, activation);
  }
  await close([rand([6, 10], 3), rand([7, 10], 4), rand([1], 5)],
    (a, b, bias) => tf.fused.matMul({ a: a!, b: b!, bias, transposeB: true }), 1e-5, 'scalar bias');
  await close([rand([6, 10], 3), rand([10, 7], 4), rand([6, 7], 5)],
    (a, b, bias) => tf.fused.matMul({ a: a!, b: b!, bias }), 1e-5, 'full bias (cpu fallback path)');
});

test('binary ops with broadcasting', async () => {
  const shapes: [number[], number[]][] = [
    [[4, 5], [4, 5]], [[4, 5], [5]], [[4, 5], [4, 1]], [[3, 1, 5], [1, 4, 1]], [[2, 3, 4, 5], [3, 1, 5]],
    [[7], []], [[], [6]], [[2, 1, 3, 1, 2], [2, 2, 1, 4, 1]], [[0, 3], [3]], [[65, 64], [1, 64]],
  ];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, boolean][] = [
    ['add', tf.add, false], ['sub', tf.sub, false], ['mul', tf.mul, false], ['div', tf.div, true],
    ['maximum', tf.maximum, false], ['minimum', tf.minimum, false], ['pow', tf.pow, true],
    ['squaredDifference', tf.squaredDifference, false],
  ];
  let seed = 10;
  for (const [sa, sb] of shapes) {
    for (const [name, op, pos] of ops) {
      await close([rand(sa, seed++, pos), rand(sb, seed++, pos)], (a, b) => op(a!, b!), 1e-5, `${name} ${sa} ${sb}`);
    }
  }
});

test('unary ops', async () => {
  const ops: [string, (x: tf.Tensor) => tf.Tensor, boolean][] = [
    ['exp', tf.exp, false], ['log', tf.log, true], ['sqrt', tf.sqrt, true], ['rsqrt', tf.rsqrt, true],
    ['tanh', tf.tanh, false], ['sigmoid', tf.sigmoid, false], ['neg', tf.neg, false], ['square', tf.square, false],
    ['reciprocal', tf.reciprocal, true], ['relu', tf.relu, false], ['relu6', (x) => tf.relu6(tf.mul(x, 4)), false],
    ['elu', tf.elu, false], ['abs', tf.abs, false], ['erf', tf.erf, false], ['log1p', tf.log1p, true],
    ['expm1', tf.expm1, false], ['softplus', tf.softplus, false], ['sign', tf.sign, false],
    ['sin', tf.sin, false], ['cos', tf.cos, false], ['step', (x) => tf.step(x, 0.5), false],
    ['leakyRelu', (x) => tf.leakyRelu(x, 0.1), false], ['clip', (x) => tf.clipByValue(x, -0.5, 0.7), false],
  ];
  let seed = 100;
  for (const [name, op, pos] of ops) {
    for (const shape of [[3, 17], [1], [0, 2], [64, 65]]) {
      await close([rand(shape, seed++, pos)], (x) => op(x!), 2e-6, `${name} ${shape}`);
    }
  }
});

test('softmax and logSoftmax over the last axis', async () => {
  for (const shape of [[5, 7], [2, 4, 65, 65], [1], [3, 1]]) {
    await close([rand(shape, 7)], (x) => tf.softmax(tf.mul(x!, 5)), 1e-6, `softmax ${shape}`);
    await close([rand(shape, 8)], (x) => tf.logSoftmax(x!), 1e-5, `logSoftmax ${shape}`);
  }
});

test('transpose up to 6-D, float32 and int32', async () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [1, 0]], [[2, 3, 4], [0, 2, 1]], [[2, 3, 4, 5], [0, 2, 1, 3]], [[64, 65, 3, 4, 16], [2, 0, 3, 1, 4]],
    [[2, 3, 1, 4, 5, 2], [5, 3, 1, 0, 4, 2]], [[1, 1, 5], [2, 1, 0]], [[0, 3], [1, 0]], [[37, 41], [1, 0]],
  ];
  for (const [shape, perm] of cases) {
    await close([rand(shape, 11)], (x) => tf.transpose(x!, perm), 0, `transpose ${shape} ${perm}`);
    const r = rand(shape, 12);
    await close([{ shape, values: Int32Array.from(r.values, (v) => Math.round(v * 100)), dtype: 'int32' }],
      (x) => tf.transpose(x!, perm), 0, `transpose int32 ${shape}`);
  }
});

test('reductions: sum, mean, max, min, prod over any axes, keepDims', async () => {
  const cases: [number[], number | number[] | null][] = [
    [[4, 5], 1], [[4, 5], 0], [[4, 5], null], [[2, 3, 4, 5], [0, 2]], [[2, 3, 4, 5], [1, 3]], [[2, 3, 4, 5], [0, 1, 2]],
    [[64, 65, 64], [0, 1]], [[7], 0], [[3, 1, 4], 1], [[0, 3], 0],
  ];
  let seed = 200;
  for (const [shape, axis] of cases) {
    for (const keep of [false, true]) {
      const ax = axis ?? undefined;
      await close([rand(shape, seed++)], (x) => tf.sum(x!, ax, keep), 2e-5, `sum ${shape} ${axis}`);
      await close([rand(shape, seed++)], (x) => tf.mean(x!, ax, keep), 2e-5, `mean ${shape} ${axis}`);
      if (shape.every((s) => s > 0)) {
        await close([rand(shape, seed++)], (x) => tf.max(x!, ax, keep), 0, `max ${shape} ${axis}`);
        await close([rand(shape, seed++)], (x) => tf.min(x!, ax, keep), 0, `min ${shape} ${axis}`);
        await close([rand(shape.map((s) => Math.min(s, 4)), seed++, true)], (x) => tf.prod(x!, ax, keep), 2e-5, `prod ${shape} ${axis}`);
      }
    }
  }
});

test('gather rejects an out-of-range index like the cpu backend', async () => {
  await tf.setBackend('fbw-native');
  const x = tf.tensor2d(rand([3, 4], 1).values, [3, 4]);
  const i = tf.tensor1d([0, 3], 'int32');
  assert.throws(() => tf.gather(x, i), /index value 3 is not in \[0, 2\]/);
  tf.dispose([x, i]);
  await tf.setBackend('cpu');
});

test('max/min reductions propagate NaN like the cpu backend', async () => {
  const v = rand([4, 6], 5).values;
  v[3] = NaN;
  v[14] = NaN;
  for (const axis of [0, 1, undefined]) {
    await close([{ shape: [4, 6], values: v }], (x) => tf.max(x!, axis), 0, `max NaN axis ${axis}`);
    await close([{ shape: [4, 6], values: v }], (x) => tf.min(x!, axis), 0, `min NaN axis ${axis}`);
  }
});

test('addN, slice, concat, stridedSlice and split copy correctly', async () => {
  await close([rand([3, 5], 1), rand([3, 5], 2), rand([3, 5], 3)], (a, b, c) => tf.addN([a!, b!, c!]), 1e-6, 'addN');
  await close([rand([4, 6, 5], 4)], (x) => tf.slice(x!, [1, 2, 0], [2, 3, -1]), 0, 'slice inner whole');
  await close([rand([4, 6, 5], 4)], (x) => tf.slice(x!, [1, 2, 1], [2, 3, 3]), 0, 'slice inner partial');
  await close([rand([4, 6, 5], 4)], (x) => tf.slice(x!, [2], [1]), 0, 'slice leading');
  await close([rand([9], 4)], (x) => tf.slice(x!, [3], [4]), 0, 'slice 1-D');
  await close([rand([2, 3, 4], 5), rand([2, 1, 4], 6)], (a, b) => tf.concat([a!, b!], 1), 0, 'concat axis 1');
  await close([rand([2, 3], 5), rand([4, 3], 6)], (a, b) => tf.concat([a!, b!], 0), 0, 'concat axis 0');
  await close([rand([2, 3], 5), rand([2, 0], 6), rand([2, 2], 7)], (a, b, c) => tf.concat([a!, b!, c!], -1), 0, 'concat with empty');
  await close([rand([6, 5, 4], 8)], (x) => tf.stridedSlice(x!, [1, 0, 0], [4, 5, 4], [1, 1, 1]), 0, 'stridedSlice');
  await close([rand([6, 8], 9)], (x) => tf.split(x!, [3, 5], 1)[1]!, 0, 'split');
  await close([rand([3, 4, 8], 9)], (x) => tf.split(x!, 3, 0)[2]!, 0, 'split axis 0');
  await close([rand([3, 4], 1), rand([3, 4], 2)], (a, b) => tf.stack([a!, b!], 1), 0, 'stack axis 1');
  await close([rand([2, 3, 4], 1)], (x) => tf.pad(x!, [[1, 0], [0, 2], [3, 1]], 0.5), 0, 'pad 3-D');
  await close([rand([5], 1)], (x) => tf.pad(x!, [[2, 3]]), 0, 'pad 1-D');
  await close([rand([0, 3], 1)], (x) => tf.pad(x!, [[1, 1], [0, 0]], 2), 0, 'pad empty');
  const ids = { shape: [2, 3], values: Int32Array.from([4, 0, 2, 2, 1, 4]), dtype: 'int32' as const };
  await close([rand([5, 7], 1), ids], (x, i) => tf.gather(x!, i!), 0, 'gather rows');
  await close([rand([3, 5, 2], 1), ids], (x, i) => tf.gather(x!, i!, 1), 0, 'gather axis 1');
  await close([rand([3, 5], 1), ids], (x, i) => tf.gather(x!, i!, 1), 0, 'gather last axis');
  await close([rand([3, 4], 1), rand([3, 4], 2), rand([3, 4], 3)], (a, b, c) => tf.stack([a!, b!, c!]), 0, 'stack axis 0');
});

test('pooled buffers never overwrite data that escaped or is still viewed', async () => {
  await tf.setBackend('fbw-native');
  const x = tf.tensor(rand([64, 64], 3).values, [64, 64]);
  const y = tf.exp(x);
  const seen = y.dataSync();
  const copy = Float32Array.from(seen);
  y.dispose();
  const z = tf.exp(tf.neg(x)); // same size: would reuse y's buffer if it had been pooled
  assert.equal(Array.from(seen), Array.from(copy), 'a buffer returned by dataSync was recycled');
  // a cpu fallback kernel that returns a view (stridedSlice of whole rows) keeps its source alive
  const w = tf.exp(x);
  const v = tf.stridedSlice(w, [0, 0], [32, 64], [1, 1]);
  const vBefore = Float32Array.from(await v.data());
  w.dispose();
  const junk = tf.mul(x, 3);
  assert.equal(Array.from(await v.data()), Array.from(vBefore), 'a view of a pooled buffer was overwritten');
  tf.dispose([x, z, v, junk]);
  assert.ok(activeNativeBackend() !== undefined);
  await tf.setBackend('cpu');
});

test('casts relabelled to float32 (bool/int32 storage) feed native kernels correctly', async () => {
  // regression: the cpu Cast shares the bool/int32 buffer; native kernels read it as float32 bytes
  await close([rand([3, 5], 71), rand([3, 5], 72)], (a, b) => tf.mul(a!, tf.cast(tf.greaterEqual(a!, b!), 'float32')), 0, 'mask');
  await close([rand([4, 6], 73)], (a) => tf.transpose(tf.add(tf.cast(tf.cast(a!, 'int32'), 'float32'), a!)), 0, 'int->float');
  await close([rand([4, 6], 74)], (a) => tf.transpose(tf.cast(tf.greater(a!, tf.scalar(0)), 'float32')), 0, 'transpose of cast');
});

test.after(async () => {
  await tf.setBackend(initialBackend);
});

test.run();
