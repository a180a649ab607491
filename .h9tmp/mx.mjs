import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '/work/main/dist/src/ml/backend/initBackend.js';
await initBackend('cpu');
const a = tf.tensor([1, -3.4e38, 2]), b = tf.tensor([0, 5, 3]);
console.log(tf.grads((x, y) => tf.sum(tf.maximum(x, y)))([a, b]).map(t => t.arraySync()));
const x = tf.tensor4d([1,2,3,4],[1,2,2,1]);
console.log(tf.grad((x) => tf.sum(tf.pad(x, [[0,0],[1,1],[1,1],[0,0]], -3.4e38)))(x).arraySync());
console.log(tf.grad((x) => tf.sum(tf.slice(tf.pad(x, [[0,0],[1,1],[1,1],[0,0]], -3.4e38), [0,1,1,0],[1,2,2,1])))(x).arraySync());
