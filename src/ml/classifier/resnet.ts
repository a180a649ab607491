// ResNet (He et al. 2016, "Deep Residual Learning for Image Recognition", arXiv 1512.03385) with the
// module structure and tensor names of Hugging Face transformers' modeling_resnet.py
// (ResNetForImageClassification): 7×7/2 conv stem + BN + ReLU + 3×3/2 max-pool, stages of basic or
// bottleneck residual layers with 1×1 projection shortcuts, global average pool, Linear classifier.
// BatchNorm follows torch.nn.BatchNorm2d: batch statistics and running-stat updates (momentum 0.1,
// unbiased variance) in train mode, running statistics in eval mode.
// Convolutions are im2col (strided slices + concat) followed by one 2-D matMul, so the forward and
// backward passes use only ops that every tfjs backend here has fast (see ../models/ops.ts).
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

/** x[:, ky + s·i, kx + s·j, :] for i < ho, j < wo, from a padded NHWC tensor (slices and reshapes only). */
function window(xp: tf.Tensor4D, ky: number, kx: number, ho: number, wo: number, s: number): tf.Tensor4D {
  const [n, , , c] = xp.shape;
  const w = tf.slice(xp, [0, ky, kx, 0], [n, s * ho, s * wo, c]);
  if (s === 1) return w;
  const r = tf.reshape(w, [n * ho, s, wo, s * c]);
  return tf.reshape(tf.slice(r, [0, 0, 0, 0], [n * ho, 1, wo, c]), [n, ho, wo, c]);
}

/** k×k windows of x padded by p (and s−1 extra at the end so every strided slice fits). */
function patches(x: tf.Tensor4D, k: number, s: number, p: number, padValue = 0): { cols: tf.Tensor4D[]; ho: number; wo: number } {
  const [, h, w] = x.shape;
  const ho = Math.floor((h + 2 * p - k) / s) + 1, wo = Math.floor((w + 2 * p - k) / s) + 1;
  const xp = p || s > 1 ? tf.pad(x, [[0, 0], [p, p + s - 1], [p, p + s - 1], [0, 0]], padValue) : x;
  const cols: tf.Tensor4D[] = [];
  for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) cols.push(window(xp, ky, kx, ho, wo, s));
  return { cols, ho, wo };
}

/** Conv2d without bias (padding k//2), weight [out, in, k, k] as PyTorch stores it; NHWC in and out. */
export function conv2d(x: tf.Tensor4D, weight: tf.Tensor, stride: number, trainable: boolean): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const [out, , k] = weight.shape as [number, number, number, number];
  const { cols, ho, wo } = k === 1 && stride === 1 ? { cols: [x], ho: x.shape[1], wo: x.shape[2] } : patches(x, k, stride, Math.floor(k / 2));
  const col = tf.reshape(cols.length === 1 ? cols[0]! : tf.concat(cols, 3), [n * ho * wo, k * k * c]) as tf.Tensor2D;
  const w2 = tf.reshape(tf.transpose(weight, [0, 2, 3, 1]), [out, k * k * c]) as tf.Tensor2D;
  const y = trainable ? matMulWT(col, w2) : tf.matMul(col, w2, false, true);
  return tf.reshape(y, [n, ho, wo, out]);
}

/** max(a, b) with the gradient routed by step(a − b) (ties go to b). tf.maximum's own gradient casts a bool mask, which the fbw-native backend mis-stores. */
const maximum2 = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.maximum(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const da = tf.mul(dy, tf.step(tf.sub(saved[0]!, saved[1]!)));
      return [da, tf.sub(dy, da)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor4D;

/** MaxPool2d(kernel 3, stride 2, padding 1) as a running maximum over shifted windows. */
export function maxPool3x3s2(x: tf.Tensor4D): tf.Tensor4D {
  const { cols } = patches(x, 3, 2, 1, -3.4e38);
  return cols.reduce((a, b) => maximum2(a, b));
}

function convUnit(model: ResNetModel, u: ConvUnit, x: tf.Tensor4D, mode: BnMode, updates: BnUpdate[] | undefined, trainable: boolean): tf.Tensor4D {
  const y = conv2d(x, model.get(`${u.prefix}.convolution.weight`), u.stride, trainable);
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
export function forwardResNet(model: ResNetModel, x: tf.Tensor4D, mode: BnMode, updates?: BnUpdate[], trainable = mode === 'train'): tf.Tensor2D {
  let h = convUnit(model, model.plan.stem, x, mode, updates, trainable);
  h = maxPool3x3s2(h);
  for (const layer of model.plan.layers) {
    let y = h;
    for (const u of layer.units) y = convUnit(model, u, y, mode, updates, trainable);
    const r = layer.shortcut ? convUnit(model, layer.shortcut, h, mode, updates, trainable) : h;
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
