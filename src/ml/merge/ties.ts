// TIES-Merging: trim, elect sign, disjoint merge.
// Yadav et al., "TIES-Merging: Resolving interference when merging models", NeurIPS 2023
// (arXiv 2306.01708). FusionBench: fusion_bench/method/ties_merging/ties_merging.py and
// ties_merging_utils.py (after EnnengYang/AdaMerging), whose semantics this follows exactly:
//  - trim: per model, over the whole flattened state dict (minus remove_keys), keep |τ| ≥ the
//    k-th smallest |τ| with k = d − int(d·K), K = threshold/100 when threshold > 1;
//  - elect: sign of Σ_i trimmed τ_i; exact zeros take the sign of Σ over all elected signs;
//  - disjoint merge: sum / mean (over agreeing non-zeros) / max of the agreeing entries;
//  - θ = θ_pre + scaling_factor · merged τ.
// The whole-model k-th value is found without loading the models: two streaming passes of a
// radix select on the float32 bit patterns of |τ| (high 16 bits, then low 16 bits of the one
// bucket that holds rank k), which gives the exact value torch.kthvalue returns.
import type { Chunk, Kernel, PassContext } from './method.js';

/** How each model's task-vector slice is produced (DARE drops elements here). */
export type TaskVectorTransform = (c: Chunk, k: number, tv: Float32Array) => void;

/** TIES's arguments (FusionBench's names; threshold in percent, values ≤ 1 read as fractions as FusionBench does). */
export interface TiesArgs {
  readonly scaling_factor: number;
  readonly threshold: number;
  readonly merge_func: 'sum' | 'mean' | 'max';
}

/** Grows on demand: one scratch slice per model for the task vectors of a chunk. */
class Scratch {
  private bufs: Float32Array[] = [];
  private views: Uint32Array[] = [];
  get(n: number, len: number): Float32Array[] {
    if (this.bufs.length !== n || (this.bufs[0]?.length ?? 0) < len) {
      this.bufs = Array.from({ length: n }, () => new Float32Array(len));
      this.views = this.bufs.map((b) => new Uint32Array(b.buffer));
    }
    return this.bufs;
  }
  /** the same buffers as bit patterns */
  bits(n: number, len: number): Uint32Array[] { this.get(n, len); return this.views; }
}

function fillTaskVectors(c: Chunk, scr: Float32Array[], transform: TaskVectorTransform | undefined): void {
  const base = c.base!;
  const len = c.length;
  for (let k = 0; k < c.models.length; k++) {
    const m = c.models[k]!;
    const tv = scr[k]!;
    for (let i = 0; i < len; i++) tv[i] = m[i]! - base[i]!;
    if (transform) transform(c, k, tv.subarray(0, len));
  }
}

