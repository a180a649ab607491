// The classifier fine-tune's optimizer as one object, whichever the method config names: SGD with
// momentum (torch.optim.SGD), Adam with coupled weight decay, or AdamW (decay applied to the
// weights before the Adam step, as torch.optim.AdamW). It also says what a checkpoint keeps of it:
// momentum buffers (or Adam's first moments) as m/<name>, Adam's second moments as v/<name>, and
// the update count.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '../io/safetensors.js';
import { Adam } from '../finetune/adam.js';
import { Sgd } from './sgd.js';

/** Optimizer block of the method config (torch names). */
export interface ClassifierOptimizer {
  readonly name: 'sgd' | 'adam' | 'adamw';
  readonly lr: number;
  /** sgd only */
  readonly momentum: number;
  readonly weight_decay: number;
}

/** The optimizer `opt` names, over `vars`. */
export class ClassifierOptimizerState {
  private readonly sgd: Sgd | undefined;
  private readonly adam: Adam | undefined;

  constructor(readonly opt: ClassifierOptimizer, private readonly vars: ReadonlyMap<string, tf.Variable>) {
    switch (opt.name) {
      case 'sgd': this.sgd = new Sgd(vars, { momentum: opt.momentum, weightDecay: opt.weight_decay }); break;
      case 'adam': this.adam = new Adam(vars, { learningRate: opt.lr, weightDecay: opt.weight_decay }); break;
      case 'adamw': this.adam = new Adam(vars, { learningRate: opt.lr, weightDecay: 0 }); break;
    }
  }

  /** One update with gradients keyed like `vars`. Call inside tidy. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    if (this.opt.name === 'adamw') for (const x of this.vars.values()) x.assign(tf.mul(x, 1 - lr * this.opt.weight_decay));
    this.sgd?.apply(grads, lr);
    this.adam?.apply(grads, lr);
  }

  /** updates applied so far */
  get t(): number { return this.sgd?.t ?? this.adam?.t ?? 0; }

  /** m/<name> (momentum buffer or first moment) and v/<name> (second moment) for a checkpoint. */
  tensors(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [k, x] of this.vars) {
      const m = this.sgd?.buf.get(k) ?? this.adam?.m.get(k);
      if (m) out.set(`m/${k}`, { shape: x.shape, data: m.dataSync() as Float32Array });
      const v = this.adam?.v.get(k);
      if (v) out.set(`v/${k}`, { shape: x.shape, data: v.dataSync() as Float32Array });
    }
    return out;
  }

  /** Put a checkpoint's optimizer tensors and update count `t` back. Call inside tidy. */
  restore(tensors: ReadonlyMap<string, NamedTensor>, t: number): void {
    for (const [k, x] of this.vars) {
      const m = tensors.get(`m/${k}`);
      if (this.sgd?.buf.has(k) && m) this.sgd.buf.get(k)!.assign(tf.tensor(m.data, x.shape));
      if (this.adam && m) this.adam.m.get(k)!.assign(tf.tensor(m.data, x.shape));
      const v = tensors.get(`v/${k}`);
      if (this.adam && v) this.adam.v.get(k)!.assign(tf.tensor(v.data, x.shape));
    }
    if (this.sgd) this.sgd.t = t;
    if (this.adam) this.adam.t = t;
  }

  dispose(): void {
    this.sgd?.dispose();
    this.adam?.dispose();
  }
}
