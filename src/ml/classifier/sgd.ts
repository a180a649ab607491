// SGD with momentum and coupled weight decay exactly as torch.optim.SGD (dampening 0, no
// Nesterov): g ← g + λθ; b ← g on the first step, else b ← μb + g; θ ← θ − lr·b. The optimizer
// FusionBench's ImageClassificationFineTuning configures (lr 0.001, momentum 0.9, wd 1e-4).
// Momentum buffers are tf.Variables so checkpoints save and restore them exactly.
import * as tf from '@tensorflow/tfjs-core';
import { newVariable } from '../models/clip.js';

export interface SgdArgs {
  readonly momentum: number;
  readonly weightDecay: number;
}

/** SGD over a fixed, named set of variables. */
export class Sgd {
  readonly buf = new Map<string, tf.Variable>();
  /** updates applied so far (0 = buffers not yet initialised, as torch's lazy state) */
  t = 0;

  constructor(readonly vars: ReadonlyMap<string, tf.Variable>, readonly args: SgdArgs) {
    if (args.momentum > 0) for (const [k, x] of vars) this.buf.set(k, newVariable(tf.zerosLike(x), `sgd.momentum/${k}`));
  }

  /** One update with gradients keyed like `vars`, at learning rate `lr`. Call inside tidy. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const mu = this.args.momentum, wd = this.args.weightDecay;
    const first = this.t === 0;
    this.t++;
    for (const [k, x] of this.vars) {
      let g = grads.get(k);
      if (!g) continue;
      if (wd) g = tf.add(g, tf.mul(x, wd));
      if (mu > 0) {
        const b = this.buf.get(k)!;
        const nb = first ? g : tf.add(tf.mul(b, mu), g);
        b.assign(nb);
        g = nb;
      }
      x.assign(tf.sub(x, tf.mul(g, lr)));
    }
  }

  dispose(): void {
    for (const b of this.buf.values()) b.dispose();
    this.buf.clear();
  }
}

/** torch CosineAnnealingLR (eta_min 0) in closed form: lr at schedule position `t` of `tMax`. */
export function cosineAnnealing(base: number, t: number, tMax: number): number {
  if (tMax <= 0) return base;
  return base * 0.5 * (1 + Math.cos((Math.PI * t) / tMax));
}
