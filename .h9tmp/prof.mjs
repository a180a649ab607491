import * as tf from '@tensorflow/tfjs-core';
import { makeTinyResNet, tempDir } from '/work/main/dist/test/ml-classifier/helpers.js';
import { loadResNet } from '/work/main/dist/src/ml/classifier/loadResNet.js';
import { forwardResNet, conv2d, maxPool3x3s2 } from '/work/main/dist/src/ml/classifier/resnet.js';
const d = await makeTinyResNet(tempDir() + '/m', 'mnist');
const m = await loadResNet(d);
const x = tf.randomNormal([32, 32, 32, 3]);
for (let i = 0; i < 3; i++) { const t = performance.now(); tf.tidy(() => forwardResNet(m, x, 'eval').dataSync()); console.log('fwd', performance.now() - t); }
const w = m.get('resnet.embedder.embedder.convolution.weight');
for (let i = 0; i < 2; i++) { const t = performance.now(); tf.tidy(() => conv2d(x, w, 2, false).dataSync()); console.log('stem', performance.now() - t); }
const y = tf.randomNormal([32, 16, 16, 8]);
for (let i = 0; i < 2; i++) { const t = performance.now(); tf.tidy(() => maxPool3x3s2(y).dataSync()); console.log('pool', performance.now() - t); }
const w3 = m.get('resnet.encoder.stages.0.layers.0.layer.0.convolution.weight'); const z = tf.randomNormal([32, 8, 8, 8]);
for (let i = 0; i < 2; i++) { const t = performance.now(); tf.tidy(() => conv2d(z, w3, 1, false).dataSync()); console.log('conv3', performance.now() - t); }
tf.profile(() => tf.tidy(() => forwardResNet(m, x, 'eval'))).then(p => { const agg = {}; for (const k of p.kernels) agg[k.name] = (agg[k.name] ?? 0) + (k.kernelTimeMs ?? 0); console.log(Object.entries(agg).sort((a,b)=>b[1]-a[1]).slice(0,8)); });
