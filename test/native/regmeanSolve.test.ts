// RegMean's closed form at a real ViT-B/32 layer size (768 inputs: q/k/v/out_proj, fc1): the
// product's native path (built-in GEMM sums + blocked LU) gives the same bits with 1 and 2
// threads, so a merge does not depend on the slot it ran on, and agrees with numpy.linalg.solve
// (LAPACK's dgesv, Debian's python3-numpy) to 1e-4 relative.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../src/ml/backend/native/nativeAddon.js';
import { regmeanAccumulate, regmeanSolve, type RegmeanSums } from '../../src/ml/merge/regmean.js';

const loaded = loadNativeAddon();
const addon = loaded.ok ? loaded.addon : undefined;
const initialThreads = addon?.info().threads ?? 1;

/** Deterministic values in [-0.5, 0.5). */
function rand(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; v[i] = s / 4294967296 - 0.5; }
  return v;
}

/**
 * A Gram matrix as RegMean collects it: XᵀX / rows over 1,600 rows (two batches of 16 images ×
 * 50 tokens) of activations with correlated features (a shared component plus noise), so the
 * off-diagonal entries are not negligible.
 */
function gram(d: number, seed: number): Float64Array {
  const rows = 1600, x = rand(rows * d, seed), mix = rand(rows, seed + 1);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) x[r * d + c] = x[r * d + c]! + 0.5 * mix[r]! * Math.cos(c);
  const g = new Float32Array(d * d);
  addon!.gemm(false, true, false, d, d, rows, x, x, g);
  return Float64Array.from(g, (v) => v / rows);
}

const D = 768, O = 768, MODELS = 3, ALPHA = 0.6;
const grams = addon ? Array.from({ length: MODELS }, (_, i) => gram(D, 10 + i)) : [];
const weights = Array.from({ length: MODELS }, (_, i) => rand(O * D, 50 + i));

/** RegMean's sums over the models, with `threads` native threads */
function sums(threads: number): RegmeanSums {
  addon!.setThreads(threads);
  const s: RegmeanSums = { A: new Float64Array(D * D), B: new Float64Array(D * O), d: D, o: O };
  for (let i = 0; i < MODELS; i++) regmeanAccumulate(s, grams[i]!, weights[i]!, ALPHA, addon!);
  return s;
}

test('RegMean sums and solve at 768×768 give the same bits with 1 and 2 threads', () => {
  if (!addon) return;
  try {
    const one = sums(1), two = sums(2);
    assert.ok(Buffer.from(one.A.buffer).equals(Buffer.from(two.A.buffer)), 'Σ G̃ differs between 1 and 2 threads');
    assert.ok(Buffer.from(one.B.buffer).equals(Buffer.from(two.B.buffer)), 'Σ G̃Wᵀ differs between 1 and 2 threads');
    addon.setThreads(1);
    const w1 = regmeanSolve(one, 'layer', addon);
    addon.setThreads(2);
    const w2 = regmeanSolve(two, 'layer', addon);
    let differ = 0;
    for (let i = 0; i < w1.length; i++) if (!Object.is(w1[i], w2[i])) differ++;
    assert.is(differ, 0, `${differ} of ${w1.length} merged values differ between 1 and 2 threads`);
    // the bare solve too, on the float64 system
    const s = sums(1);
    const a1 = s.A.slice(), b1 = s.B.slice(), a2 = s.A.slice(), b2 = s.B.slice();
    addon.setThreads(1);
    assert.is(addon.solve(a1, b1, D, O, false), 0);
    addon.setThreads(2);
    assert.is(addon.solve(a2, b2, D, O, false), 0);
    assert.ok(Buffer.from(b1.buffer).equals(Buffer.from(b2.buffer)), 'the blocked LU solve differs between 1 and 2 threads');
  } finally {
    addon.setThreads(initialThreads);
  }
});

test('RegMean solve at 768×768 agrees with numpy.linalg.solve to 1e-4 relative', () => {
  if (!addon) return;
  const s = sums(initialThreads);
  const dir = mkdtempSync(join(tmpdir(), 'fbw-regmean-np-'));
  try {
    writeFileSync(join(dir, 'A.f64'), new Uint8Array(s.A.buffer));
    writeFileSync(join(dir, 'B.f64'), new Uint8Array(s.B.buffer));
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import sys, numpy as np',
      `d, o, p = ${D}, ${O}, sys.argv[1]`,
      "A = np.fromfile(p + '/A.f64', dtype='<f8').reshape(d, d)",
      "B = np.fromfile(p + '/B.f64', dtype='<f8').reshape(d, o)",
      "np.linalg.solve(A, B).astype('<f8').tofile(p + '/X.f64')",
    ].join('\n'), dir], { encoding: 'utf8' });
    assert.is(py.status, 0, `numpy failed: ${py.stderr}`);
    const b = readFileSync(join(dir, 'X.f64'));
    const want = new Float64Array(b.buffer, b.byteOffset, D * O);
    const got = regmeanSolve(s, 'layer', addon); // [O, D] = Xᵀ
    let maxErr = 0, maxRef = 0;
    for (let c = 0; c < D; c++) for (let q = 0; q < O; q++) {
      const ref = want[c * O + q]!;
      maxErr = Math.max(maxErr, Math.abs(got[q * D + c]! - ref));
      maxRef = Math.max(maxRef, Math.abs(ref));
    }
    assert.ok(maxRef > 0, 'numpy gave an all-zero solution');
    assert.ok(maxErr / maxRef <= 1e-4, `max |W* − numpy| / max |numpy| = ${(maxErr / maxRef).toExponential(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
