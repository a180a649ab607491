// The built-in GEMM (every micro-kernel family this CPU runs, 1 and 2 threads, all four transpose
// combinations, odd shapes that leave edge tiles and cross every cache block) against a naive
// float64 reference; the threaded element-wise kernels against the tfjs cpu backend; the native
// linear solve and RegMean sums against the JavaScript implementation they replace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { loadNativeAddon, type NativeAddon } from '../../src/ml/backend/native/nativeAddon.js';
import { registerNativeBackend } from '../../src/ml/backend/native/registerNativeBackend.js';
import { regmeanAccumulate, regmeanSolve, solve, type RegmeanSums } from '../../src/ml/merge/regmean.js';

const status = await registerNativeBackend();
const loaded = loadNativeAddon();
const addon: NativeAddon | undefined = loaded.ok ? loaded.addon : undefined;
const initialBackend = tf.getBackend() || 'cpu';
const initialThreads = addon?.info().threads ?? 1;

/** Deterministic values in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    v[i] = (s / 4294967296) * 2 - 1;
  }
  return v;
}

/** op(A) op(B) in float64, A stored [k,m] when ta, B stored [n,k] when tb; also Σ|a||b| per entry. */
function reference(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Float32Array, B: Float32Array): [Float64Array, Float64Array] {
  const c = new Float64Array(m * n), mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0, t = 0;
    for (let p = 0; p < k; p++) {
      const a = ta ? A[p * m + i]! : A[i * k + p]!;
      const b = tb ? B[j * k + p]! : B[p * n + j]!;
      s += a * b;
      t += Math.abs(a * b);
    }
    c[i * n + j] = s;
    mag[i * n + j] = t;
  }
  return [c, mag];
}

function checkGemm(label: string, ta: boolean, tb: boolean, m: number, n: number, k: number): void {
  const A = rand(m * k, m * 7 + k), B = rand(k * n, n * 13 + k + 1);
  const C = new Float32Array(m * n).fill(Number.NaN); // every element must be written
  addon!.gemm(false, ta, tb, m, n, k, A, B, C);
  const [ref, mag] = reference(ta, tb, m, n, k, A, B);
  for (let i = 0; i < m * n; i++) {
    // float32 accumulation: error grows like eps · Σ|a·b|
    if (!(Math.abs(C[i]! - ref[i]!) <= 1e-5 * (mag[i]! + 1))) {
      assert.unreachable(`${label} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k} [${Math.floor(i / n)},${i % n}]: ${C[i]} vs ${ref[i]}`);
    }
  }
}

// Edge tiles (1, 3, 13, 37), k across the 256-deep block, m across the 192-row block and n across
// the 3,072-column panel, plus the degenerate k = 0.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [13, 17, 19], [37, 50, 64], [12, 32, 256], [100, 33, 257], [200, 70, 300], [5, 3100, 9], [4, 6, 0],
];

test('built-in GEMM matches a float64 reference: every SIMD path, 1 and 2 threads, all transposes, odd shapes', () => {
  if (!addon) { console.log(`  skipped: ${status.ok ? '' : status.reason}`); return; }
  const paths = [...new Set(['generic', 'avx2', 'avx512'].map((s) => addon.setSimd(s)))];
  try {
    for (const simd of paths) {
      addon.setSimd(simd);
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        for (const [m, n, k] of SHAPES) for (const ta of [false, true]) for (const tb of [false, true]) checkGemm(`${simd}/${threads}t`, ta, tb, m, n, k);
      }
    }
  } finally {
    addon.setSimd('auto');
    addon.setThreads(initialThreads);
  }
  assert.ok(paths.includes('generic'));
});

test('fbw-native BatchMatMul/_FusedMatMul on the built-in GEMM with 2 threads equal the cpu backend', async () => {
  if (!addon || !status.ok) return;
  addon.setThreads(2);
  addon.setBlas(false);
  try {
    const cases: [number[], number[], boolean, boolean][] = [
      [[24, 50, 64], [24, 50, 64], false, true], // attention scores: many small GEMMs across the pool
      [[24, 50, 50], [24, 50, 64], false, false],
      [[24, 50, 64], [24, 50, 50], true, false],
      [[2, 400, 96], [160, 96], false, true], // tokens × W: batch folded into rows
      [[96, 130], [96, 70], true, false], // weight gradient Xᵀ·dY
    ];
    for (const [as, bs, ta, tb] of cases) {
      const a = rand(as.reduce((x, y) => x * y, 1), 3), b = rand(bs.reduce((x, y) => x * y, 1), 4);
      const nOut = tb ? bs[bs.length - 2]! : bs[bs.length - 1]!;
      const bias = rand(nOut, 5);
      const run = async (backend: string): Promise<Float32Array> => {
        await tf.setBackend(backend);
        const y = tf.tidy(() => tf.fused.matMul({ a: tf.tensor(a, as), b: tf.tensor(b, bs), transposeA: ta, transposeB: tb, bias: tf.tensor(bias), activation: 'relu' }));
        const v = (await y.data()) as Float32Array;
        y.dispose();
        return v;
      };
      const want = await run('cpu'), got = await run('fbw-native');
      assert.is(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        if (Math.abs(got[i]! - want[i]!) > 1e-4 * Math.max(1, Math.abs(want[i]!))) assert.unreachable(`${as}×${bs} [${i}]: ${got[i]} vs ${want[i]}`);
      }
    }
  } finally {
    addon.setBlas(true);
    addon.setThreads(initialThreads);
    await tf.setBackend(initialBackend);
  }
});

