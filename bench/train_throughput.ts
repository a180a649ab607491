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
import { makeClipVitBench } from './_clipvit.js';
import { requirePythonModule } from './_anchor.js';

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
requirePythonModule('train_throughput', python, 'torch', 'python3-torch');

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

/** fbw on its real CLIP vision tower (autograd + fbw's Adam): training and inference img/s. */
type Measure = { train: number; infer: number; trainCpu: number; inferCpu: number; loss: number; leaked: number };
const cpuSeconds = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;

async function measureClip(): Promise<Measure> {
  const m = await makeClipVitBench(1);
  const x = seeded(BATCH * 32 * 32 * 3, 7);
  const y = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
  let loss = NaN;
  for (let i = 0; i < 3; i++) loss = m.step(x, y, BATCH);
  const before = tf.memory().numTensors;
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) loss = m.step(x, y, BATCH);
  const train = BATCH * steps / ((performance.now() - t0) / 1000);
  const trainCpu = BATCH * steps / cpuSeconds(process.cpuUsage(c0));
  const leaked = tf.memory().numTensors - before;
  const xi = seeded(INFER_BATCH * 32 * 32 * 3, 9);
  m.infer(xi, INFER_BATCH);
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (let i = 0; i < inferIters; i++) m.infer(xi, INFER_BATCH);
  const infer = INFER_BATCH * inferIters / ((performance.now() - t0) / 1000);
  const inferCpu = INFER_BATCH * inferIters / cpuSeconds(process.cpuUsage(c0));
  m.dispose();
  return { train, infer, trainCpu, inferCpu, loss, leaked };
}

/** fbw on the hand-written tiny ViT: training img/s (batch 64, Adam) and inference img/s (batch 256). */
function measureFbw(): Measure {
  const p = initTinyVit(TINY_VIT, 1);
  const optimizer = tf.train.adam(1e-3);
  const x = tf.tensor4d(seeded(BATCH * 32 * 32 * 3, 7), [BATCH, 32, 32, 3]);
  const y = tf.tensor1d(Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10), 'int32');
  let loss = NaN;
  const step = (): void => {
    tf.tidy(() => {
      const r = lossAndGrads(p, TINY_VIT, x, y);
      optimizer.applyGradients(r.grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      loss = r.loss.dataSync()[0]!;
    });
  };
  for (let i = 0; i < 3; i++) step();
  const before = tf.memory().numTensors;
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  const train = BATCH * steps / ((performance.now() - t0) / 1000);
  const trainCpu = BATCH * steps / cpuSeconds(process.cpuUsage(c0));
  const leaked = tf.memory().numTensors - before;
  const xi = tf.tensor4d(seeded(INFER_BATCH * 32 * 32 * 3, 9), [INFER_BATCH, 32, 32, 3]);
  tf.tidy(() => { forwardTinyVit(p, TINY_VIT, xi).dataSync(); });
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (let i = 0; i < inferIters; i++) tf.tidy(() => { forwardTinyVit(p, TINY_VIT, xi).dataSync(); });
  const infer = INFER_BATCH * inferIters / ((performance.now() - t0) / 1000);
  const inferCpu = INFER_BATCH * inferIters / cpuSeconds(process.cpuUsage(c0));
  tf.dispose([x, y, xi, ...Object.values(p)]);
  optimizer.dispose();
  return { train, infer, trainCpu, inferCpu, loss, leaked };
}

