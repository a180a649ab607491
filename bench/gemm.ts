// The built-in GEMM (native/src/gemm.cc: what a fresh `npm ci` machine without OpenBLAS runs)
// against OpenBLAS (dlopen'd by the addon, as the fbw-native backend does) and against the
// machine's measured peak (a tight FMA loop on the same SIMD width), at the GEMM shapes of one
// ViT-B/32 training step at batch 16 (tokens 16·50 = 800, width 768, MLP 3072, 12 heads): each
// Linear's forward X·Wᵀ, its input gradient dY·W and its weight gradient dYᵀ·X, and attention's
// batched per-head products; with 1 thread and with every core. Each GEMM runs interleaved
// (built-in, OpenBLAS, built-in, ...) and keeps its best time, so other load on a shared machine
// disturbs both sides alike. RESULT: built-in GFLOP/s over one step's GEMMs (time-weighted by how
// often each shape occurs), best thread count; ratio = built-in / OpenBLAS at its best.
//   npm run bench -- gemm [--reps 5] [--simd avx512|avx2|generic] [--threads 1,2]
import { availableParallelism } from 'node:os';
import { loadNativeAddon } from '../src/ml/backend/native/nativeAddon.js';
import { requireAnchor } from './_anchor.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const reps = Number(opt('reps', '5'));
const threadCounts = opt('threads', [...new Set([1, availableParallelism()])].join(',')).split(',').map(Number);

const loaded = loadNativeAddon();
if (!loaded.ok) {
  console.error(`bench gemm: the native addon is not available: ${loaded.reason}`);
  process.exit(1);
}
const addon = loaded.addon;
requireAnchor('gemm', 'OpenBLAS (loaded by the native addon with dlopen)', 'libopenblas0-pthread', addon.info().blas !== 'builtin');
const simd = addon.setSimd(opt('simd', 'auto'));

/** One GEMM of the step: C[m,n] = op(A) op(B), `batch` times (attention), `count` times per step. */
interface Shape { name: string; m: number; n: number; k: number; ta: boolean; tb: boolean; batch: number; count: number }
const T = 16 * 50, D = 768, F = 3072, L = 12, H = 12, S = 50, HD = 64;
const linears: [string, number, number, number][] = [ // name, out, in, per layer
  ['qkv', 3 * D, D, 1], ['out_proj', D, D, 1], ['fc1', F, D, 1], ['fc2', D, F, 1],
];
const shapes: Shape[] = [];
for (const [name, out, inp, per] of linears) {
  shapes.push({ name: `${name} fwd X·Wᵀ`, m: T, n: out, k: inp, ta: false, tb: true, batch: 1, count: per * L });
  shapes.push({ name: `${name} dX = dY·W`, m: T, n: inp, k: out, ta: false, tb: false, batch: 1, count: per * L });
  shapes.push({ name: `${name} dW = dYᵀ·X`, m: out, n: inp, k: T, ta: true, tb: false, batch: 1, count: per * L });
}
// attention per head: scores Q·Kᵀ, context P·V (forward), and their four backward products
shapes.push({ name: 'attn Q·Kᵀ (×192)', m: S, n: S, k: HD, ta: false, tb: true, batch: 16 * H, count: 2 * L });
shapes.push({ name: 'attn P·V (×192)', m: S, n: HD, k: S, ta: false, tb: false, batch: 16 * H, count: 2 * L });
shapes.push({ name: 'attn Pᵀ·dO (×192)', m: S, n: HD, k: S, ta: true, tb: false, batch: 16 * H, count: 2 * L });

function rand(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; v[i] = s / 4294967296 - 0.5; }
  return v;
}

/** Sleeps without yielding to the event loop (nothing else runs in this process). */
const pause = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

/** Seconds of one run of `s` on OpenBLAS or the built-in GEMM. */
function once(s: Shape, blas: boolean, a: Float32Array, b: Float32Array, c: Float32Array): number {
  // OpenBLAS's worker threads spin for ~2^28 cycles after a call before they sleep; let them
  // settle so they do not take a core from the run measured next (either side's)
  pause(150);
  const t = performance.now();
  if (s.batch === 1) {
    addon.gemm(blas, s.ta, s.tb, s.m, s.n, s.k, a, b, c);
  } else {
    addon.setBlas(blas);
    addon.matMul(a, b, c, s.batch, s.batch, s.m, s.n, s.k, s.ta, s.tb, null, 0, 0);
    addon.setBlas(true);
  }
  return (performance.now() - t) / 1000;
}

const gflop = (s: Shape): number => 2 * s.m * s.n * s.k * s.batch / 1e9;
const fmt = (x: number, w = 6): string => x.toFixed(1).padStart(w);

