// Adam (Kingma & Ba 2015, arXiv 1412.6980) with PyTorch's coupled weight decay
// (torch.optim.Adam: g ← g + λθ), which FusionBench's clip_finetune uses, and a cosine schedule
// (torch CosineAnnealingLR with T_max = num_steps, eta_min 0). Moments are tf.Variables so a
// checkpoint can save and restore them exactly.
import * as tf from '@tensorflow/tfjs-core';
import { newVariable } from '../models/clip.js';
import { nativeAdamUpdate } from '../backend/native/nativeAdamUpdate.js';
import type { NamedTensor } from '../io/safetensors.js';

export interface AdamArgs {
  readonly learningRate: number;
  /** default 0 */
  readonly weightDecay?: number;
  /** default 0.9 */
  readonly beta1?: number;
  /** default 0.999 */
  readonly beta2?: number;
  /** default 1e-8 */
  readonly eps?: number;
  /** AdamW (Loshchilov & Hutter 2019): decay the weights directly instead of adding λθ to g */
  readonly decoupled?: boolean;
}

/** Learning rate at `step` (0-based) of a cosine schedule over `total` steps. */
export function cosineLr(base: number, step: number, total: number): number {
  if (total <= 0) return base;
  return base * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, total) / total));
}

/** Adam over a fixed, named set of variables. */
export class Adam {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** number of updates applied (bias correction uses it) */
  t = 0;

  constructor(readonly vars: ReadonlyMap<string, tf.Variable>, readonly args: AdamArgs) {
    for (const [k, x] of vars) {
      this.m.set(k, newVariable(tf.zerosLike(x), `adam.m/${k}`));
      this.v.set(k, newVariable(tf.zerosLike(x), `adam.v/${k}`));
    }
  }

  /**
   * One update with gradients keyed like `vars`, at learning rate `lr`. Each variable is updated
   * in its own scope (on fbw-native by one fused in-place pass), so temporaries never add up
   * to several copies of the model.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const b1 = this.args.beta1 ?? 0.9, b2 = this.args.beta2 ?? 0.999, eps = this.args.eps ?? 1e-8, wd = this.args.weightDecay ?? 0;
    this.t++;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    const dec = this.args.decoupled === true;
    for (const [k, x] of this.vars) {
      const g0 = grads.get(k);
      if (!g0) continue;
      const m = this.m.get(k)!, v = this.v.get(k)!;
      if (!dec && nativeAdamUpdate(x, g0, m, v, { lr, beta1: b1, beta2: b2, eps, step: this.t, weightDecay: wd })) continue;
      tf.tidy(() => {
        let g = g0;
        if (wd && !dec) g = tf.add(g, tf.mul(x, wd));
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        // θ ← θ − lr · m̂ / (√v̂ + ε), with m̂ = m/c1, v̂ = v/c2 (torch's formulation)
        const base = wd && dec ? tf.mul(x, 1 - lr * wd) : x;
        x.assign(tf.sub(base, tf.div(tf.mul(m1, lr / c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps))));
      });
    }
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}

/** A checkpoint's tensors for Adam-trained `vars`: param/<name>, m/<name>, v/<name>. */
export function adamCheckpointTensors(vars: ReadonlyMap<string, tf.Variable>, adam: Adam): Map<string, NamedTensor> {
  const tensors = new Map<string, NamedTensor>();
  for (const [k, x] of vars) {
    tensors.set(`param/${k}`, { shape: x.shape, data: x.dataSync() as Float32Array });
    tensors.set(`m/${k}`, { shape: x.shape, data: adam.m.get(k)!.dataSync() as Float32Array });
    tensors.set(`v/${k}`, { shape: x.shape, data: adam.v.get(k)!.dataSync() as Float32Array });
  }
  return tensors;
}

/** Put a checkpoint's trained variables and Adam moments back, and Adam's step count `adamT`. */
export function restoreAdamCheckpoint(ck: { readonly tensors: ReadonlyMap<string, NamedTensor>; readonly path: string }, vars: ReadonlyMap<string, tf.Variable>, adam: Adam, adamT: number): void {
  tf.tidy(() => {
    for (const [k, x] of vars) {
      const p = ck.tensors.get(`param/${k}`), m = ck.tensors.get(`m/${k}`), vv = ck.tensors.get(`v/${k}`);
      if (!p || !m || !vv) throw new Error(`checkpoint ${ck.path} lacks tensor '${k}'`);
      x.assign(tf.tensor(p.data, x.shape));
      adam.m.get(k)!.assign(tf.tensor(m.data, x.shape));
      adam.v.get(k)!.assign(tf.tensor(vv.data, x.shape));
    }
  });
  adam.t = adamT;
}
