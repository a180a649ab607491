// Each merging method against results computed by hand on small tensors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { merged, tempDir, f32 } from './helpers.js';
import type { Json } from '../../src/compile/ir.js';

const run = async (method: string, params: { readonly [k: string]: Json }, base: Parameters<typeof merged>[3], models: Parameters<typeof merged>[4], extra: Parameters<typeof merged>[5] = {}) => {
  const t = tempDir();
  try { return await merged(t.dir, method, params, base, models, extra); } finally { t.cleanup(); }
};

test('simple_average: element-wise mean, no base needed', async () => {
  const r = await run('simple_average', {}, undefined, [{ w: [1, 2, 3, 4] }, { w: [3, 2, 1, 0] }, { w: [2, 5, 2, -1] }]);
  assert.equal(r.w, f32([2, 3, 2, 1]));
});

test('average is an alias of simple_average', async () => {
  const r = await run('average', {}, undefined, [{ w: [0.5, 1] }, { w: [1.5, 2] }]);
  assert.equal(r.w, [1, 1.5]);
});

test('weighted_average: weights normalised to sum 1, or used as given', async () => {
  assert.equal((await run('weighted_average', { weights: [1, 3] }, undefined, [{ w: [4, 0] }, { w: [0, 4] }])).w, [1, 3]);
  assert.equal((await run('weighted_average', { weights: [1, 3], normalize: false }, undefined, [{ w: [4, 0] }, { w: [0, 4] }])).w, [4, 12]);
  assert.equal((await run('weighted_average', { weights: null }, undefined, [{ w: [4, 0] }, { w: [0, 4] }])).w, [2, 2], 'null weights: equal');
});

test('task_arithmetic: θ_pre + λ·Σ τ_i', async () => {
  const r = await run('task_arithmetic', { scaling_factor: 0.5 }, { w: [1, 1, 1] }, [{ w: [2, 1, 0] }, { w: [1, 3, 1] }]);
  assert.equal(r.w, [1.5, 2, 0.5]);
});

test('task_arithmetic: default scaling_factor is 0.3', async () => {
  const r = await run('task_arithmetic', {}, { w: [0] }, [{ w: [1] }, { w: [1] }]);
  assert.equal(r.w, f32([Math.fround(Math.fround(2) * Math.fround(0.3))]));
});

// τ1: A=[5,-1,.5,2,-3,.1] B=[4,.2,-6,1]; τ2: A=[-2,7,.3,.4,-8,0] B=[-5,.1,-6,3]  (base = 1)
// d = 10, threshold 20 → k = 10 − int(10·0.2) = 8: keep |τ| ≥ 8th smallest (4 for τ1, 6 for τ2)
// trimmed τ1: A=[5,0,0,0,0,0] B=[4,0,-6,0]; τ2: A=[0,7,0,0,-8,0] B=[0,0,-6,0]
// elected signs: A=[+,+,0,0,-,0] B=[+,0,-,0]; sum merge: A=[5,7,0,0,-8,0] B=[4,0,-12,0]
const base = { A: { shape: [2, 3], data: [1, 1, 1, 1, 1, 1] }, B: [1, 1, 1, 1] };
const plus1 = (xs: number[]) => xs.map((x) => Math.fround(1 + x));
const m1 = { A: { shape: [2, 3], data: plus1([5, -1, 0.5, 2, -3, 0.1]) }, B: plus1([4, 0.2, -6, 1]) };
const m2 = { A: { shape: [2, 3], data: plus1([-2, 7, 0.3, 0.4, -8, 0]) }, B: plus1([-5, 0.1, -6, 3]) };

test('ties_merging: global top-k trim, sign election, disjoint sum', async () => {
  const r = await run('ties_merging', { scaling_factor: 0.5, threshold: 20 }, base, [m1, m2]);
  assert.equal(r.A, [3.5, 4.5, 1, 1, -3, 1]);
  assert.equal(r.B, [3, 1, -5, 1]);
});

test('ties_merging: merge_func mean averages the agreeing entries', async () => {
  const r = await run('ties', { scaling_factor: 0.5, threshold: 20, merge_func: 'mean' }, base, [m1, m2]);
  assert.equal(r.B, [3, 1, -2, 1]);
});

test('ties_merging: merge_func max keeps the largest agreeing magnitude', async () => {
  const r = await run('ties', { scaling_factor: 1, threshold: 20, merge_func: 'max' }, base, [m1, m2]);
  assert.equal(r.A, [6, 8, 1, 1, -7, 1]);
  assert.equal(r.B, [5, 1, -5, 1]);
});

