import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '/work/main/dist/src/ml/backend/initBackend.js';
await initBackend('cpu');
const a = tf.tensor([1, -3.4e38, 2]), b = tf.tensor([0, 5, 3]);
const ge = tf.greaterEqual(a, b); console.log('ge', ge.dtype, ge.dataSync());
const c = tf.cast(ge, 'float32'); console.log('cast', c.dtype, c.dataSync());
console.log('mul', tf.mul(tf.ones([3]), c).dataSync());
const l = tf.less(a,b); console.log('less', l.dataSync(), tf.cast(l,'float32').dataSync());
console.log('step', tf.step(tf.sub(a,b)).dataSync());
