// scaling_search: task arithmetic / TIES with λ chosen on a validation split. On a small random
// CLIP and real synthetic task data: the kept model is exactly the streaming merge at the chosen
// λ, every grid point's score is the accuracy on the seeded train subset (never the test split),
// and the best mean wins.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { TASKS, config, perturbed } from './tinyClip.js';
import { initClip, ClipModel, newVariable } from '../../src/ml/models/clip.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { SeededRng, seededShuffle } from '../../src/ml/data/SeededRng.js';
import { loadTask, taskInfo, type TaskDataset } from '../../src/ml/data/index.js';
import type { Head } from '../../src/ml/heads/head.js';
import { classify } from '../../src/ml/eval/evaluate.js';
import { resolveArgs } from '../../src/registry/index.js';
import { scaling_search } from '../../src/registry/methods/scaling_search.js';
import { membersInMemory, visionNames, type ModelMergeArgs } from '../../src/ml/merge/modelMerge.js';
import type { GridPoint } from '../../src/ml/merge/scalingSearch.js';
import type { Json } from '../../src/compile/ir.js';
import { merged as streamed, tempDir, type Spec } from './helpers.js';

function head(task: string, seed: number): Head {
  const info = taskInfo(task);
  const rng = new SeededRng(seed);
  const c = info.classnames.length, dim = config.projection_dim;
  const w = new Float32Array(c * dim);
  for (let i = 0; i < w.length; i++) w[i] = rng.next() - 0.5;
  return { kind: 'zeroshot', task, classnames: info.classnames, templates: info.templates, logitScale: 30, weight: w, numClasses: c, dim };
}

let base: ClipModel, models: ClipModel[];
const heads = TASKS.map((t, i) => head(t, 200 + i));
const splitsRead: string[] = [];
const cache = new Map<string, Promise<TaskDataset>>();
const data = (i: number, split: 'train' | 'test'): Promise<TaskDataset> => {
  splitsRead.push(split);
  const k = `${i}${split}`;
  if (!cache.has(k)) cache.set(k, loadTask(TASKS[i]!, split, { maxExamples: 64 }));
  return cache.get(k)!;
};

async function search(params: { readonly [k: string]: Json }): Promise<{ out: Map<string, Float32Array>; info: Record<string, unknown>; log: string[] }> {
  const info: Record<string, unknown> = {};
  const log: string[] = [];
  const a: ModelMergeArgs = { base, members: membersInMemory(models), heads, data, log: (l) => log.push(l), record: (x) => Object.assign(info, x) };
  const out = await scaling_search.merge!.model!(resolveArgs(scaling_search, params), a);
  return { out, info, log };
}

/** the vision tensors of a model as a safetensors spec, for the streaming merge */
const spec = (m: ClipModel): Spec => Object.fromEntries(visionNames(base).map((k) => [k, { shape: m.get(k).shape, data: [...(m.get(k).dataSync() as Float32Array)] }]));

/** accuracy of base + given vision tensors on the first n of a seeded order of the train split, computed here */
async function accuracyOn(i: number, tensors: Map<string, Float32Array>, n: number, seed: number, batchSize: number): Promise<number> {
  const ds = await loadTask(TASKS[i]!, 'train', { maxExamples: 64 });
  const order = seededShuffle(ds.size, seed + i).subarray(0, n);
  const ts = new Map([...tensors].map(([k, v]) => [k, tf.tensor(v, base.get(k).shape)] as const));
  let c = 0;
  // in batches of the search's batch_size: float sums, and so near-tied argmaxes, depend on the batch
  for (let s = 0; s < n; s += batchSize) {
    const b = ds.batch(order.subarray(s, Math.min(n, s + batchSize)), config.vision_config.image_size);
    const pred = classify(base, heads[i]!, b.x, b.n, { p: (k) => ts.get(k) ?? base.get(k), trainable: () => false });
    const am = tf.argMax(pred, 1);
    const y = am.dataSync();
    tf.dispose([am, pred]);
    for (let j = 0; j < b.n; j++) if (y[j] === b.y[j]) c++;
  }
  tf.dispose([...ts.values()]);
  return c / n;
}

test.before(async () => {
  await initBackend('cpu');
  const rng = new SeededRng(5);
  base = initClip(config, () => rng.next());
  models = [perturbed(base, 21, 0.3, 'ss'), perturbed(base, 22, 0.3, 'ss')];
});

for (const on of ['task_arithmetic', 'ties'] as const) {
  test(`${on}: the kept model is the streaming ${on} at the chosen λ, chosen by the best mean validation accuracy`, async () => {
    splitsRead.length = 0;
    const extra: { readonly [k: string]: Json } = on === 'ties' ? { threshold: 40 } : {};
    const { out, info, log } = await search({ on, grid: [0.1, 0.5, 1.0, 2.0], num_val_examples: 40, batch_size: 16, ...extra });
    assert.equal([...new Set(splitsRead)], ['train'], 'the validation images come from the train split, never the test split');
    const grid = (info['validation'] as { grid: GridPoint[] }).grid;
    assert.equal(grid.map((g) => g.scaling_factor), [0.1, 0.5, 1.0, 2.0]);
    const chosen = (info['selected'] as { scaling_factor: number }).scaling_factor;
    const bestMean = Math.max(...grid.map((g) => g.mean));
    assert.is(chosen, grid.find((g) => g.mean === bestMean)!.scaling_factor, 'the first λ with the best mean is kept');
    assert.ok(log.some((l) => l.includes(`scaling_factor ${chosen} chosen`)));
    // the kept tensors are the streaming engine's merge at that λ, bit for bit
    const { dir, cleanup } = tempDir();
    try {
      const want = await streamed(dir, on, { scaling_factor: chosen, ...extra }, spec(base), models.map(spec));
      for (const k of visionNames(base)) assert.equal([...out.get(k)!], want[k], k);
    } finally { cleanup(); }
    // each grid point's score is the accuracy on the seeded train subset, recomputed here
    const { dir: d2, cleanup: c2 } = tempDir();
    try {
      for (const g of grid.filter((_, j) => j === 0 || j === 3)) {
        const m = await streamed(d2, on, { scaling_factor: g.scaling_factor, ...extra }, spec(base), models.map(spec));
        const tensors = new Map(Object.entries(m).map(([k, v]) => [k, Float32Array.from(v)] as const));
        for (let i = 0; i < TASKS.length; i++) assert.is(g.accuracy[i], await accuracyOn(i, tensors, 40, 42, 16), `λ=${g.scaling_factor} task ${TASKS[i]}`);
      }
    } finally { c2(); }
  });
}

test('λ = 0 keeps the pretrained model when it scores best: a grid of [0] returns the base tensors', async () => {
  const { out, info } = await search({ grid: [0], num_val_examples: 8 });
  assert.equal((info['selected'] as { scaling_factor: number }).scaling_factor, 0);
  for (const k of visionNames(base)) assert.equal([...out.get(k)!], [...(base.get(k).dataSync() as Float32Array)], k);
});

test.run();
