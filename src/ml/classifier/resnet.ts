// ResNet (He et al. 2016, "Deep Residual Learning for Image Recognition", arXiv 1512.03385) with the
// module structure and tensor names of Hugging Face transformers' modeling_resnet.py
// (ResNetForImageClassification): 7×7/2 conv stem + BN + ReLU + 3×3/2 max-pool, stages of basic or
// bottleneck residual layers with 1×1 projection shortcuts, global average pool, Linear classifier.
// BatchNorm follows torch.nn.BatchNorm2d: batch statistics and running-stat updates (momentum 0.1,
// unbiased variance) in train mode, running statistics in eval mode.
// Convolutions are im2col (in JS, col2im as its gradient) followed by one 2-D matMul, so the forward
// and backward passes use only ops that every tfjs backend here has fast (see ../models/ops.ts).
import * as tf from '@tensorflow/tfjs-core';
import { newVariable } from '../models/clip.js';
import { matMulWT } from '../models/ops.js';
import type { NamedTensor } from '../io/safetensors.js';
import { allUnits, BN_EPS, BN_MOMENTUM, resnetPlan, resnetTensorShapes, type ConvUnit, type ResNetConfig, type ResNetPlan } from './resnetConfig.js';

/** Train mode uses batch statistics and updates running ones; eval mode uses running statistics. */
export type BnMode = 'train' | 'eval';

/** A pending running-statistics update produced by a train-mode forward pass. */
export interface BnUpdate {
  readonly target: tf.Variable;
  readonly value: tf.Tensor;
}

/** A ResNetForImageClassification: trained parameters, BN running statistics, batch counters. */
export class ResNetModel {
  readonly plan: ResNetPlan;
  constructor(
    readonly config: ResNetConfig,
    /** conv weights, BN affine parameters, classifier (HF names) */
    readonly params: Map<string, tf.Variable>,
    /** BN running_mean / running_var (HF names) */
    readonly running: Map<string, tf.Variable>,
    /** BN num_batches_tracked per unit prefix */
    readonly batchesTracked: Map<string, number>,
    readonly source?: string,
  ) {
    this.plan = resnetPlan(config);
  }

  get(name: string): tf.Variable {
    const v = this.params.get(name) ?? this.running.get(name);
    if (!v) throw new Error(`ResNet model has no tensor '${name}'`);
    return v;
  }

  /** Every float tensor (parameters and running stats) in HF state-dict order. */
  stateDict(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [name, s] of resnetTensorShapes(this.config)) {
      if (s.role === 'count') continue;
      const v = this.get(name);
      out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    }
    return out;
  }

  /** Overwrite tensors present in `sd` (parameters or running stats). */
  assign(sd: ReadonlyMap<string, NamedTensor>): void {
    for (const [k, t] of sd) {
      const v = this.params.get(k) ?? this.running.get(k);
      if (v) tf.tidy(() => v.assign(tf.tensor(t.data, v.shape)));
    }
  }

  dispose(): void {
    for (const v of [...this.params.values(), ...this.running.values()]) v.dispose();
    this.params.clear();
    this.running.clear();
  }
}

/** Random initialisation as HF ResNetPreTrainedModel._init_weights (Kaiming normal, fan_out) from a seeded source. */
export function initResNet(config: ResNetConfig, rand: () => number): ResNetModel {
  const normal = (n: number, std: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))), t = 2 * Math.PI * rand();
      a[i] = r * Math.cos(t) * std;
      if (i + 1 < n) a[i + 1] = r * Math.sin(t) * std;
    }
    return a;
  };
  const params = new Map<string, tf.Variable>();
  const running = new Map<string, tf.Variable>();
  const counts = new Map<string, number>();
  for (const [name, { shape, role }] of resnetTensorShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    switch (role) {
      case 'count': counts.set(name.slice(0, -'.normalization.num_batches_tracked'.length), 0); break;
      case 'running': running.set(name, newVariable(tf.tensor(new Float32Array(n).fill(name.endsWith('running_var') ? 1 : 0), shape), name)); break;
      case 'param': {
        let data: Float32Array;
        if (name.endsWith('convolution.weight')) data = normal(n, Math.sqrt(2 / (shape[0]! * shape[2]! * shape[3]!)));
        else if (name.endsWith('normalization.weight')) data = new Float32Array(n).fill(1);
        else if (name.endsWith('normalization.bias')) data = new Float32Array(n);
        else {
          // nn.Linear's default: U(-1/√fan_in, 1/√fan_in) for weight and bias
          const bound = 1 / Math.sqrt(config.hidden_sizes.at(-1)!);
          data = new Float32Array(n);
          for (let i = 0; i < n; i++) data[i] = (2 * rand() - 1) * bound;
        }
        params.set(name, newVariable(tf.tensor(data, shape), name));
        break;
      }
    }
  }
  return new ResNetModel(config, params, running, counts);
}

