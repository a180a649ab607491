// One fused Adam update per variable on fbw-native: a single native pass instead of ~12 tfjs ops
// (each with its own engine round trip and full-size temporary). Falls back (returns false) on any
// other backend or dtype, so callers keep their op path; a variable sharing its buffer with
// another tensor first gets its own copy. Adam: Kingma & Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015), with
// PyTorch's coupled weight decay (g ← g + λθ) and bias correction as torch.optim.Adam.
import * as tf from '@tensorflow/tfjs-core';
import { activeNativeBackend } from './registerNativeBackend.js';
import type { NativeBackend } from './NativeBackend.js';

/** Adam hyper-parameters for one update. */
export interface NativeAdamArgs {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** 1-based update count (bias correction) */
  readonly step: number;
  /** coupled L2 weight decay λ (default 0) */
  readonly weightDecay?: number;
}

/** The buffer of `t` that may be overwritten in place, or undefined when `t` shares it. */
function writable(backend: NativeBackend, t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || !backend.data.has(t.dataId)) return undefined;
  const d = backend.data.get(t.dataId);
  if (d.refCount !== 1 || !(d.values instanceof Float32Array)) return undefined;
  if (backend.isOwned(d.values)) return d.values;
  // user code may hold this array (dataSync): give the tensor a fresh buffer instead
  const copy = backend.alloc(d.values.length);
  copy.set(d.values);
  d.values = copy;
  return copy;
}

/**
 * θ, m, v ← Adam(θ, g, m, v) in place on fbw-native; returns false (nothing changed) when the
 * active backend is not fbw-native or a tensor is not float32.
 */
export function nativeAdamUpdate(param: tf.Variable, grad: tf.Tensor, m: tf.Variable, v: tf.Variable, a: NativeAdamArgs): boolean {
  const backend = activeNativeBackend();
  if (backend === undefined || grad.dtype !== 'float32' || !backend.data.has(grad.dataId)) return false;
  const n = param.size;
  if (grad.size !== n || m.size !== n || v.size !== n) return false;
  const dataIds = new Set([param.dataId, m.dataId, v.dataId, grad.dataId]);
  if (dataIds.size !== 4) return false;
  for (const t of [param, m, v]) {
    if (t.dtype !== 'float32' || !backend.data.has(t.dataId)) return false;
    if (backend.data.get(t.dataId).refCount !== 1) {
      // The variable shares its buffer (e.g. with the tensor it was made from): give it its own
      // copy the tfjs way, once, so the in-place update cannot reach the other tensor.
      const fresh = tf.tensor(Float32Array.from(t.dataSync()), t.shape, 'float32');
      t.assign(fresh);
      fresh.dispose();
      if (backend.data.get(t.dataId).refCount !== 1) return false;
    }
  }
  const pv = writable(backend, param)!, mv = writable(backend, m)!, vv = writable(backend, v)!;
  let g = backend.data.get(grad.dataId).values as Float32Array;
  if (a.weightDecay) {
    const gd = backend.alloc(n);
    for (let i = 0; i < n; i++) gd[i] = g[i]! + a.weightDecay * pv[i]!;
    g = gd;
  }
  backend.addon.adamUpdate(pv, g, mv, vv, a.lr, a.beta1, a.beta2, a.eps, a.step);
  return true;
}
