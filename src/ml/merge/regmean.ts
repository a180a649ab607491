// RegMean: merge each Linear layer by the closed-form solution of a least-squares problem over
// the layers' inputs, W* = (Σ_i G_i)^-1 Σ_i G_i W_i (W as [in, out], G_i = X_iᵀX_i / rows).
// Jin et al., "Dataless knowledge fusion by merging weights of language models", ICLR 2023
// (arXiv 2212.09849). FusionBench: fusion_bench/method/regmean/regmean.py and clip_regmean.py,
// config/method/clip_regmean.yaml: Gram matrices of every Linear input over
// num_regmean_examples training examples (running mean over batch·tokens rows), off-diagonal
// entries multiplied by reduce_non_diagonal_ratio, non-Linear parameters simply averaged.
import * as tf from '@tensorflow/tfjs-core';
import { batches, excluded, visionNames, type ModelMergeArgs } from './modelMerge.js';
import { classify } from '../eval/evaluate.js';
import type { ForwardContext } from '../models/clip.js';
import { loadNativeAddon, type NativeAddon } from '../backend/native/nativeAddon.js';
import { Interrupted } from '../../util/interrupted.js';

/**
 * Solve A X = B for X (A [d, d], B [d, m], row-major float64), Gaussian elimination with partial
 * pivoting, in JavaScript: the reference for the native solve and the path when the addon is absent.
 */
export function solve(A: Float64Array, B: Float64Array, d: number, m: number): Float64Array {
  const a = Float64Array.from(A), b = Float64Array.from(B);
  for (let c = 0; c < d; c++) {
    let piv = c, best = Math.abs(a[c * d + c]!);
    for (let r = c + 1; r < d; r++) { const v = Math.abs(a[r * d + c]!); if (v > best) { best = v; piv = r; } }
    if (best === 0) throw new Error(`regmean: singular Gram matrix (column ${c}); use more examples or a smaller reduce_non_diagonal_ratio`);
    if (piv !== c) {
      for (let j = 0; j < d; j++) { const t = a[c * d + j]!; a[c * d + j] = a[piv * d + j]!; a[piv * d + j] = t; }
      for (let j = 0; j < m; j++) { const t = b[c * m + j]!; b[c * m + j] = b[piv * m + j]!; b[piv * m + j] = t; }
    }
    const inv = 1 / a[c * d + c]!;
    for (let r = c + 1; r < d; r++) {
      const f = a[r * d + c]! * inv;
      if (f === 0) continue;
      for (let j = c; j < d; j++) a[r * d + j] = a[r * d + j]! - f * a[c * d + j]!;
      for (let j = 0; j < m; j++) b[r * m + j] = b[r * m + j]! - f * b[c * m + j]!;
    }
  }
  for (let c = d - 1; c >= 0; c--) {
    const inv = 1 / a[c * d + c]!;
    for (let j = 0; j < m; j++) {
      let s = b[c * m + j]!;
      for (let k = c + 1; k < d; k++) s -= a[c * d + k]! * b[k * m + j]!;
      b[c * m + j] = s * inv;
    }
  }
  return b;
}

/** RegMean's running sums for one Linear layer: A = Σ G̃_i [in, in], B = Σ G̃_i W_iᵀ [in, out]. */
export interface RegmeanSums {
  readonly A: Float64Array;
  readonly B: Float64Array;
  readonly d: number;
  readonly o: number;
}

/** The addon when it is built (its O(d³) solve is native, LAPACK when OpenBLAS is loaded). */
function nativeLinalg(): NativeAddon | undefined {
  const r = loadNativeAddon();
  return r.ok && typeof r.addon.solve === 'function' ? r.addon : undefined;
}