/** Replace the classifier with a fresh one for `config.num_labels` classes (same init as initResNet). */
export function resetClassifier(model: ResNetModel, config: ResNetConfig, rand: () => number): ResNetModel {
  const f = config.hidden_sizes.at(-1)!;
  const bound = 1 / Math.sqrt(f);
  const u = (n: number) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = (2 * rand() - 1) * bound; return a; };
  model.params.get('classifier.1.weight')?.dispose();
  model.params.get('classifier.1.bias')?.dispose();
  const params = new Map(model.params);
  params.set('classifier.1.weight', newVariable(tf.tensor2d(u(config.num_labels * f), [config.num_labels, f]), 'classifier.1.weight'));
  params.set('classifier.1.bias', newVariable(tf.tensor1d(u(config.num_labels)), 'classifier.1.bias'));
  return new ResNetModel(config, params, model.running, model.batchesTracked, model.source);
}

/** Output size of a k×k, stride-s, padding-p window over `size`. */
function outSize(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k) / s) + 1;
}

/**
 * im2col of NHWC x: [n·ho·wo, k·k·c] rows ordered (ky, kx, c), zero padding p. Built in JS (one
 * pass over memory) with col2im as its gradient: far cheaper than k² tensor slices on CPU backends.
 */
function im2col(x: tf.Tensor4D, k: number, s: number, p: number): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  const ho = outSize(h, k, s, p), wo = outSize(w, k, s, p);
  const kk = k * k * c;
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    void save;
    const xs = xi.dataSync() as Float32Array;
    const out = new Float32Array(n * ho * wo * kk);
    let o = 0;
    for (let b = 0; b < n; b++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
      for (let ky = 0; ky < k; ky++) {
        const iy = oy * s - p + ky;
        for (let kx = 0; kx < k; kx++) {
          const ix = ox * s - p + kx;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
            const base = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) out[o + ch] = xs[base + ch]!;
          }
          o += c;
        }
      }
    }
    return {
      value: tf.tensor2d(out, [n * ho * wo, kk]),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync() as Float32Array;
        const dx = new Float32Array(n * h * w * c);
        let q = 0;
        for (let b = 0; b < n; b++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * s - p + ky;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * s - p + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                const base = ((b * h + iy) * w + ix) * c;
                for (let ch = 0; ch < c; ch++) dx[base + ch]! += d[q + ch]!;
              }
              q += c;
            }
          }
        }
        return [tf.tensor4d(dx, [n, h, w, c])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor2D;
}

/** Conv2d without bias (padding k//2), weight [out, in, k, k] as PyTorch stores it; NHWC in and out. */
export function conv2d(x: tf.Tensor4D, weight: tf.Tensor, stride: number, trainable: boolean): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [out, , k] = weight.shape as [number, number, number, number];
  const p = Math.floor(k / 2);
  const ho = outSize(h, k, stride, p), wo = outSize(w, k, stride, p);
  const col = k === 1 && stride === 1 ? (tf.reshape(x, [n * h * w, c]) as tf.Tensor2D) : im2col(x, k, stride, p);
  const w2 = tf.reshape(tf.transpose(weight, [0, 2, 3, 1]), [out, k * k * c]) as tf.Tensor2D;
  const y = trainable ? matMulWT(col, w2) : tf.matMul(col, w2, false, true);
  return tf.reshape(y, [n, ho, wo, out]);
}

/**
 * MaxPool2d(kernel 3, stride 2, padding 1) of NHWC x (padding never wins, as torch's −∞ padding),
 * in JS with the gradient routed to the first maximum of each window, as torch does.
 */