console.log(`built-in GEMM: ${simd} micro-kernel | anchor: ${addon.info().blas}`);
console.log(`ViT-B/32 training step at batch 16: ${shapes.reduce((a, s) => a + gflop(s) * s.count, 0).toFixed(0)} GFLOP in GEMMs; best of ${reps} interleaved runs per GEMM`);
const load0 = (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim();
console.log(`load average at start: ${load0}`);

type Row = { builtin: number; blas: number };
const perThreads = new Map<number, { rows: Row[]; peak: number; stepBuiltin: number; stepBlas: number }>();
for (const threads of threadCounts) {
  addon.setThreads(threads);
  // peak: the best of several FMA-loop runs as long as a GEMM run, before and after the GEMMs
  // (on a shared machine every run loses some time to other processes, the GEMMs' too)
  const measurePeak = (): number => { let p = 0; for (let i = 0; i < 12; i++) { pause(150); p = Math.max(p, addon.peakGflops(0.03, threads)); } return p; };
  let peak = measurePeak();
  const lines: string[] = [];
  const rows: Row[] = [];
  let stepBuiltin = 0, stepBlas = 0;
  for (const s of shapes) {
    const a = rand(s.m * s.k * s.batch, 1), b = rand(s.k * s.n * s.batch, 2);
    const c1 = new Float32Array(s.m * s.n * s.batch), c2 = new Float32Array(s.m * s.n * s.batch);
    once(s, false, a, b, c1); once(s, true, a, b, c2); // warm-up (packing buffers, pages)
    let tb = Infinity, to = Infinity;
    for (let r = 0; r < reps; r++) {
      tb = Math.min(tb, once(s, false, a, b, c1));
      to = Math.min(to, once(s, true, a, b, c2));
    }
    let maxDiff = 0;
    for (let i = 0; i < c1.length; i++) maxDiff = Math.max(maxDiff, Math.abs(c1[i]! - c2[i]!));
    if (!(maxDiff < 1e-3)) throw new Error(`${s.name}: built-in and OpenBLAS differ by ${maxDiff}`);
    const g = gflop(s);
    rows.push({ builtin: g / tb, blas: g / to });
    stepBuiltin += tb * s.count;
    stepBlas += to * s.count;
    process.stderr.write(`  measured ${s.name} (${threads} thread(s))\n`);
    lines.push(`${s.name.padEnd(22)} ${String(s.m).padStart(5)} ${String(s.n).padStart(5)} ${String(s.k).padStart(5)}  ${fmt(g / tb, 8)}  ${fmt(g / to, 8)}  ${(to / tb).toFixed(2).padStart(5)}`);
  }
  peak = Math.max(peak, measurePeak());
  console.log(`\n${threads} thread(s): measured peak (FMA loop, ${simd}) ${peak.toFixed(1)} GFLOP/s`);
  console.log(`${'GEMM'.padEnd(22)} ${'m'.padStart(5)} ${'n'.padStart(5)} ${'k'.padStart(5)}  built-in  OpenBLAS  ratio  %peak`);
  lines.forEach((l, i) => console.log(`${l}  ${fmt(100 * rows[i]!.builtin / peak, 5)}`));
  const total = shapes.reduce((acc, s) => acc + gflop(s) * s.count, 0);
  console.log(`one step's GEMMs: built-in ${stepBuiltin.toFixed(2)} s (${(total / stepBuiltin).toFixed(1)} GFLOP/s, ${(100 * total / stepBuiltin / peak).toFixed(0)} % of peak), OpenBLAS ${stepBlas.toFixed(2)} s (${(total / stepBlas).toFixed(1)} GFLOP/s); built-in / OpenBLAS ${(stepBlas / stepBuiltin).toFixed(2)}`);
  perThreads.set(threads, { rows, peak, stepBuiltin, stepBlas });
}
addon.setSimd('auto');

const total = shapes.reduce((acc, s) => acc + gflop(s) * s.count, 0);
if (threadCounts.length > 1) {
  const [t1, t2] = [threadCounts[0]!, threadCounts[threadCounts.length - 1]!];
  const a = perThreads.get(t1)!, b = perThreads.get(t2)!;
  console.log(`\nthread scaling ${t1} → ${t2}: built-in ${(a.stepBuiltin / b.stepBuiltin).toFixed(2)}×, OpenBLAS ${(a.stepBlas / b.stepBlas).toFixed(2)}×, FMA peak ${(b.peak / a.peak).toFixed(2)}×`);
}
console.log(`load average at end: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
const bestBuiltin = Math.min(...[...perThreads.values()].map((v) => v.stepBuiltin));
const bestBlas = Math.min(...[...perThreads.values()].map((v) => v.stepBlas));
console.log(`RESULT name=gemm value=${(total / bestBuiltin).toFixed(1)} unit=GFLOP/s anchor=openblas(${(total / bestBlas).toFixed(1)}GFLOP/s) ratio=${(bestBlas / bestBuiltin).toFixed(3)}`);