/** Exact per-model threshold: the k-th smallest |τ| over the whole model (k 1-based). */
export async function topkThresholds(ctx: PassContext, thresholdPercent: number, scratch: Scratch, transform?: TaskVectorTransform): Promise<{ thr: Float32Array; keepAll: boolean[] }> {
  const n = ctx.numModels;
  const d = ctx.numel;
  const K = thresholdPercent > 1 ? thresholdPercent / 100 : thresholdPercent;
  const rank = d - Math.trunc(d * K);
  const keepAll = Array.from({ length: n }, () => rank < 1);
  const thr = new Float32Array(n);
  if (rank < 1) return { thr, keepAll };
  const hi = Array.from({ length: n }, () => new Float64Array(1 << 15));
  await ctx.pass((c) => {
    const scr = scratch.get(n, c.length);
    fillTaskVectors(c, scr, transform);
    for (let k = 0; k < n; k++) {
      const u = new Uint32Array(scr[k]!.buffer, 0, c.length);
      const h = hi[k]!;
      // the top 16 bits of a non-negative float's pattern index the 1<<15 bins
      for (let i = 0; i < u.length; i++) { const b = (u[i]! & 0x7fffffff) >>> 16; h[b] = h[b]! + 1; }
    }
  });
  const bin = new Int32Array(n);
  const rest = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let cum = 0;
    const h = hi[k]!;
    let b = 0;
    for (; b < h.length; b++) { if (cum + h[b]! >= rank) break; cum += h[b]!; }
    bin[k] = b;
    rest[k] = rank - cum;
  }
  const lo = Array.from({ length: n }, () => new Float64Array(1 << 16));
  await ctx.pass((c) => {
    const scr = scratch.get(n, c.length);
    fillTaskVectors(c, scr, transform);
    for (let k = 0; k < n; k++) {
      const u = new Uint32Array(scr[k]!.buffer, 0, c.length);
      const l = lo[k]!, want = bin[k]!;
      for (let i = 0; i < u.length; i++) {
        const a = u[i]! & 0x7fffffff;
        if (a >>> 16 === want) { const b = a & 0xffff; l[b] = l[b]! + 1; }
      }
    }
  });
  const bits = new Uint32Array(1);
  const asF = new Float32Array(bits.buffer);
  for (let k = 0; k < n; k++) {
    let cum = 0;
    const l = lo[k]!;
    let b = 0;
    for (; b < l.length; b++) { if (cum + l[b]! >= rest[k]!) break; cum += l[b]!; }
    bits[0] = ((bin[k]! << 16) | b) >>> 0;
    thr[k] = asF[0]!;
    ctx.log(`ties: model ${k + 1}/${n}: keep |τ| ≥ ${thr[k]!.toExponential(4)} (rank ${rank} of ${d})`);
  }
  return { thr, keepAll };
}

type MergeFunc = 'sum' | 'mean' | 'max';

const f32bits = new Float32Array(1);
const u32bits = new Uint32Array(f32bits.buffer);
function bitsOf(x: number): number { f32bits[0] = x; return u32bits[0]!; }



/** max merge: the largest agreeing |τ| times the elected sign (block [b0, b0 + m) of v) */
function selectMax(agg: Float32Array, sum: Float32Array, v: Float32Array, b0: number, m: number, first: boolean): void {
  for (let j = 0; j < m; j++) {
    const x = v[b0 + j]!;
    const sg = sum[j]! > 0 ? 1 : sum[j]! < 0 ? -1 : 0;
    const a = (sg > 0 ? x > 0 : x < 0) ? Math.abs(x) : 0;
    const prev = first ? 0 : Math.abs(agg[j]!);
    agg[j] = (a > prev ? a : prev) * sg;
  }
}

/** Disjoint merge of one position's trimmed values under elected sign `sign` (FusionBench's disjoint_merge). */
function disjoint(vals: ArrayLike<number>, sign: number, func: MergeFunc): number {
  let acc = 0, cnt = 0, mx = 0, first = true;
  for (let k = 0; k < vals.length; k++) {
    const v = vals[k]!;
    const keep = sign > 0 ? v > 0 : v < 0;
    const sel = keep ? v : 0;
    acc = first ? sel : Math.fround(acc + sel);
    first = false;
    if (sel !== 0) cnt++;
    const a = Math.abs(sel);
    if (a > mx) mx = a;
  }
  switch (func) {
    case 'sum': return acc;
    case 'mean': return Math.fround(acc / Math.max(cnt, 1));
    case 'max': return Math.fround(mx * sign);
  }
}

