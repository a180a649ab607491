// Tensor ops written the way the CPU backends are fast (issue 3): on wasm only plain 2-D matMul
// is fast, and tfjs's own matMul gradient uses transposed matMuls, so linear layers are 2-D
// matMuls with custom gradients that transpose explicitly; embedding and pooling gathers get a
// one-hot matMul gradient (wasm has no UnsortedSegmentSum). Same code on every backend.
import * as tf from '@tensorflow/tfjs-core';

type T2 = tf.Tensor2D;

/** x [N, in] · wᵀ for a trainable w [out, in] (HF Linear layout); gradients for x and w. */
export const matMulWT = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  const value = tf.matMul(x as T2, tf.transpose(w as T2));
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [T2, T2];
      return [tf.matMul(dy as T2, ws), tf.matMul(tf.transpose(dy as T2), xs)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, w: tf.Tensor) => T2;

/** x [N, in] · wᵀ for a frozen w: the gradient flows to x only (no wasted dW). */
export function matMulWTFrozen(x: tf.Tensor, w: tf.Tensor): T2 {
  const wt = tf.transpose(w as T2);
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    void save;
    return { value: tf.matMul(xi as T2, wt), gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as T2, w as T2)] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T2;
}

/** Batched a [b, m, k] · b [b, k, n] with gradients through explicit 3-D transposes. */
export const batchMatMul = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
      return [tf.matMul(dy as tf.Tensor3D, tf.transpose(bs, [0, 2, 1])), tf.matMul(tf.transpose(as, [0, 2, 1]), dy as tf.Tensor3D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor3D;

/** Rows `idx` of table [R, D]; the gradient is onehot(idx)ᵀ · dy, a plain 2-D matMul. */
export function gatherRows(table: tf.Tensor, idx: Int32Array): T2 {
  const rows = table.shape[0]!;
  const f = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    void save;
    const ids = tf.tensor1d(idx, 'int32');
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor) => [tf.matMul(oneHotT(idx, rows), dy as T2)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(table) as T2;
}

/** onehot(idx)ᵀ as a [rows, idx.length] float matrix, built in JS (no OneHot/Transpose kernels). */
function oneHotT(idx: Int32Array, rows: number): T2 {
  const m = new Float32Array(rows * idx.length);
  for (let i = 0; i < idx.length; i++) m[idx[i]! * idx.length + i] = 1;
  return tf.tensor2d(m, [rows, idx.length]);
}

/** onehot(labels) [n, classes] built in JS. */
export function oneHot(labels: Int32Array, classes: number): T2 {
  const m = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) m[i * classes + labels[i]!] = 1;
  return tf.tensor2d(m, [labels.length, classes]);
}

/** LayerNorm over the last axis of [N, D]. */
export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): T2 {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b) as T2;
}

/** quick_gelu (x·σ(1.702x)) as OpenAI CLIP uses, or tanh-approximated gelu. */
export function activation(x: tf.Tensor, kind: 'quick_gelu' | 'gelu'): tf.Tensor {
  switch (kind) {
    case 'quick_gelu': return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
    case 'gelu': {
      const c = Math.sqrt(2 / Math.PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
    }
  }
}

/** Rows scaled to unit L2 norm. */
export function l2Normalize(x: tf.Tensor): T2 {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12))) as T2;
}

/** Mean cross-entropy of logits [N, C] against integer labels. */
export function crossEntropy(logits: tf.Tensor, labels: Int32Array): tf.Scalar {
  const c = logits.shape[1]!;
  const oh = oneHot(labels, c);
  return tf.neg(tf.mean(tf.sum(tf.mul(oh, tf.logSoftmax(logits)), -1))) as tf.Scalar;
}