/** Folds one model's Gram matrix G [d, d] and Linear weight W [o, d] into the sums (addon null: in JavaScript). */
export function regmeanAccumulate(sums: RegmeanSums, gram: Float64Array, w: Float32Array, alpha: number,
  addon: NativeAddon | null = nativeLinalg() ?? null): void {
  const { A, B, d, o } = sums;
  if (addon) { addon.regmeanAccumulate(A, B, gram, w, d, o, alpha); return; }
  const gt = new Float64Array(d * d);
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) gt[r * d + c] = r === c ? gram[r * d + c]! : gram[r * d + c]! * alpha;
  for (let j = 0; j < d * d; j++) A[j] = A[j]! + gt[j]!;
  // B += G̃ · Wᵀ  (Wᵀ[c, q] = w[q, c])
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) {
    const gv = gt[r * d + c]!;
    if (gv === 0) continue;
    for (let q = 0; q < o; q++) B[r * o + q] = B[r * o + q]! + gv * w[q * d + c]!;
  }
}

/**
 * The merged weight W* [o, d] (as stored: [out, in]) from the sums: solve A W*ᵀ = B (addon null: in
 * JavaScript). Consumes the sums. Natively the solve is the built-in blocked LU, whose result does
 * not depend on the thread count (each GEMM element is summed in the same order however the rows
 * are split), as the built-in GEMM's; LAPACK's dgesv (OpenBLAS), whose bits change with its
 * threads, only when the user chose OpenBLAS for GEMMs (FBW_NATIVE_BLAS=openblas).
 */
export function regmeanSolve(sums: RegmeanSums, module: string, addon: NativeAddon | null = nativeLinalg() ?? null): Float32Array {
  const { A, B, d, o } = sums;
  let X: Float64Array;
  if (addon) {
    const bad = addon.solve(A, B, d, o, addon.info().gemm === 'openblas');
    if (bad !== 0) throw new Error(`regmean: singular Gram matrix of ${module} (column ${bad - 1}); use more examples or a smaller reduce_non_diagonal_ratio`);
    X = B;
  } else {
    X = solve(A, B, d, o);
  }
  const r = new Float32Array(o * d);
  for (let q = 0; q < o; q++) for (let c = 0; c < d; c++) r[q * d + c] = X[c * o + q]!;
  return r;
}

/** RegMean's arguments (FusionBench clip_regmean.yaml names). */
export interface RegMeanArgs {
  readonly exclude_param_names_regex: readonly string[];
  readonly num_regmean_examples: number;
  readonly reduce_non_diagonal_ratio: number;
  readonly batch_size: number;
  /** seeds the order of the examples (model i uses seed + i) */
  readonly seed: number;
}