test('ties_merging: the top-k statistic spans tensors, whatever the chunk size', async () => {
  const r = await run('ties', { scaling_factor: 0.5, threshold: 20 }, base, [m1, m2], { chunkElements: 3 });
  assert.equal(r.A, [3.5, 4.5, 1, 1, -3, 1]);
  assert.equal(r.B, [3, 1, -5, 1]);
});

test('ties_merging: remove_keys keeps a tensor at the base and out of the statistic', async () => {
  // without B, d = 6: k = 6 − int(1.2) = 5 → keep top 2: τ1 keeps 5, -3; τ2 keeps 7, -8
  const r = await run('ties', { scaling_factor: 1, threshold: 20, remove_keys: ['B'] }, base, [m1, m2]);
  assert.equal(r.B, [1, 1, 1, 1]);
  assert.equal(r.A, [6, 8, 1, 1, -10, 1]);
});

test('ties_merging: exactly cancelling signs take the majority sign of the whole model', async () => {
  // threshold 99 keeps everything (k = 1); position 0: +3 and −3 sum to 0 → majority sign (+) → 3
  const r = await run('ties', { scaling_factor: 1, threshold: 99 }, { w: [0, 0, 0] }, [{ w: [3, 1, 1] }, { w: [-3, 1, 2] }]);
  assert.equal(r.w, [3, 2, 3]);
});

test('dare_task_arithmetic: sparsity 0 is task arithmetic; sparsity 1 without rescale is the base', async () => {
  const b = { w: [1, 1, 1] }, ms = [{ w: [2, 1, 0] }, { w: [1, 3, 1] }];
  assert.equal((await run('dare_task_arithmetic', { scaling_factor: 0.5, sparsity_ratio: 0 }, b, ms)).w, [1.5, 2, 0.5]);
  assert.equal((await run('dare', { scaling_factor: 0.5, sparsity_ratio: 1, rescale: false }, b, ms)).w, [1, 1, 1]);
});

test('dare_task_arithmetic: drops about sparsity_ratio of the entries and rescales the rest, reproducibly', async () => {
  const n = 20000;
  const b = { w: new Array<number>(n).fill(0) };
  const m = { w: new Array<number>(n).fill(1) };
  const r1 = await run('dare', { scaling_factor: 1, sparsity_ratio: 0.3, seed: 7 }, b, [m]);
  const kept = r1.w!.filter((x) => x !== 0);
  assert.ok(Math.abs(kept.length / n - 0.7) < 0.02, `kept ${kept.length / n}`);
  assert.ok(kept.every((x) => x === Math.fround(1 / Math.fround(0.7))), 'kept entries are rescaled by 1/(1 − p)');
  const r2 = await run('dare', { scaling_factor: 1, sparsity_ratio: 0.3, seed: 7 }, b, [m], { chunkElements: 999 });
  assert.equal(r2.w, r1.w, 'same seed → same mask, whatever the chunking');
  const r3 = await run('dare', { scaling_factor: 1, sparsity_ratio: 0.3, seed: 8 }, b, [m]);
  assert.not.equal(r3.w, r1.w, 'another seed → another mask');
});

test('dare: only_on_linear_weights leaves biases and embeddings intact', async () => {
  const z = (n: number) => new Array<number>(n).fill(0), o = (n: number) => new Array<number>(n).fill(1);
  const b = { 'l.weight': { shape: [20, 20], data: z(400) }, 'l.bias': z(20), 'tok.embedding.weight': { shape: [20, 20], data: z(400) } };
  const m = { 'l.weight': { shape: [20, 20], data: o(400) }, 'l.bias': o(20), 'tok.embedding.weight': { shape: [20, 20], data: o(400) } };
  const r = await run('dare', { scaling_factor: 1, sparsity_ratio: 0.5, only_on_linear_weights: true, rescale: false }, b, [m]);
  assert.equal(r['l.bias'], o(20));
  assert.equal(r['tok.embedding.weight'], o(400));
  const zeros = r['l.weight']!.filter((x) => x === 0).length;
  assert.ok(zeros > 120 && zeros < 280, `dropped ${zeros} of 400`);
});

test('dare_ties_merging: with sparsity 0 it is TIES', async () => {
  const r = await run('dare_ties', { scaling_factor: 0.5, threshold: 20, sparsity_ratio: 0 }, base, [m1, m2]);
  assert.equal(r.A, [3.5, 4.5, 1, 1, -3, 1]);
  assert.equal(r.B, [3, 1, -5, 1]);
});

test('dare_simple_average: sparsity 0 is the base plus the mean task vector', async () => {
  const r = await run('dare_simple_average', { sparsity_ratio: 0 }, { w: [1, 1] }, [{ w: [3, 1] }, { w: [1, 5] }]);
  assert.equal(r.w, [2, 3]);
});

test.run();
