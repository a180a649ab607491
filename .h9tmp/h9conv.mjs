import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '/work/main/dist/src/ml/backend/initBackend.js';
import { conv2d, maxPool3x3s2 } from '/work/main/dist/src/ml/classifier/resnet.js';
const b = await initBackend('cpu'); console.log(b.backend);
const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1);
for (const [k, s] of [[3,1],[3,2],[7,2],[1,2],[1,1]]) {
  const w = tf.randomNormal([4, 3, k, k], 0, 1, 'float32', 2);
  const ours = conv2d(x, w, s, true);
  const ref = tf.conv2d(x, tf.transpose(w, [2,3,1,0]), s, Math.floor(k/2));
  console.log(k, s, ours.shape, ref.shape, tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0]);
  const f1 = (xx, ww) => tf.sum(tf.square(conv2d(xx, ww, s, true)));
  const f2 = (xx, ww) => tf.sum(tf.square(tf.conv2d(xx, tf.transpose(ww, [2,3,1,0]), s, Math.floor(k/2))));
  const g1 = tf.grads(f1)([x, w]), g2 = tf.grads(f2)([x, w]);
  console.log('  grads', tf.max(tf.abs(tf.sub(g1[0], g2[0]))).dataSync()[0], tf.max(tf.abs(tf.sub(g1[1], g2[1]))).dataSync()[0]);
}
const mp = maxPool3x3s2(x), mr = tf.maxPool(x, 3, 2, 1);
console.log('pool', mp.shape, mr.shape, tf.max(tf.abs(tf.sub(mp, mr))).dataSync()[0]);
const gp = tf.grad((xx) => tf.sum(tf.square(maxPool3x3s2(xx))))(x);
const gr = tf.grad((xx) => tf.sum(tf.square(tf.maxPool(xx, 3, 2, 1))))(x);
console.log('pool grad', tf.max(tf.abs(tf.sub(gp, gr))).dataSync()[0], tf.any(tf.isNaN(gp)).dataSync()[0]);
