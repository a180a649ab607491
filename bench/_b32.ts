// fbw's side of the ViT-B/32 benchmarks, one measurement per process so its peak RSS (VmHWM) is
// that measurement's alone: fbw's own CLIP (src/ml/models) at ViT-B/32 vision shape with seeded
// random weights, trained through the product's fine-tune loop (finetuneClip: full or LoRA r=16,
// linear head, Adam) on generated 224 px images, or run forward (inference) at batch 64.
//   node dist/bench/_b32.js --mode full|lora|infer [--steps N] [--warmup N] [--batch N] [--gc]
// Threads come from FBW_NATIVE_THREADS (set by the caller). Prints one JSON line.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/ml/backend/initBackend.js';
import { initClip } from '../src/ml/models/clip.js';
import { makeClipConfig, type ClipConfig } from '../src/ml/models/clipConfig.js';
import { finetuneClip } from '../src/ml/finetune/finetuneClip.js';
import { classify } from '../src/ml/eval/evaluate.js';
import type { Head } from '../src/ml/heads/head.js';
import type { TaskDataset } from '../src/ml/data/types.js';
import { activeNativeBackend } from '../src/ml/backend/native/registerNativeBackend.js';
import { clipFinetuneArgs } from '../src/registry/methods/clipFinetune.js';

/**
 * OpenAI clip-vit-base-patch32's shapes. The training bench never runs the text tower, so it asks
 * for a minimal one (1 layer, 1000-token vocabulary); the eval bench uses the real one.
 */
export function b32Config(textLayers = 1, vocab = 1000): ClipConfig {
  return makeClipConfig({
    projection_dim: 512,
    vision: { image_size: 224, patch_size: 32, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
    text: { vocab_size: vocab, max_position_embeddings: 77, hidden_size: 512, num_hidden_layers: textLayers, num_attention_heads: 8, intermediate_size: 2048 },
  });
}

export function seededRand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Peak resident set of this process so far, MB (Linux VmHWM). */
export function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A split of `size` random CLIP-normalised-range images (generated per batch, seeded by index). */
function randomDataset(size: number, classes: number, imageSize: number): TaskDataset {
  return {
    name: 'bench', split: 'train', size, classnames: Array.from({ length: classes }, (_, i) => `c${i}`), templates: ['{}'], fingerprint: 'bench',
    label: (i) => i % classes,
    batch(indices, s) {
      const n = indices.length, px = s * s * 3;
      const x = new Float32Array(n * px);
      for (let j = 0; j < n; j++) {
        const r = seededRand(indices[j]! + 1);
        for (let k = 0; k < px; k++) x[j * px + k] = r() * 4 - 2;
      }
      return { x, y: Int32Array.from(indices, (i) => i % classes), n };
    },
  };
}

function randomHead(classes: number, dim: number, seed: number): Head {
  const r = seededRand(seed);
  const w = new Float32Array(classes * dim);
  for (let i = 0; i < w.length; i++) w[i] = (r() * 2 - 1) * 0.05;
  return { kind: 'zeroshot', task: 'bench', classnames: Array.from({ length: classes }, (_, i) => `c${i}`), templates: ['{}'], logitScale: 100, weight: w, numClasses: classes, dim };
}

const isMain = process.argv[1]?.endsWith('/_b32.js');
if (isMain) {
  const { values: v } = parseArgs({ options: {
    mode: { type: 'string', default: 'full' }, steps: { type: 'string', default: '4' }, warmup: { type: 'string', default: '1' },
    batch: { type: 'string' }, gc: { type: 'boolean', default: false },
  } });
  const info = await initBackend('cpu');
  const native = activeNativeBackend();
  const threads = native ? native.addon.info().threads : 1;
  const cfg = b32Config();
  const model = initClip(cfg, seededRand(1));
  const classes = 10;
  const head = randomHead(classes, cfg.projection_dim, 2);
  const steps = Number(v.steps), warmup = Number(v.warmup);
  let imgS: number, imgCpuS: number, loss = NaN, trained = 0;
  if (v.mode === 'infer') {
    const bs = Number(v.batch ?? 64);
    const x = randomDataset(bs, classes, 224).batch(Array.from({ length: bs }, (_, i) => i), 224).x;
    const run = () => { const l = classify(model, head, x, bs); l.dataSync(); l.dispose(); };
    for (let i = 0; i < warmup; i++) run();
    const t0 = performance.now(), c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) run();
    const c = process.cpuUsage(c0);
    imgS = bs * steps / ((performance.now() - t0) / 1000);
    imgCpuS = bs * steps / ((c.user + c.system) / 1e6);
  } else {
    const bs = Number(v.batch ?? 16);
    const data = randomDataset(bs * (steps + warmup), classes, 224);
    let t0 = 0, c0: NodeJS.CpuUsage = process.cpuUsage();
    const r = await finetuneClip(model, head, data, {
      ...clipFinetuneArgs(v.mode === 'lora' ? 'lora' : 'full', { head: 'linear', num_steps: steps + warmup, batch_size: bs, seed: 1, save_interval: 1e9 }, 'user'),
      ...(v.gc ? { gradient_checkpointing: true } : {}),
      onProgress: (p) => { if (p.step === warmup) { t0 = performance.now(); c0 = process.cpuUsage(); } },
    });
    const c = process.cpuUsage(c0);
    imgS = bs * steps / ((performance.now() - t0) / 1000);
    imgCpuS = bs * steps / ((c.user + c.system) / 1e6);
    loss = r.log.at(-1)!.loss;
    trained = r.trainableParams;
    r.adapters?.dispose();
  }
  console.log(JSON.stringify({ mode: v.mode, gc: v.gc, backend: info.backend, threads, img_s: imgS, img_cpu_s: imgCpuS, peak_rss_mb: peakRssMb(), loss, trained, tensors: tf.memory().numTensors }));
  model.dispose();
}
