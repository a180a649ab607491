// Loads the compiled N-API kernel addon (native/build/Release/fbw_kernels.node) and types it, so
// the rest of fbw sees either the addon or the reason it is unavailable (never a crash).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Codes of the addon's elementwise binary ops (must match native/src/fbw_kernels.cc). */
export const BinaryOp = {
  add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, pow: 6, squaredDifference: 7, divNoNan: 8, prelu: 9,
} as const;

/** Codes of the addon's unary ops (must match native/src/fbw_kernels.cc). */
export const UnaryOp = {
  exp: 0, log: 1, sqrt: 2, rsqrt: 3, tanh: 4, sigmoid: 5, neg: 6, square: 7, reciprocal: 8, relu: 9,
  abs: 10, erf: 11, log1p: 12, expm1: 13, relu6: 14, elu: 15, softplus: 16, step: 17, leakyRelu: 18,
  sign: 19, clip: 20, sin: 21, cos: 22,
} as const;

/** Codes of the addon's reductions. */
export const ReduceOp = { sum: 0, mean: 1, max: 2, min: 3, prod: 4 } as const;

/** Fused-matmul epilogue activations understood by the addon. */
export const Activation = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, leakyrelu: 4, elu: 5 } as const;

/** The addon's functions; every array argument is written or read in place. */
/** What the addon says about itself. */
export interface NativeAddonInfo {
  /** the OpenBLAS found (config string and file), or 'builtin' */
  readonly blas: string;
  /** threads of the addon's pool (and of OpenBLAS) */
  readonly threads: number;
  /** the built-in GEMM's micro-kernel family chosen from CPUID: 'avx512' | 'avx2' | 'generic' */
  readonly simd: string;
  /** which GEMM runs: 'openblas' or 'builtin' */
  readonly gemm: string;
  /** LAPACK (dgesv) available through the loaded OpenBLAS */
  readonly lapack: boolean;
}

export interface NativeAddon {
  info(): NativeAddonInfo;
  /** Threads for GEMM and the large element-wise loops (the slot's cores); returns the count. */
  setThreads(n: number): number;
  /** GEMMs on OpenBLAS (when loaded) or the built-in kernel; returns true when OpenBLAS is used. */
  setBlas(use: boolean): boolean;
  /** Caps the built-in GEMM's kernel family ('avx512' | 'avx2' | 'generic' | 'auto'); returns the one used. */
  setSimd(name: string): string;
  /** One float32 GEMM C[m,n] = op(A) op(B) on OpenBLAS (useBlas) or the built-in kernel. */
  gemm(useBlas: boolean, transposeA: boolean, transposeB: boolean, m: number, n: number, k: number,
    a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Measured float32 FMA throughput of a tight loop on `threads` cores at once (GFLOP/s). */
  peakGflops(seconds: number, threads: number): number;
  /** A X = B in place (float64 row-major, A [d,d], B [d,m] becomes X); 0, or c+1 if column c has no pivot. */
  solve(a: Float64Array, b: Float64Array, d: number, m: number, useLapack: boolean): number;
  /** RegMean's sums for one model and layer: A += G̃, B += G̃·Wᵀ (G̃ = G with off-diagonals × alpha). */
  regmeanAccumulate(a: Float64Array, b: Float64Array, gram: Float64Array, weight: Float32Array,
    d: number, o: number, alpha: number): void;
  matMul(a: Float32Array, b: Float32Array, out: Float32Array, batchA: number, batchB: number,
    m: number, n: number, k: number, transposeA: boolean, transposeB: boolean,
    bias: Float32Array | null, activation: number, alpha: number): void;
  binary(op: number, a: Float32Array, aShape: readonly number[], b: Float32Array,
    bShape: readonly number[], out: Float32Array, outShape: readonly number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number, beta: number): void;
  softmax(x: Float32Array, out: Float32Array, cols: number, log: boolean): void;
  transpose(x: Float32Array | Int32Array, out: Float32Array | Int32Array, shape: readonly number[],
    perm: readonly number[]): void;
  reduce(op: number, x: Float32Array, out: Float32Array, shape: readonly number[],
    reducedMask: readonly number[]): void;
  addN(out: Float32Array, xs: readonly Float32Array[]): void;
  /**
   * Returns the whole pages inside `x` to the OS (madvise MADV_DONTNEED): resident memory drops now,
   * the array stays usable and reads as zeros where released. Returns the bytes released.
   */
  release(x: Float32Array): number;
  adamUpdate(v: Float32Array, g: Float32Array, m: Float32Array, s: Float32Array, lr: number,
    beta1: number, beta2: number, epsilon: number, step: number): void;
}

/** Where the addon file is looked for: $FBW_NATIVE_ADDON, then native/build/Release above this file. */
export function nativeAddonCandidates(): string[] {
  const out: string[] = [];
  if (process.env.FBW_NATIVE_ADDON) out.push(resolve(process.env.FBW_NATIVE_ADDON));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    out.push(join(dir, 'native', 'build', 'Release', 'fbw_kernels.node'));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

let cached: { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string } | undefined;

/** Loads the addon once; the failure reason names the files tried and how to build it. */
export function loadNativeAddon(): { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string } {
  if (cached) return cached;
  if (process.env.FBW_NATIVE === '0') {
    cached = { ok: false, reason: 'disabled by FBW_NATIVE=0' };
    return cached;
  }
  const tried = nativeAddonCandidates();
  const found = tried.find((p) => existsSync(p));
  if (!found) {
    cached = {
      ok: false,
      reason: `native addon not built (looked for ${tried.slice(0, 3).join(', ')}); ` +
        'build it with `node native/build.mjs` (needs g++, make, python3 and Node headers)',
    };
    return cached;
  }
  try {
    const req = createRequire(import.meta.url);
    const addon = req(found) as NativeAddon;
    cached = { ok: true, addon, path: found };
  } catch (e) {
    cached = { ok: false, reason: `native addon ${found} failed to load: ${(e as Error).message}; rebuild it with \`node native/build.mjs\`` };
  }
  return cached;
}