export function maxPool3x3s2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ho = outSize(h, 3, 2, 1), wo = outSize(w, 3, 2, 1);
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    void save;
    const xs = xi.dataSync() as Float32Array;
    const out = new Float32Array(n * ho * wo * c);
    const arg = new Int32Array(n * ho * wo * c);
    for (let b = 0; b < n; b++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
      const o = ((b * ho + oy) * wo + ox) * c;
      for (let ch = 0; ch < c; ch++) {
        let best = -Infinity, at = -1;
        for (let ky = 0; ky < 3; ky++) {
          const iy = oy * 2 - 1 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const ix = ox * 2 - 1 + kx;
            if (ix < 0 || ix >= w) continue;
            const i = ((b * h + iy) * w + ix) * c + ch;
            const v = xs[i]!;
            if (v > best || at < 0 || Number.isNaN(v)) { best = v; at = i; }
          }
        }
        out[o + ch] = best;
        arg[o + ch] = at;
      }
    }
    return {
      value: tf.tensor4d(out, [n, ho, wo, c]),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync() as Float32Array;
        const dx = new Float32Array(n * h * w * c);
        for (let i = 0; i < d.length; i++) dx[arg[i]!]! += d[i]!;
        return [tf.tensor4d(dx, [n, h, w, c])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor4D;
}

/** The convolution and pooling kernels a forward pass uses (swappable for benchmarks). */
export interface ConvOps {
  readonly conv2d: (x: tf.Tensor4D, weight: tf.Tensor, stride: number, trainable: boolean) => tf.Tensor4D;
  readonly maxPool3x3s2: (x: tf.Tensor4D) => tf.Tensor4D;
}

/** fbw's im2col convolution and JS max-pool (the default). */
export const FBW_CONV_OPS: ConvOps = { conv2d, maxPool3x3s2 };

/** tfjs's own Conv2D / MaxPool kernels and their gradients (the benchmark's anchor). */
export const TFJS_CONV_OPS: ConvOps = {
  conv2d: (x, w, stride) => {
    const k = w.shape[2]!;
    return tf.conv2d(x, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, stride, Math.floor(k / 2));
  },
  maxPool3x3s2: (x) => tf.maxPool(x, 3, 2, 1),
};

function convUnit(model: ResNetModel, u: ConvUnit, x: tf.Tensor4D, mode: BnMode, updates: BnUpdate[] | undefined, trainable: boolean, ops: ConvOps): tf.Tensor4D {
  const y = ops.conv2d(x, model.get(`${u.prefix}.convolution.weight`), u.stride, trainable);
  const g = model.get(`${u.prefix}.normalization.weight`), b = model.get(`${u.prefix}.normalization.bias`);
  const rm = model.get(`${u.prefix}.normalization.running_mean`), rv = model.get(`${u.prefix}.normalization.running_var`);
  let z: tf.Tensor4D;
  switch (mode) {
    case 'train': {
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      z = tf.add(tf.mul(tf.mul(tf.sub(y, mean), tf.rsqrt(tf.add(variance, BN_EPS))), g), b);
      if (updates) {
        const m = y.shape[0] * y.shape[1] * y.shape[2];
        const unbiased = tf.mul(variance, m / Math.max(1, m - 1));
        updates.push({ target: rm, value: tf.keep(tf.add(tf.mul(rm, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM))) });
        updates.push({ target: rv, value: tf.keep(tf.add(tf.mul(rv, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM))) });
      }
      break;
    }
    case 'eval':
      z = tf.add(tf.mul(tf.mul(tf.sub(y, rm), tf.rsqrt(tf.add(rv, BN_EPS))), g), b);
      break;
  }
  return u.relu ? tf.relu(z) : z;
}

/**
 * Logits [n, num_labels] for NHWC images. In train mode, pushes the running-stat updates of every
 * BatchNorm into `updates` (kept tensors: apply with applyBnUpdates after the optimizer step).
 */
export function forwardResNet(model: ResNetModel, x: tf.Tensor4D, mode: BnMode, updates?: BnUpdate[], trainable = mode === 'train', ops: ConvOps = FBW_CONV_OPS): tf.Tensor2D {
  let h = convUnit(model, model.plan.stem, x, mode, updates, trainable, ops);
  h = ops.maxPool3x3s2(h);
  for (const layer of model.plan.layers) {
    let y = h;
    for (const u of layer.units) y = convUnit(model, u, y, mode, updates, trainable, ops);
    const r = layer.shortcut ? convUnit(model, layer.shortcut, h, mode, updates, trainable, ops) : h;
    h = tf.relu(tf.add(y, r));
  }
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  const w = model.get('classifier.1.weight');
  const logits = trainable ? matMulWT(pooled, w) : tf.matMul(pooled, w as tf.Tensor2D, false, true);
  return tf.add(logits, model.get('classifier.1.bias')) as tf.Tensor2D;
}

/** Apply and release the running-stat updates of a train-mode pass; counts one batch per BN. */
export function applyBnUpdates(model: ResNetModel, updates: readonly BnUpdate[]): void {
  for (const u of updates) { u.target.assign(u.value); u.value.dispose(); }
  if (updates.length) for (const k of model.batchesTracked.keys()) model.batchesTracked.set(k, model.batchesTracked.get(k)! + 1);
}

/** Unit prefixes of all BatchNorms (for counters). */
export function bnPrefixes(config: ResNetConfig): string[] {
  return allUnits(resnetPlan(config)).map((u) => u.prefix);
}
