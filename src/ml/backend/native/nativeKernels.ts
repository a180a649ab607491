// The kernels of the `fbw-native` backend that run in the C++ addon instead of the cpu backend's
// JavaScript loops: every hot op of a ViT training step (GEMMs, broadcasting elementwise ops,
// softmax, transpose, reductions) on float32; any other dtype or unusual case falls back to the
// cpu backend's own kernel, so results never depend on which path ran.
// Semantics follow tfjs-core's kernel definitions (kernel_names.ts) and the tfjs-backend-cpu
// reference implementations they replace.
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeBackend } from './NativeBackend.js';
import { Activation, BinaryOp, ReduceOp, UnaryOp } from './nativeAddon.js';

type Args = { inputs: NamedTensorInfoMap; backend: NativeBackend; attrs?: NamedAttrMap };
/** A native kernel: returns its output, or null to hand the call to the cpu kernel. */
export type NativeKernel = (args: Args) => TensorInfo | TensorInfo[] | null;

const isF32 = (t: TensorInfo | undefined): t is TensorInfo => t !== undefined && t.dtype === 'float32';

function binary(op: number): NativeKernel {
  return ({ inputs, backend }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (!isF32(a) || !isF32(b)) return null;
    const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.alloc(util.sizeFromShape(shape));
    if (out.length > 0) backend.addon.binary(op, backend.f32(a), a.shape, backend.f32(b), b.shape, out, shape);
    return backend.out(shape, out);
  };
}

function unary(op: number, attr?: (attrs: NamedAttrMap) => [number, number]): NativeKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    if (!isF32(x)) return null;
    const [alpha, beta] = attr !== undefined && attrs !== undefined ? attr(attrs) : [0, 0];
    const out = backend.alloc(util.sizeFromShape(x.shape));
    if (out.length > 0) backend.addon.unary(op, backend.f32(x), out, alpha, beta);
    return backend.out(x.shape.slice(), out);
  };
}

