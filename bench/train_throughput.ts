// Training and inference throughput of fbw's tensor engine on its fastest CPU backend against
// PyTorch (Debian's python3-torch with OpenBLAS, best of 1 and 2 threads) on the same tiny ViT,
// same batch, same machine, measured interleaved over several rounds because the cores are
// shared. Usage: npm run bench -- train_throughput [--rounds 3] [--steps 20] [--backend NAME]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerNativeBackend } from '../src/ml/backend/native/registerNativeBackend.js';
import { TINY_VIT, countParams, forwardTinyVit, initTinyVit, lossAndGrads } from './_tinyvit.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const rounds = Number(opt('rounds', '3'));
const steps = Number(opt('steps', '20'));
const inferIters = Number(opt('infer-iters', '6'));
const BATCH = 64, INFER_BATCH = 256;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = opt('python', '/usr/bin/python3');

async function chooseBackend(): Promise<string> {
  const wanted = opt('backend', '');
  if (wanted === '' || wanted === 'fbw-native') {
    const r = await registerNativeBackend();
    if (r.ok) {
      await tf.setBackend(r.name);
      console.log(`backend fbw-native: ${r.info.blas}, ${r.info.threads} thread(s)`);
      return r.name;
    }
    console.log(`fbw-native unavailable: ${r.reason}`);
  }
  if (wanted === '' || wanted === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    let d = dirname(fileURLToPath(import.meta.resolve('@tensorflow/tfjs-backend-wasm')));
    while (!existsSync(join(d, 'tfjs-backend-wasm-simd.wasm')) && d !== dirname(d)) d = dirname(d);
    wasm.setWasmPaths(d + '/');
    if (await tf.setBackend('wasm')) return 'wasm';
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

function seeded(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    v[i] = s / 4294967296 * 2 - 1;
  }
  return v;
}

/** fbw: training img/s (batch 64, Adam) and inference img/s (batch 256). */
function measureFbw(): { train: number; infer: number; loss: number; leaked: number } {
  const p = initTinyVit(TINY_VIT, 1);
  const optimizer = tf.train.adam(1e-3);
  const x = tf.tensor4d(seeded(BATCH * 32 * 32 * 3, 7), [BATCH, 32, 32, 3]);
  const y = tf.tensor1d(Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10), 'int32');
  let loss = NaN;
  const step = (): void => {
    tf.tidy(() => {
      const r = lossAndGrads(p, TINY_VIT, x, y);
      optimizer.applyGradients(r.grads as tf.NamedTensorMap);
      loss = r.loss.dataSync()[0]!;
    });
  };
  for (let i = 0; i < 3; i++) step();
  const before = tf.memory().numTensors;
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const train = BATCH * steps / ((performance.now() - t0) / 1000);
  const leaked = tf.memory().numTensors - before;
  const xi = tf.tensor4d(seeded(INFER_BATCH * 32 * 32 * 3, 9), [INFER_BATCH, 32, 32, 3]);
  tf.tidy(() => { forwardTinyVit(p, TINY_VIT, xi).dataSync(); });
  t0 = performance.now();
  for (let i = 0; i < inferIters; i++) tf.tidy(() => { forwardTinyVit(p, TINY_VIT, xi).dataSync(); });
  const infer = INFER_BATCH * inferIters / ((performance.now() - t0) / 1000);
  tf.dispose([x, y, xi, ...Object.values(p)]);
  optimizer.dispose();
  return { train, infer, loss, leaked };
}

/** PyTorch on `threads` threads, or undefined when python3-torch is missing. */
function measureTorch(threads: number): { train: number; infer: number; params: number } | undefined {
  const t = String(threads);
  const r = spawnSync(python, [join(root, 'bench', 'torch_vit.py'), '--threads', t, '--steps', String(steps), '--infer-iters', String(inferIters)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
  });
  if (r.status !== 0) {
    console.log(`pytorch (${threads} thread): unavailable: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`);
    return undefined;
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_img_s: number; infer_img_s: number; params: number };
  return { train: j.train_img_s, infer: j.infer_img_s, params: j.params };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f1 = (x: number): string => x.toFixed(1);

const backend = await chooseBackend();
{
  const p = initTinyVit(TINY_VIT, 1);
  console.log(`tiny ViT: ${countParams(p)} parameters, train batch ${BATCH} (Adam), inference batch ${INFER_BATCH}, ${steps} steps x ${rounds} rounds`);
  tf.dispose(Object.values(p));
}
const fbwTrain: number[] = [], fbwInfer: number[] = [], trainRatios: number[] = [], inferRatios: number[] = [];
const torchTrain: number[] = [], torchInfer: number[] = [];
for (let r = 0; r < rounds; r++) {
  const f = measureFbw();
  const t1 = measureTorch(1);
  const t2 = measureTorch(2);
  fbwTrain.push(f.train);
  fbwInfer.push(f.infer);
  const tt = Math.max(t1?.train ?? 0, t2?.train ?? 0), ti = Math.max(t1?.infer ?? 0, t2?.infer ?? 0);
  console.log(`round ${r + 1}: fbw(${backend}) train ${f1(f.train)} img/s, infer ${f1(f.infer)} img/s (loss ${f.loss.toFixed(3)}, leaked tensors ${f.leaked})` +
    ` | pytorch train 1t ${f1(t1?.train ?? NaN)} / 2t ${f1(t2?.train ?? NaN)}, infer 1t ${f1(t1?.infer ?? NaN)} / 2t ${f1(t2?.infer ?? NaN)}`);
  if (tt > 0) {
    torchTrain.push(tt);
    torchInfer.push(ti);
    trainRatios.push(f.train / tt);
    inferRatios.push(f.infer / ti);
  }
}
const spread = (xs: number[]): string => `median ${f1(median(xs))}, range ${f1(Math.min(...xs))}–${f1(Math.max(...xs))}`;
console.log(`fbw train img/s: ${spread(fbwTrain)}; inference img/s: ${spread(fbwInfer)}`);
if (trainRatios.length === 0) {
  console.log('pytorch unavailable: no anchor (install python3-torch)');
  console.log(`RESULT name=train_throughput value=${median(fbwTrain).toFixed(1)} unit=img/s anchor=pytorch-unavailable ratio=0`);
} else {
  console.log(`pytorch best-thread train img/s: ${spread(torchTrain)}; inference img/s: ${spread(torchInfer)}`);
  console.log(`ratio fbw/pytorch: train ${spread(trainRatios.map((x) => x * 100)).replace(/(\d+\.\d)/g, '$1%')}; inference ${spread(inferRatios.map((x) => x * 100)).replace(/(\d+\.\d)/g, '$1%')}`);
  console.log(`RESULT name=train_throughput value=${median(fbwTrain).toFixed(1)} unit=img/s anchor=pytorch-best ratio=${median(trainRatios).toFixed(3)}`);
}