/** RegMean over the vision tower's Linear layers (q/k/v/out_proj, fc1, fc2): merged vision tensors. */
export async function regmeanMerge(p: RegMeanArgs, a: ModelMergeArgs): Promise<Map<string, Float32Array>> {
  const n = a.members.count;
  const skip = excluded(p.exclude_param_names_regex);
  const names = visionNames(a.base).filter((k) => !skip(k));
  const alpha = p.reduce_non_diagonal_ratio;
  const bs = p.batch_size, count = p.num_regmean_examples;
  // Each model's Gram matrices are folded into per-layer sums as soon as they are complete, so
  // only one model's Grams are held at a time (at ViT-B/32 they are ~1 GB of float64 per model).
  const sums = new Map<string, RegmeanSums>();
  const linear = new Set(names.filter((k) => k.endsWith('.weight')).map((k) => k.slice(0, -'.weight'.length)));
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  // tensors outside the merged Linear weights are simply averaged: their running sums, member by member
  const others = new Map<string, Float64Array>();
  for (let i = 0; i < n; i++) await a.members.with(i, async (model) => {
    const ds = await a.data(i, 'train');
    const tm = performance.now();
    const G = new Map<string, { g: Float64Array; rows: number; d: number }>();
    // q_proj, k_proj and v_proj read the same input tensor: its XᵀX is computed once for the three
    let last: { x: tf.Tensor2D; v: ArrayLike<number> } | undefined;
    const ctx: ForwardContext = {
      p: (k) => model.get(k), trainable: () => false,
      adapter: (module, x) => {
        if (!module.startsWith('vision_model.') || !linear.has(module)) return undefined;
        const d = x.shape[1];
        if (last?.x !== x) {
          const xtx = tf.matMul(x, x, true, false);
          last = { x, v: xtx.dataSync() };
          xtx.dispose();
        }
        const v = last.v;
        let e = G.get(module);
        if (!e) { e = { g: new Float64Array(d * d), rows: 0, d }; G.set(module, e); }
        for (let j = 0; j < v.length; j++) e.g[j] = e.g[j]! + v[j]!;
        e.rows += x.shape[0];
        return undefined;
      },
    };
    let step = 0;
    for (const b of batches(ds, model.config.vision_config.image_size, bs, count, p.seed + i)) {
      if (a.signal?.aborted) throw new Interrupted(0, 'merge');
      tf.tidy(() => { classify(model, a.heads[i]!, b.x, b.n, ctx); });
      a.progress?.({ step: ++step, total: Math.ceil(count / bs), phase: `regmean ${i + 1}/${n}` });
    }
    last = undefined;
    a.log(`regmean: model ${i + 1}/${n}: Gram matrices of ${G.size} Linear inputs over ${count} examples in ${((performance.now() - tm) / 1e3).toFixed(1)} s`);
    for (const k of names) {
      if (k.endsWith('.weight') && G.has(k.slice(0, -'.weight'.length))) continue;
      let acc = others.get(k);
      if (!acc) { acc = new Float64Array(a.base.get(k).size); others.set(k, acc); }
      const v = model.get(k).dataSync() as Float32Array;
      for (let e = 0; e < v.length; e++) acc[e] = acc[e]! + v[e]!;
    }
    const missing = i > 0 ? [...sums.keys()].find((m) => !G.has(m)) : undefined;
    if (missing !== undefined) throw new Error(`regmean: model ${i + 1} recorded no inputs of ${missing}`);
    for (const [module, e] of G) {
      for (let j = 0; j < e.g.length; j++) e.g[j] = e.g[j]! / e.rows;
      const w = model.get(`${module}.weight`).dataSync() as Float32Array;
      let s = sums.get(module);
      if (!s) {
        if (i > 0) throw new Error(`regmean: only model ${i + 1} recorded inputs of ${module}`);
        s = { A: new Float64Array(e.d * e.d), B: new Float64Array(w.length), d: e.d, o: w.length / e.d };
        sums.set(module, s);
      }
      regmeanAccumulate(s, e.g, w, alpha);
      G.delete(module);
    }
  });
  const collected = performance.now(), cpu1 = process.cpuUsage(cpu0);
  const out = new Map<string, Float32Array>();
  let merged = 0;
  for (const k of names) {
    const module = k.endsWith('.weight') ? k.slice(0, -'.weight'.length) : '';
    const s = module ? sums.get(module) : undefined;
    if (s) {
      out.set(k, regmeanSolve(s, module));
      sums.delete(module);
      merged++;
    } else {
      const acc = others.get(k)!, r = new Float32Array(acc.length);
      for (let e = 0; e < r.length; e++) r[e] = acc[e]! / n;
      out.set(k, r);
    }
  }
  const cpu2 = process.cpuUsage(cpu0), cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
  a.log(`regmean: ${merged} Linear weights merged in closed form (${nativeLinalg() ? 'native solve' : 'JavaScript solve'}), ${names.length - merged} other tensors averaged; ` +
    `Grams ${((collected - t0) / 1e3).toFixed(1)} s (${cpuS(cpu1).toFixed(1)} CPU-s), sums and solves ${((performance.now() - collected) / 1e3).toFixed(1)} s (${(cpuS(cpu2) - cpuS(cpu1)).toFixed(1)} CPU-s)`);
  return out;
}
