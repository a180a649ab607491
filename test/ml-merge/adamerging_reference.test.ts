// AdaMerging against an independent PyTorch implementation of FusionBench's (adamerging_reference.py):
// on the bundled tiny CLIP with real zero-shot heads and real task images, the entropy objective,
// its gradient with respect to every task-wise and layer-wise coefficient, and two Adam steps must
// agree to 1e-5 — so a FusionBench user gets the same coefficients from the same batches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { loadTask, SeededRng, type TaskDataset } from '../../src/ml/data/index.js';
import type { Head } from '../../src/ml/heads/head.js';
import { writeSafetensors, type NamedTensor } from '../../src/ml/io/safetensors.js';
import { adamergingObjective, adamStep, type AdaMergingProblem, type AdamState } from '../../src/ml/merge/adamerging.js';
import { visionNames } from '../../src/ml/merge/modelMerge.js';
import { tempDir } from './helpers.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function root(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!d.endsWith('/dist') && d !== '/') d = dirname(d);
  return d === '/' ? process.cwd() : dirname(d);
}

const TASKS = ['mnist', 'synth_shapes', 'synth_colors'];
const STEPS = 2, BATCH = 8;

async function compare(layerWise: boolean, clamp: boolean): Promise<void> {
  if (!hasTorch) { console.warn('  (skipped: /usr/bin/python3 has no torch — apt-get install python3-torch)'); return; }
  await initBackend('cpu');
  const t = tempDir();
  const baseDir = join(root(), 'models', 'clip-tiny');
  const base = await loadClip(baseDir);
  try {
    const tok = await tokenizerFor(base);
    const names = visionNames(base);
    const sd0 = base.stateDict();
    // three "fine-tunes": seeded perturbations of the vision tower, on the scale of its weights
    const models: string[] = [];
    const taskVectors: tf.Tensor[][] = [];
    for (let i = 0; i < TASKS.length; i++) {
      const rng = new SeededRng(100 + i);
      const sd = new Map<string, NamedTensor>(sd0);
      const tv: tf.Tensor[] = [];
      for (const k of names) {
        const w = sd0.get(k)!;
        let s = 0; for (const x of w.data) s += x * x;
        const scale = 0.1 * Math.sqrt(s / w.data.length) + 1e-3;
        const d = Float32Array.from(w.data, () => scale * rng.normal());
        const ft = Float32Array.from(w.data, (x, j) => x + d[j]!);
        sd.set(k, { shape: w.shape, data: ft });
        tv.push(tf.tensor(Float32Array.from(ft, (x, j) => x - w.data[j]!), [...w.shape]));
      }
      const p = join(t.dir, `ft${i}.safetensors`);
      await writeSafetensors(p, sd);
      models.push(p);
      taskVectors.push(tv);
    }
    const heads: Head[] = [], headFiles: { weight: string; classes: number; logit_scale: number }[] = [], steps: { x: string; n: number }[][] = [];
    const data: TaskDataset[] = [];
    for (const task of TASKS) {
      const ds = await loadTask(task, 'test');
      const head = buildZeroshotHead(base, tok, ds.name, ds.classnames, ds.templates);
      const f = join(t.dir, `head-${task}.f32`);
      writeFileSync(f, new Uint8Array(head.weight.buffer, head.weight.byteOffset, head.weight.byteLength));
      heads.push(head);
      headFiles.push({ weight: f, classes: head.numClasses, logit_scale: head.logitScale });
      data.push(ds);
    }
    const S = base.config.vision_config.image_size;
    const batches = Array.from({ length: STEPS }, (_, s) => data.map((ds, i) => {
      const b = ds.batch(Int32Array.from({ length: BATCH }, (_, j) => (s * 97 + i * 31 + j * 13) % ds.size), S);
      const f = join(t.dir, `x-${s}-${i}.f32`);
      writeFileSync(f, new Uint8Array(b.x.buffer, b.x.byteOffset, b.x.byteLength));
      return { b, file: { x: f, n: b.n } };
    }));
    for (const s of batches) steps.push(s.map((e) => e.file));
    const L = layerWise ? names.length : 1;
    // coefficients on both sides of [0, 1], so clamping's zero gradient is exercised
    const lambda = Float32Array.from({ length: TASKS.length * L }, (_, j) => [0.3, -0.2, 1.3, 0.6, 0.05][j % 5]!);
    const spec = { base_dir: baseDir, names, models, heads: headFiles, lambda: [...lambda], layer_wise: layerWise, clamp, lr: 1e-3, steps };
    writeFileSync(join(t.dir, 'spec.json'), JSON.stringify(spec));
    const r = spawnSync(PY, [join(root(), 'test', 'ml-merge', 'adamerging_reference.py'), join(t.dir, 'spec.json'), join(t.dir, 'out.json')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const ref = JSON.parse(readFileSync(join(t.dir, 'out.json'), 'utf8')) as { steps: { loss: number; grad: number[]; lambda_after: number[] }[] };

    const problem: AdaMergingProblem = { base, heads, names, taskVectors, layerWise, clamp };
    const adam: AdamState = { m1: new Float32Array(lambda.length), m2: new Float32Array(lambda.length), t: 0 };
    const before = tf.memory().numTensors;
    for (let s = 0; s < STEPS; s++) {
      const { loss, grad } = adamergingObjective(problem, lambda, batches[s]!.map((e) => e.b));
      const want = ref.steps[s]!;
      assert.ok(Math.abs(loss - want.loss) < 1e-5, `step ${s + 1}: entropy ${loss} vs PyTorch ${want.loss}`);
      let gmax = 0, gdiff = 0, zeroed = 0;
      for (let j = 0; j < grad.length; j++) {
        gmax = Math.max(gmax, Math.abs(want.grad[j]!));
        gdiff = Math.max(gdiff, Math.abs(grad[j]! - want.grad[j]!));
        if (want.grad[j] === 0) zeroed++;
      }
      assert.ok(gmax > 1e-4, 'the reference gradient is not trivially zero');
      assert.ok(gdiff < 1e-5, `step ${s + 1}: gradient differs by ${gdiff} (largest component ${gmax})`);
      if (clamp) assert.ok(zeroed > 0, 'coefficients outside [0, 1] get no gradient');
      adamStep(lambda, grad, adam, 1e-3);
      let ldiff = 0;
      for (let j = 0; j < lambda.length; j++) ldiff = Math.max(ldiff, Math.abs(lambda[j]! - want.lambda_after[j]!));
      assert.ok(ldiff < 1e-5, `step ${s + 1}: coefficients after Adam differ by ${ldiff}`);
    }
    assert.is(tf.memory().numTensors, before, 'the objective leaks no tensors');
    tf.dispose(taskVectors.flat());
  } finally {
    base.dispose();
    t.cleanup();
  }
}

test('task-wise AdaMerging: entropy, gradient and two Adam steps equal FusionBench/PyTorch', () => compare(false, false));
test('layer-wise AdaMerging: entropy, gradient and two Adam steps equal FusionBench/PyTorch', () => compare(true, false));
test('layer-wise AdaMerging with clamp_weights: clamp(λ, 0, 1) in the merge, as FusionBench', () => compare(true, true));

test.run();