/** PyTorch on `threads` threads, or undefined when python3-torch is missing. */
function measureTorch(threads: number): { train: number; infer: number; trainCpu: number; inferCpu: number; params: number } | undefined {
  const t = String(threads);
  const r = spawnSync(python, [join(root, 'bench', 'torch_vit.py'), '--threads', t, '--steps', String(steps), '--infer-iters', String(inferIters)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
  });
  if (r.status !== 0) {
    console.log(`pytorch (${threads} thread): unavailable: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`);
    return undefined;
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_img_s: number; infer_img_s: number; train_img_cpu_s: number; infer_img_cpu_s: number; params: number };
  return { train: j.train_img_s, infer: j.infer_img_s, trainCpu: j.train_img_cpu_s, inferCpu: j.infer_img_cpu_s, params: j.params };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f1 = (x: number): string => x.toFixed(1);

const backend = await chooseBackend();
const modelArg = opt('model', 'both');
let useClip = modelArg !== 'tinyvit';
if (useClip) {
  try {
    const m = await makeClipVitBench(1);
    console.log(`model clip: fbw's CLIP vision tower (src/ml/models) + linear head, ${m.params} trained parameters, tf.variableGrads + fbw Adam`);
    m.dispose();
  } catch (e) {
    console.log(`model clip unavailable (${(e as Error).message.split('\n')[0]}); measuring the hand-written tiny ViT only`);
    useClip = false;
  }
}
const useTiny = modelArg !== 'clip' || !useClip;
{
  const p = initTinyVit(TINY_VIT, 1);
  if (useTiny) console.log(`model tinyvit: hand-written backward (bench/_tinyvit.ts), ${countParams(p)} parameters`);
  tf.dispose(Object.values(p));
}
console.log(`train batch ${BATCH} (Adam), inference batch ${INFER_BATCH}, ${steps} steps x ${rounds} rounds; pytorch: ${python} bench/torch_vit.py (208,138 parameters)`);
type Series = { train: number[]; infer: number[]; trainRatio: number[]; inferRatio: number[]; trainCpuRatio: number[]; inferCpuRatio: number[] };
const series = (): Series => ({ train: [], infer: [], trainRatio: [], inferRatio: [], trainCpuRatio: [], inferCpuRatio: [] });
const clipS = series(), tinyS = series();
const torchTrain: number[] = [], torchInfer: number[] = [];
for (let r = 0; r < rounds; r++) {
  const c = useClip ? await measureClip() : undefined;
  const t1 = measureTorch(1);
  const f = useTiny ? measureFbw() : undefined;
  const t2 = measureTorch(2);
  const tt = Math.max(t1?.train ?? 0, t2?.train ?? 0), ti = Math.max(t1?.infer ?? 0, t2?.infer ?? 0);
  const ttc = Math.max(t1?.trainCpu ?? 0, t2?.trainCpu ?? 0), tic = Math.max(t1?.inferCpu ?? 0, t2?.inferCpu ?? 0);
  const parts: string[] = [];
  for (const [name, m, S] of [['clip', c, clipS], ['tinyvit', f, tinyS]] as const) {
    if (!m) continue;
    S.train.push(m.train);
    S.infer.push(m.infer);
    if (tt > 0) {
      S.trainRatio.push(m.train / tt);
      S.inferRatio.push(m.infer / ti);
      S.trainCpuRatio.push(m.trainCpu / ttc);
      S.inferCpuRatio.push(m.inferCpu / tic);
    }
    parts.push(`fbw ${name} train ${f1(m.train)} infer ${f1(m.infer)} (loss ${m.loss.toFixed(3)}, leaked ${m.leaked})`);
  }
  if (tt > 0) { torchTrain.push(tt); torchInfer.push(ti); }
  console.log(`round ${r + 1} [${backend}]: ${parts.join('; ')} | pytorch train 1t ${f1(t1?.train ?? NaN)} / 2t ${f1(t2?.train ?? NaN)}, infer 1t ${f1(t1?.infer ?? NaN)} / 2t ${f1(t2?.infer ?? NaN)} img/s`);
}
const spread = (xs: number[], pct = false): string => {
  const k = pct ? 100 : 1, u = pct ? '%' : '';
  return `median ${f1(median(xs) * k)}${u} (range ${f1(Math.min(...xs) * k)}–${f1(Math.max(...xs) * k)}${u})`;
};
if (torchTrain.length > 0) console.log(`pytorch best-thread img/s: train ${spread(torchTrain)}, inference ${spread(torchInfer)}`);
for (const [name, S] of [['clip', clipS], ['tinyvit', tinyS]] as const) {
  if (S.train.length === 0) continue;
  console.log(`fbw ${name} img/s: train ${spread(S.train)}, inference ${spread(S.infer)}`);
  if (S.trainRatio.length > 0) {
    console.log(`fbw ${name} / pytorch (wall clock): train ${spread(S.trainRatio, true)}, inference ${spread(S.inferRatio, true)}`);
    console.log(`fbw ${name} / pytorch (per CPU-second, less disturbed by other load): train ${spread(S.trainCpuRatio, true)}, inference ${spread(S.inferCpuRatio, true)}`);
  }
}
const main = useClip ? clipS : tinyS;
if (main.trainRatio.length === 0) {
  console.log('pytorch unavailable: no anchor (install python3-torch)');
  console.log(`RESULT name=train_throughput value=${median(main.train).toFixed(1)} unit=img/s anchor=pytorch-unavailable ratio=0`);
} else {
  console.log(`RESULT name=train_throughput value=${median(main.train).toFixed(1)} unit=img/s anchor=pytorch-best ratio=${median(main.trainRatio).toFixed(3)}`);
}
