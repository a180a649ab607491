// RegMean's closed-form part at ViT-B/32 width: for every Linear of the vision tower (per layer
// q/k/v/out_proj 768→768, fc1 768→3072, fc2 3072→768), fold each model's Gram matrix and weight
// into A = Σ G̃_i, B = Σ G̃_i W_iᵀ and solve A W*ᵀ = B — the O(d³) work that src/ml/merge/regmean.ts
// now does in native code: the built-in GEMM and blocked LU, whose result does not depend on the
// thread count (--openblas: OpenBLAS dgemm + LAPACK dgesv instead, what FBW_NATIVE_BLAS=openblas gives).
// Gram matrices are real XᵀX/rows of seeded activations. The anchor is the
// JavaScript implementation it replaced, measured in the same run on one 768→768 module and
// scaled by flop count to the other shapes (a 3072-wide JavaScript solve alone takes minutes).
// The forward passes that collect the Grams are inference and are measured by the ViT-B/32
// benchmarks, not here.
//   npm run bench -- regmean_solve [--layers 12] [--models 8] [--threads N] [--openblas]
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { loadNativeAddon } from '../src/ml/backend/native/nativeAddon.js';
import { regmeanAccumulate, regmeanSolve, type RegmeanSums } from '../src/ml/merge/regmean.js';
import { requireAnchor } from './_anchor.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const LAYERS = opt('layers', 12), MODELS = opt('models', 8);
const loaded = loadNativeAddon();
if (!loaded.ok) { console.error(`bench regmean_solve: the native addon is not available: ${loaded.reason}`); process.exit(1); }
const addon = loaded.addon;
addon.setThreads(opt('threads', availableParallelism()));
// the product's path by default (built-in GEMM + blocked LU); --openblas: OpenBLAS dgemm + LAPACK dgesv
const useLapack = args.includes('--openblas');
if (useLapack) {
  requireAnchor('regmean_solve --openblas', 'OpenBLAS (libopenblas.so.0, found by the native addon)', 'libopenblas0-pthread', addon.info().lapack);
  addon.setBlas(true);
}
const solveWith = addon;

function rand(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; v[i] = s / 4294967296 - 0.5; }
  return v;
}
/** G = XᵀX / rows for 800 rows of seeded activations (one batch of 16 images × 50 tokens). */
function gram(d: number, seed: number): Float64Array {
  const rows = 800, x = rand(rows * d, seed), g = new Float32Array(d * d);
  addon.gemm(false, true, false, d, d, rows, x, x, g);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) out[i] = g[i]! / rows;
  for (let i = 0; i < d; i++) out[i * d + i] = out[i * d + i]! + 1e-3; // a full-rank Gram, as with real data
  return out;
}

const modules: [string, number, number][] = [['q_proj', 768, 768], ['k_proj', 768, 768], ['v_proj', 768, 768], ['out_proj', 768, 768], ['fc1', 768, 3072], ['fc2', 3072, 768]];
// flops of one module: accumulate 2·d²·o per model, LU 2/3·d³ + solve 2·d²·o
const flops = (d: number, o: number, models: number): number => models * 2 * d * d * o + (2 / 3) * d * d * d + 2 * d * d * o;

console.log(`RegMean closed form at ViT-B/32 width: ${LAYERS} layers × ${modules.length} Linears, ${MODELS} models; native ${useLapack ? `OpenBLAS dgemm + LAPACK dgesv (${addon.info().blas})` : `built-in ${addon.info().simd} GEMM + blocked LU`}, ${addon.info().threads} thread(s)`);
console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
// one set of Grams and weights per shape, reused for every layer (the arithmetic does not care)
const grams = new Map<number, Float64Array[]>();
for (const d of [768, 3072]) grams.set(d, Array.from({ length: MODELS }, (_, i) => gram(d, 100 + i)));
const weights = new Map<string, Float32Array[]>();
for (const [, d, o] of modules) if (!weights.has(`${o}x${d}`)) weights.set(`${o}x${d}`, Array.from({ length: MODELS }, (_, i) => rand(o * d, 200 + i)));

let nativeSeconds = 0, totalFlops = 0;
for (let l = 0; l < LAYERS; l++) {
  const t0 = performance.now();
  for (const [name, d, o] of modules) {
    const s: RegmeanSums = { A: new Float64Array(d * d), B: new Float64Array(d * o), d, o };
    for (let i = 0; i < MODELS; i++) regmeanAccumulate(s, grams.get(d)![i]!, weights.get(`${o}x${d}`)![i]!, 0.6, addon);
    regmeanSolve(s, `layers.${l}.${name}`, solveWith);
    totalFlops += flops(d, o, MODELS);
  }
  const dt = (performance.now() - t0) / 1000;
  nativeSeconds += dt;
  console.log(`layer ${l + 1}/${LAYERS}: ${dt.toFixed(2)} s`);
}
console.log(`native: ${nativeSeconds.toFixed(1)} s for ${LAYERS} layers (${(totalFlops / nativeSeconds / 1e9).toFixed(1)} GFLOP/s float64)`);

// the JavaScript implementation on one 768→768 module (all models), scaled by flop count
const d = 768, o = 768;
const s: RegmeanSums = { A: new Float64Array(d * d), B: new Float64Array(d * o), d, o };
const t0 = performance.now();
for (let i = 0; i < MODELS; i++) regmeanAccumulate(s, grams.get(d)![i]!, weights.get(`${o}x${d}`)![i]!, 0.6, null);
regmeanSolve(s, 'js', null);
const jsOne = (performance.now() - t0) / 1000;
const jsRate = flops(d, o, MODELS) / jsOne;
const jsSeconds = totalFlops / jsRate;
console.log(`JavaScript: ${jsOne.toFixed(1)} s for one 768→768 module (${(jsRate / 1e9).toFixed(2)} GFLOP/s) → ${jsSeconds.toFixed(0)} s (${(jsSeconds / 60).toFixed(1)} min) for ${LAYERS} layers at that rate`);
console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log(`RESULT name=regmean_solve value=${nativeSeconds.toFixed(1)} unit=s anchor=javascript(${jsSeconds.toFixed(0)}s,extrapolated) ratio=${(jsSeconds / nativeSeconds).toFixed(2)}`);