/** BatchMatMul and _FusedMatMul: [..., m, k] x [..., k, n] with batch broadcasting of 1s. */
function matMul(fused: boolean): NativeKernel {
  return ({ inputs, backend, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const at = attrs as { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
    if (!isF32(a) || !isF32(b)) return null;
    if (bias !== undefined && !isF32(bias)) return null;
    let act: number = Activation.linear;
    if (fused && at.activation !== undefined) {
      const code = (Activation as Record<string, number>)[at.activation];
      if (code === undefined || preluActivationWeights !== undefined) return null;
      act = code;
    }
    const ar = a.shape.length, br = b.shape.length;
    const k = at.transposeA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
    const kb = at.transposeB ? b.shape[br - 1]! : b.shape[br - 2]!;
    const m = at.transposeA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
    const n = at.transposeB ? b.shape[br - 2]! : b.shape[br - 1]!;
    if (k !== kb) {
      throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${at.transposeA} and transposeB=${at.transposeB} must match.`);
    }
    const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
    const batchA = util.sizeFromShape(outerA), batchB = util.sizeFromShape(outerB);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null; // general broadcast: cpu
    const outer = backend_util.assertAndGetBroadcastShape(outerA, outerB);
    const shape = [...outer, m, n];
    let biasVals: Float32Array | null = null;
    if (bias !== undefined) {
      const bn = util.sizeFromShape(bias.shape);
      if (bn !== n && bn !== 1) return null; // bias broadcast over rows only
      biasVals = backend.f32(bias);
    }
    const out = backend.alloc(util.sizeFromShape(shape));
    if (out.length > 0) {
      backend.addon.matMul(backend.f32(a), backend.f32(b), out, batchA, batchB, m, n, k,
        at.transposeA, at.transposeB, biasVals, act, at.leakyreluAlpha ?? 0.2);
    }
    return backend.out(shape, out);
  };
}

const softmax: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.logits;
  if (!isF32(x)) return null;
  const dim = (attrs as { dim: number }).dim;
  const r = x.shape.length;
  if (r === 0 || (dim !== -1 && dim !== r - 1)) return null;
  const out = backend.alloc(util.sizeFromShape(x.shape));
  if (out.length > 0) backend.addon.softmax(backend.f32(x), out, x.shape[r - 1]!, false);
  return backend.out(x.shape.slice(), out);
};

const transpose: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const perm = (attrs as { perm: number[] }).perm;
  const shape = perm.map((p) => x.shape[p]!);
  const size = util.sizeFromShape(shape);
  const raw = backend.data.get(x.dataId).values;
  // storage must match the dtype bit for bit (see NativeBackend.f32 on relabelling casts)
  const src = x.dtype === 'float32' ? backend.f32(x) : raw instanceof Int32Array ? raw : null;
  if (src === null) return null;
  const out = x.dtype === 'float32' ? backend.alloc(size) : new Int32Array(size);
  if (size > 0) backend.addon.transpose(src, out, x.shape, perm);
  return backend.makeTensorInfo(shape, x.dtype, out);
};

function reduce(op: number, axisAttr: 'axis' | 'reductionIndices'): NativeKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    if (!isF32(x)) return null;
    const at = attrs as Record<string, unknown>;
    const axes = util.parseAxisParam(at[axisAttr] as number | number[], x.shape);
    const keepDims = at.keepDims === true;
    const mask = x.shape.map((_, d) => (axes.includes(d) ? 1 : 0));
    const kept = x.shape.filter((_, d) => mask[d] === 0);
    const size = util.sizeFromShape(x.shape);
    if (size === 0) return null; // empty reductions keep the cpu kernel's conventions
    const out = backend.alloc(util.sizeFromShape(kept));
    if (out.length > 0) backend.addon.reduce(op, backend.f32(x), out, x.shape, mask);
    const shape = keepDims ? x.shape.map((s, d) => (mask[d] === 1 ? 1 : s)) : kept;
    return backend.out(shape, out);
  };
}

const addN: NativeKernel = ({ inputs, backend }) => {
  const xs = inputs as unknown as TensorInfo[];
  if (xs.length === 0 || !xs.every(isF32)) return null;
  const size = util.sizeFromShape(xs[0]!.shape);
  const out = backend.alloc(size);
  if (size > 0) backend.addon.addN(out, xs.map((t) => backend.f32(t)));
  return backend.out(xs[0]!.shape.slice(), out);
};

/** Slice as a copy (the cpu kernel returns a view sharing the input's buffer, which a pool cannot allow). */
const slice: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (!isF32(x)) return null;
  const at = attrs as { begin: number | number[]; size: number | number[] };
  const r = x.shape.length;
  const begin = typeof at.begin === 'number' ? [at.begin, ...new Array(r - 1).fill(0)] : at.begin.slice();
  const sizeIn = typeof at.size === 'number' ? [at.size, ...new Array(r - 1).fill(-1)] : at.size.slice();
  while (begin.length < r) begin.push(0);
  while (sizeIn.length < r) sizeIn.push(-1);
  const size = sizeIn.map((s, d) => (s === -1 ? x.shape[d]! - begin[d]! : s));
  const total = util.sizeFromShape(size);
  const out = backend.alloc(total);
  if (total === 0) return backend.out(size, out);
  const src = backend.f32(x);
  const strides = util.computeStrides(x.shape);
  // Copy runs of the innermost dims that are taken whole.
  let inner = 1, d0 = r;
  while (d0 > 0 && begin[d0 - 1] === 0 && size[d0 - 1] === x.shape[d0 - 1]) { inner *= size[d0 - 1]!; d0--; }
  if (d0 === 0) { out.set(src.subarray(0, total)); return backend.out(size, out); }
  const run = inner * size[d0 - 1]!;
  const outerDims = size.slice(0, d0 - 1);
  const outerCount = util.sizeFromShape(outerDims);
  const idx = new Array(outerDims.length).fill(0);
  for (let o = 0; o < outerCount; o++) {
    let off = begin[d0 - 1]! * (d0 - 1 < r - 1 ? strides[d0 - 1]! : 1);
    for (let d = 0; d < outerDims.length; d++) off += (begin[d]! + idx[d]) * strides[d]!;
    out.set(src.subarray(off, off + run), o * run);
    for (let d = outerDims.length - 1; d >= 0; d--) {
      if (++idx[d] < outerDims[d]!) break;
      idx[d] = 0;
    }
  }
  return backend.out(size, out);
};

/** Concat of float32 tensors along any axis by block copies. */
const concat: NativeKernel = ({ inputs, backend, attrs }) => {
  const xs = (inputs as unknown as TensorInfo[]).filter((t) => util.sizeFromShape(t.shape) > 0);
  const all = inputs as unknown as TensorInfo[];
  if (all.length === 0 || !all.every(isF32) || xs.length === 0) return null;
  const axis = util.parseAxisParam((attrs as { axis: number }).axis, all[0]!.shape)[0]!;
  const shape = backend_util.computeOutShape(xs.map((t) => t.shape), axis);
  const total = util.sizeFromShape(shape);
  const outer = util.sizeFromShape(shape.slice(0, axis));
  const out = backend.alloc(total);
  const rowOut = total / Math.max(outer, 1);
  let col = 0;
  for (const t of xs) {
    const v = backend.f32(t);
    const row = v.length / outer;
    for (let o = 0; o < outer; o++) out.set(v.subarray(o * row, (o + 1) * row), o * rowOut + col);
    col += row;
  }
  return backend.out(shape, out);
};

/** SplitV as copies (the cpu kernel returns views of its input). */
const splitV: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (!isF32(x)) return null;
  const at = attrs as { numOrSizeSplits: number | number[]; axis: number };
  const axis = util.parseAxisParam(at.axis, x.shape)[0]!;
  const sizes = backend_util.prepareSplitSize(x, at.numOrSizeSplits, axis);
  const begin = new Array(x.shape.length).fill(0);
  const outs: TensorInfo[] = [];
  for (const s of sizes) {
    const size = x.shape.slice();
    size[axis] = s;
    outs.push(slice({ inputs: { x }, backend, attrs: { begin: begin.slice(), size } }) as TensorInfo);
    begin[axis] += s;
  }
  return outs;
};

/** Pack (tf.stack): each input becomes one slot of a new axis. */
const pack: NativeKernel = ({ inputs, backend, attrs }) => {
  const xs = inputs as unknown as TensorInfo[];
  if (xs.length === 0 || !xs.every(isF32)) return null;
  const s0 = xs[0]!.shape;
  if (!xs.every((t) => util.arraysEqual(t.shape, s0))) return null;
  const axis = util.parseAxisParam((attrs as { axis: number }).axis, [...s0, 1])[0]!;
  const shape = [...s0.slice(0, axis), xs.length, ...s0.slice(axis)];
  const outer = util.sizeFromShape(s0.slice(0, axis));
  const row = util.sizeFromShape(s0.slice(axis));
  const out = backend.alloc(util.sizeFromShape(shape));
  xs.forEach((t, i) => {
    const v = backend.f32(t);
    for (let o = 0; o < outer; o++) out.set(v.subarray(o * row, (o + 1) * row), (o * xs.length + i) * row);
  });
  return backend.out(shape, out);
};

/** PadV2 (also the gradient of Slice): fill with the constant, then copy input rows into place. */
const padV2: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (!isF32(x) || x.shape.length === 0) return null;
  const at = attrs as { paddings: Array<[number, number]>; constantValue: number };
  const r = x.shape.length;
  const shape = x.shape.map((s, d) => at.paddings[d]![0] + s + at.paddings[d]![1]);
  const out = backend.alloc(util.sizeFromShape(shape));
  out.fill(at.constantValue);
  const n = util.sizeFromShape(x.shape);
  if (n === 0) return backend.out(shape, out);
  const src = backend.f32(x);
  const ostrides = [...util.computeStrides(shape), 1];
  const row = x.shape[r - 1]!;
  const outerDims = x.shape.slice(0, -1);
  const idx = new Array(outerDims.length).fill(0);
  for (let o = 0; o < n / row; o++) {
    let off = at.paddings[r - 1]![0];
    for (let d = 0; d < outerDims.length; d++) off += (idx[d] + at.paddings[d]![0]) * ostrides[d]!;
    out.set(src.subarray(o * row, (o + 1) * row), off);
    for (let d = outerDims.length - 1; d >= 0; d--) {
      if (++idx[d] < outerDims[d]!) break;
      idx[d] = 0;
    }
  }
  return backend.out(shape, out);
};

/** GatherV2 (batchDims 0) by row copies: the cpu kernel indexes element by element. */
const gatherV2: NativeKernel = ({ inputs, backend, attrs }) => {
  const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
  const at = attrs as { axis: number; batchDims?: number };
  if (!isF32(x) || indices.dtype !== 'int32' || (at.batchDims ?? 0) !== 0) return null;
  const axis = util.parseAxisParam(at.axis, x.shape)[0]!;
  const idx = backend.data.get(indices.dataId).values as Int32Array;
  const dim = x.shape[axis]!;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v > dim - 1) throw new Error(`GatherV2: the index value ${v} is not in [0, ${dim - 1}]`);
  }
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const outer = util.sizeFromShape(x.shape.slice(0, axis));
  const inner = util.sizeFromShape(x.shape.slice(axis + 1));
  const out = backend.alloc(util.sizeFromShape(shape));
  const src = backend.f32(x);
  const n = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const from = (o * dim + idx[j]!) * inner;
      out.set(src.subarray(from, from + inner), (o * n + j) * inner);
    }
  }
  return backend.out(shape, out);
};

/** Every kernel the addon replaces, by tfjs kernel name. */
export const nativeKernels: Readonly<Record<string, NativeKernel>> = {
  BatchMatMul: matMul(false),
  _FusedMatMul: matMul(true),
  Add: binary(BinaryOp.add),
  Sub: binary(BinaryOp.sub),
  Multiply: binary(BinaryOp.mul),
  RealDiv: binary(BinaryOp.div),
  Maximum: binary(BinaryOp.max),
  Minimum: binary(BinaryOp.min),
  Pow: binary(BinaryOp.pow),
  SquaredDifference: binary(BinaryOp.squaredDifference),
  Prelu: ({ inputs, backend }) => {
    const { x, alpha } = inputs as { x: TensorInfo; alpha: TensorInfo };
    return binary(BinaryOp.prelu)({ inputs: { a: x, b: alpha }, backend });
  },
  Exp: unary(UnaryOp.exp),
  Log: unary(UnaryOp.log),
  Sqrt: unary(UnaryOp.sqrt),
  Rsqrt: unary(UnaryOp.rsqrt),
  Tanh: unary(UnaryOp.tanh),
  Sigmoid: unary(UnaryOp.sigmoid),
  Neg: unary(UnaryOp.neg),
  Square: unary(UnaryOp.square),
  Reciprocal: unary(UnaryOp.reciprocal),
  Relu: unary(UnaryOp.relu),
  Relu6: unary(UnaryOp.relu6),
  Elu: unary(UnaryOp.elu),
  Abs: unary(UnaryOp.abs),
  Erf: unary(UnaryOp.erf),
  Log1p: unary(UnaryOp.log1p),
  Expm1: unary(UnaryOp.expm1),
  Softplus: unary(UnaryOp.softplus),
  Sign: unary(UnaryOp.sign),
  Sin: unary(UnaryOp.sin),
  Cos: unary(UnaryOp.cos),
  Step: unary(UnaryOp.step, (a) => [a.alpha as number, 0]),
  LeakyRelu: unary(UnaryOp.leakyRelu, (a) => [a.alpha as number, 0]),
  ClipByValue: unary(UnaryOp.clip, (a) => [a.clipValueMin as number, a.clipValueMax as number]),
  Softmax: softmax,
  Transpose: transpose,
  Sum: reduce(ReduceOp.sum, 'axis'),
  Mean: reduce(ReduceOp.mean, 'axis'),
  Max: reduce(ReduceOp.max, 'reductionIndices'),
  Min: reduce(ReduceOp.min, 'axis'),
  Prod: reduce(ReduceOp.prod, 'axis'),
  AddN: addN,
  Slice: slice,
  Concat: concat,
  SplitV: splitV,
  Pack: pack,
  PadV2: padV2,
  GatherV2: gatherV2,
};

/** Adapts a native kernel to tfjs's KernelFunc, falling back to the cpu kernel when it declines. */
export function withFallback(native: NativeKernel, cpu: KernelFunc): KernelFunc {
  return (args) => native(args as unknown as Args) ?? cpu(args);
}