/** TIES on task vectors produced by `transform` (identity for plain TIES, DARE drop for dare_ties). */
export async function tiesKernel(a: TiesArgs, ctx: PassContext, transform?: TaskVectorTransform): Promise<Kernel> {
  const n = ctx.numModels;
  const s = Math.fround(a.scaling_factor);
  const func: MergeFunc = a.merge_func;
  const scratch = new Scratch();
  const { thr, keepAll } = await topkThresholds(ctx, a.threshold, scratch, transform);
  let signSum = 0;
  const deferred: { name: string; index: number; base: number; vals: Float32Array }[] = [];
  const B = 4096;
  const sum = new Float32Array(B), agg = new Float32Array(B), cnt = new Float32Array(B);
  const sumU = new Uint32Array(sum.buffer), keepSign = new Uint32Array(B), orBits = new Uint32Array(B);
  const thrBits = Array.from({ length: n }, (_, k) => keepAll[k] ? 0 : bitsOf(thr[k]!));
  return {
    apply(c, out) {
      const len = c.length;
      const base = c.base!;
      const scr = scratch.get(n, len);
      const scrU = scratch.bits(n, len);
      if (transform) fillTaskVectors(c, scr, transform);
      // Block by block so every array of a block stays in cache; the hot loops work on float32
      // bit patterns, branch-free (random data would mispredict every comparison otherwise).
      for (let b0 = 0; b0 < len; b0 += B) {
        const m = Math.min(B, len - b0);
        sum.fill(0, 0, m);
        orBits.fill(0, 0, m);
        // task vector, trim (|τ| ≥ the model's k-th value), running sum for the sign election
        for (let k = 0; k < n; k++) {
          const tv = scr[k]!, u = scrU[k]!, mk = c.models[k]!;
          const t1 = thrBits[k]! - 1;
          for (let j = 0; j < m; j++) {
            const i = b0 + j;
            if (!transform) tv[i] = mk[i]! - base[i]!;
            const x = u[i]!;
            const kept = x & ((t1 - (x & 0x7fffffff)) >> 31); // all ones when |x| ≥ threshold
            u[i] = kept;
            orBits[j] = orBits[j]! | (kept & 0x7fffffff);
            sum[j] = sum[j]! + tv[i]!;
          }
        }
        // elected sign: the sign bit an entry must have to be kept (sum ≤ 0 keeps negatives, as torch.where does)
        let pos = 0, zero = 0;
        for (let j = 0; j < m; j++) {
          const bits = sumU[j]!;
          const isZero = ((bits & 0x7fffffff) - 1) >>> 31;
          const negOrZero = (bits >>> 31) | isZero;
          keepSign[j] = negOrZero;
          pos += negOrZero ^ 1;
          zero += isZero;
          if ((isZero & (((orBits[j]! - 1) >>> 31) ^ 1)) !== 0) {
            // non-zero trimmed values that cancel exactly: the elected sign is the whole
            // model's majority, known only at the end — this position is settled in finish()
            const vals = new Float32Array(n);
            for (let k = 0; k < n; k++) vals[k] = scr[k]![b0 + j]!;
            deferred.push({ name: c.name, index: c.start + b0 + j, base: base[b0 + j]!, vals });
          }
        }
        signSum += pos - (m - pos - zero);
        if (func === 'max') {
          for (let k = 0; k < n; k++) selectMax(agg, sum, scr[k]!, b0, m, k === 0);
        } else {
          // disjoint merge: drop entries whose sign disagrees with the elected one, sum the rest
          agg.fill(0, 0, m);
          if (func === 'mean') cnt.fill(0, 0, m);
          for (let k = 0; k < n; k++) {
            const u = scrU[k]!, tv = scr[k]!;
            for (let j = 0; j < m; j++) {
              const i = b0 + j;
              const x = u[i]!;
              u[i] = x & ((((x >>> 31) ^ keepSign[j]!) - 1) | 0);
              agg[j] = agg[j]! + tv[i]!;
            }
            if (func === 'mean') for (let j = 0; j < m; j++) cnt[j] = cnt[j]! + ((((u[b0 + j]! & 0x7fffffff) - 1) >>> 31) ^ 1);
          }
          if (func === 'mean') for (let j = 0; j < m; j++) agg[j] = agg[j]! / Math.max(cnt[j]!, 1);
        }
        for (let j = 0; j < m; j++) out[b0 + j] = base[b0 + j]! + Math.fround(s * agg[j]!);
      }
    },
    *finish() {
      const majority = Math.sign(signSum);
      if (deferred.length) ctx.log(`ties: ${deferred.length} position(s) with cancelling signs take the majority sign ${majority}`);
      for (const d of deferred) yield [d.name, d.index, Math.fround(d.base + Math.fround(s * disjoint(d.vals, majority, func)))] as const;
    },
  };
}