test('element-wise kernels split across 2 threads equal the cpu backend (above the parallel grain)', async () => {
  if (!addon || !status.ok) return;
  addon.setThreads(2);
  try {
    const x = rand(300 * 513, 9), y = rand(513, 10), z = rand(300 * 513, 11);
    const ops: [string, () => tf.Tensor][] = [
      ['add broadcast', () => tf.add(tf.tensor(x, [300, 513]), tf.tensor(y, [513]))],
      ['mul outer broadcast', () => tf.mul(tf.tensor(x, [300, 1, 513]), tf.tensor(z.subarray(0, 4 * 513), [4, 513]))],
      ['exp', () => tf.exp(tf.tensor(x, [300, 513]))],
      ['softmax', () => tf.softmax(tf.tensor(x, [300, 513]))],
      ['addN', () => tf.addN([tf.tensor(x, [300, 513]), tf.tensor(z, [300, 513]), tf.tensor(x, [300, 513])])],
    ];
    for (const [name, f] of ops) {
      const run = async (backend: string): Promise<Float32Array> => {
        await tf.setBackend(backend);
        const t = tf.tidy(f);
        const v = (await t.data()) as Float32Array;
        t.dispose();
        return v;
      };
      const want = await run('cpu'), got = await run('fbw-native');
      assert.is(got.length, want.length, name);
      for (let i = 0; i < want.length; i++) {
        if (Math.abs(got[i]! - want[i]!) > 1e-5 * Math.max(1, Math.abs(want[i]!))) assert.unreachable(`${name} [${i}]: ${got[i]} vs ${want[i]}`);
      }
    }
  } finally {
    addon.setThreads(initialThreads);
    await tf.setBackend(initialBackend);
  }
});

/** A well-conditioned d×d system with m right-hand sides (diagonally dominant, random signs). */
function system(d: number, m: number, seed: number): [Float64Array, Float64Array] {
  const a = Float64Array.from(rand(d * d, seed));
  for (let i = 0; i < d; i++) a[i * d + i] = a[i * d + i]! + (i % 2 ? -1 : 1) * d * 0.3;
  return [a, Float64Array.from(rand(d * m, seed + 1))];
}

test('native solve (built-in blocked LU and LAPACK) equals the JavaScript solve', () => {
  if (!addon) return;
  for (const [d, m] of [[1, 1], [5, 3], [70, 9], [150, 40]] as const) {
    const [a, b] = system(d, m, d);
    const want = solve(a, b, d, m);
    for (const lapack of [false, true]) {
      const aa = a.slice(), bb = b.slice();
      assert.is(addon.solve(aa, bb, d, m, lapack), 0);
      for (let i = 0; i < want.length; i++) {
        if (Math.abs(bb[i]! - want[i]!) > 1e-10 * Math.max(1, Math.abs(want[i]!))) assert.unreachable(`d=${d} lapack=${lapack} [${i}]: ${bb[i]} vs ${want[i]}`);
      }
    }
  }
  // a zero column is reported (1-based), not divided by
  const sing = Float64Array.of(1, 0, 0, 2, 0, 0, 3, 0, 1);
  assert.is(addon.solve(sing.slice(), new Float64Array(3), 3, 1, false), 2);
  assert.ok(addon.solve(sing.slice(), new Float64Array(3), 3, 1, true) > 0);
});

test('RegMean sums and solve: native equals the JavaScript implementation', () => {
  if (!addon) return;
  const d = 96, o = 40, models = 3, alpha = 0.6;
  const sums = (): RegmeanSums => ({ A: new Float64Array(d * d), B: new Float64Array(d * o), d, o });
  const nat = sums(), js = sums();
  for (let i = 0; i < models; i++) {
    // G = XᵀX / rows from real activations-like data; W [o, d]
    const rows = 150, x = rand(rows * d, 20 + i), g = new Float64Array(d * d);
    for (let r = 0; r < rows; r++) for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) g[p * d + q] = g[p * d + q]! + x[r * d + p]! * x[r * d + q]! / rows;
    const w = rand(o * d, 40 + i);
    regmeanAccumulate(nat, g, w, alpha, addon);
    regmeanAccumulate(js, g, w, alpha, null);
  }
  for (let i = 0; i < d * o; i++) assert.ok(Math.abs(nat.B[i]! - js.B[i]!) <= 1e-9 * Math.max(1, Math.abs(js.B[i]!)), `B[${i}]`);
  const got = regmeanSolve(nat, 'layer', addon), want = regmeanSolve(js, 'layer', null);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > 1e-6 * Math.max(1, Math.abs(want[i]!))) assert.unreachable(`W*[${i}]: ${got[i]} vs ${want[i]}`);
  }
});

test.run();
