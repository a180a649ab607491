// fbw's ResNet and classifier training step against an independent PyTorch reference of HF
// ResNetForImageClassification (test/ml-classifier/resnet_reference.py, Debian python3-torch) on
// the same safetensors file: eval logits, then two SGD-with-momentum steps on label-smoothed
// cross-entropy with train-mode BatchNorm (weights, losses and running statistics).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadResNet } from '../../src/ml/classifier/loadResNet.js';
import { forwardResNet, applyBnUpdates, type BnUpdate } from '../../src/ml/classifier/resnet.js';
import { Sgd } from '../../src/ml/classifier/sgd.js';
import { smoothedCrossEntropy } from '../../src/ml/classifier/finetuneClassifier.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { makeTinyResNet, root, tempDir } from './helpers.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const maxDiff = (a: ArrayLike<number>, b: readonly number[]) => { let d = 0; for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!)); return d; };

for (const layer_type of ['basic', 'bottleneck'] as const) {
  test(`${layer_type}: forward, BatchNorm statistics and two SGD steps match PyTorch`, async () => {
    if (!hasTorch) {
      console.warn('  (skipped: /usr/bin/python3 has no torch — apt-get install python3-torch)');
      return;
    }
    const dir = tempDir('fbw-resnet-ref-');
    const modelDir = await makeTinyResNet(join(dir, 'model'), 'synth_shapes', 17, layer_type === 'basic' ? {} : { layer_type, hidden_sizes: [16, 32], depths: [1, 2] });
    const m = await loadResNet(modelDir);
    const n = 6, S = 32, lr = 0.05, eps = 0.1;
    const rng = new SeededRng(4);
    const x = Float32Array.from({ length: n * S * S * 3 }, () => rng.normal());
    const y = Int32Array.from({ length: n }, () => rng.int(0, m.config.num_labels - 1));
    writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer));
    writeFileSync(join(dir, 'y.i32'), new Uint8Array(y.buffer));
    const r = spawnSync(PY, [join(root(), 'test', 'ml-classifier', 'resnet_reference.py'), modelDir, join(dir, 'x.f32'), String(n), String(S), join(dir, 'y.i32'), String(lr), String(eps), join(dir, 'out.json')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const ref = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { eval: number[]; losses: number[]; params: Record<string, number[]>; running_var: number[] };

    const xt = tf.tensor4d(x, [n, S, S, 3]);
    const evalLogits = tf.tidy(() => forwardResNet(m, xt, 'eval').dataSync());
    assert.ok(maxDiff(evalLogits, ref.eval) < 1e-4, `eval logits differ by ${maxDiff(evalLogits, ref.eval)}`);
    const sgd = new Sgd(m.params, { momentum: 0.9, weightDecay: 1e-4 });
    const names = [...m.params.keys()], vars = [...m.params.values()];
    const losses: number[] = [];
    for (let s = 0; s < 2; s++) {
      const updates: BnUpdate[] = [];
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => smoothedCrossEntropy(forwardResNet(m, xt, 'train', updates), y, eps), vars);
        sgd.apply(new Map(vars.map((v, i) => [names[i]!, grads[v.name]!])), lr);
        applyBnUpdates(m, updates);
        return value.dataSync()[0]!;
      });
      losses.push(loss);
    }
    assert.ok(maxDiff(losses, ref.losses) < 1e-4, `losses ${losses} vs ${ref.losses}`);
    for (const [k, want] of Object.entries(ref.params)) assert.ok(maxDiff(m.get(k).dataSync(), want) < 1e-4, `${k} differs by ${maxDiff(m.get(k).dataSync(), want)}`);
    const rv = m.get('resnet.encoder.stages.0.layers.0.layer.1.normalization.running_var').dataSync();
    assert.ok(maxDiff(rv, ref.running_var) < 1e-4, `running_var differs by ${maxDiff(rv, ref.running_var)}`);
    sgd.dispose(); xt.dispose(); m.dispose();
  });
}

test.run();
