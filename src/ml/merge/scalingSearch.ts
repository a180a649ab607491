// Task arithmetic / TIES with the scaling factor chosen on a validation split, as Ilharco et al.
// (Editing models with task arithmetic, ICLR 2023, §3) and FusionBench's TA8 numbers do: merge at
// every λ of a grid, score each merged model on held-out labelled images of every task, keep the
// λ with the best mean accuracy. The merge at each λ is the task-vector method's own kernel, so
// the chosen model is bit-identical to `task_arithmetic(scaling_factor=λ)` (or `ties(...)`).
// The validation images are a seeded subset of each task's train split — never its test split.
import * as tf from '@tensorflow/tfjs-core';
import type { Chunk, Kernel, PassContext } from './method.js';
import { visionNames, type ModelMergeArgs } from './modelMerge.js';
import { classify } from '../eval/evaluate.js';
import { isLinearWeight } from './kernels.js';
import { seededShuffle } from '../data/SeededRng.js';
import { MergeInputError } from './errors.js';
import { Interrupted } from '../../util/interrupted.js';

/** What the search needs besides the method: the grid and the validation split. */
export interface ScalingSearchArgs {
  /** candidate scaling factors, tried in order (the first of equally good ones wins) */
  readonly grid: readonly number[];
  /** labelled validation images per task, a seeded subset of the train split */
  readonly num_val_examples: number;
  readonly batch_size: number;
  /** seed of the validation subset (model i uses seed + i) */
  readonly seed: number;
}

/** The task-vector merge at one scaling factor: its kernel, and the tensors it leaves at the base. */
export interface ScaledMerge {
  readonly name: string;
  readonly removedKeys: readonly string[];
  kernel(scalingFactor: number, ctx: PassContext): Promise<Kernel>;
}

/** One grid point's validation result (accuracy as a fraction per task, in model order). */
export interface GridPoint {
  readonly scaling_factor: number;
  readonly accuracy: readonly number[];
  readonly mean: number;
}

/** Run a streaming kernel over whole in-memory tensors (the merge stage's models are loaded). */
async function mergeInMemory(m: ScaledMerge, scalingFactor: number, names: readonly string[], shapes: ReadonlyMap<string, readonly number[]>, base: ReadonlyMap<string, Float32Array>, models: readonly ReadonlyMap<string, Float32Array>[], log: (l: string) => void): Promise<Map<string, Float32Array>> {
  const chunkOf = (k: string): Chunk => {
    const b = base.get(k)!;
    return { name: k, shape: shapes.get(k)!, start: 0, length: b.length, linearWeight: isLinearWeight(k, shapes.get(k)!), base: b, models: models.map((x) => x.get(k)!) };
  };
  const ctx: PassContext = {
    numModels: models.length,
    numel: names.reduce((s, k) => s + base.get(k)!.length, 0),
    log,
    pass: async (visit) => { for (const k of names) visit(chunkOf(k)); },
  };
  const kernel = await m.kernel(scalingFactor, ctx);
  const out = new Map<string, Float32Array>();
  for (const k of names) {
    const o = new Float32Array(base.get(k)!.length);
    kernel.apply(chunkOf(k), o);
    out.set(k, o);
  }
  for (const [k, i, v] of kernel.finish?.() ?? []) out.get(k)![i] = v;
  return out;
}

/** Top-1 accuracy of the base model with `merged` vision tensors on `count` seeded train images of task i. */
async function validationAccuracy(p: ScalingSearchArgs, a: ModelMergeArgs, i: number, merged: ReadonlyMap<string, tf.Tensor>): Promise<number> {
  const ds = await a.data(i, 'train');
  const n = Math.min(p.num_val_examples, ds.size);
  const order = seededShuffle(ds.size, p.seed + i);
  const ctx = { p: (k: string) => merged.get(k) ?? a.base.get(k), trainable: () => false };
  const size = a.base.config.vision_config.image_size;
  let correct = 0;
  for (let s = 0; s < n; s += p.batch_size) {
    if (a.signal?.aborted) throw new Interrupted(0, 'merge');
    const idx = order.subarray(s, Math.min(n, s + p.batch_size));
    const b = ds.batch(idx, size);
    const pred = tf.tidy(() => tf.argMax(classify(a.base, a.heads[i]!, b.x, b.n, ctx), 1));
    const y = pred.dataSync();
    pred.dispose();
    for (let j = 0; j < b.n; j++) if (y[j] === b.y[j]) correct++;
  }
  return n ? correct / n : 0;
}

/** Merge at every grid point, score on the validation split, return the best merge's vision tensors. */
export async function scalingSearch(p: ScalingSearchArgs, m: ScaledMerge, a: ModelMergeArgs): Promise<Map<string, Float32Array>> {
  if (p.grid.length === 0) throw new MergeInputError(m.name, 'grid is empty: give at least one scaling factor');
  const removed = new Set(m.removedKeys);
  const names = visionNames(a.base).filter((k) => !removed.has(k));
  const shapes = new Map(names.map((k) => [k, a.base.get(k).shape] as const));
  const base = new Map(names.map((k) => [k, a.base.get(k).dataSync() as Float32Array] as const));
  const models: Map<string, Float32Array>[] = [];
  for (let i = 0; i < a.members.count; i++) models.push(await a.members.with(i, (x) => new Map(names.map((k) => [k, x.get(k).dataSync() as Float32Array] as const))));
  const points: GridPoint[] = [];
  let best: { point: GridPoint; merged: Map<string, Float32Array> } | undefined;
  const total = p.grid.length * a.members.count;
  for (const [g, lambda] of p.grid.entries()) {
    const merged = await mergeInMemory(m, lambda, names, shapes, base, models, a.log);
    const tensors = new Map([...merged].map(([k, v]) => [k, tf.tensor(v, [...shapes.get(k)!])] as const));
    const accuracy: number[] = [];
    try {
      for (let i = 0; i < a.members.count; i++) {
        accuracy.push(await validationAccuracy(p, a, i, tensors));
        a.progress?.({ step: g * a.members.count + i + 1, total, phase: `${m.name} λ=${lambda}` });
      }
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    const point = { scaling_factor: lambda, accuracy, mean: accuracy.reduce((s, x) => s + x, 0) / accuracy.length };
    points.push(point);
    a.log(`${m.name} scaling_factor=${lambda}: validation accuracy [${accuracy.map((x) => (x * 100).toFixed(1)).join(', ')}] mean ${(point.mean * 100).toFixed(2)}%`);
    if (!best || point.mean > best.point.mean) best = { point, merged };
  }
  a.log(`${m.name}: scaling_factor ${best!.point.scaling_factor} chosen on the validation split (mean accuracy ${(best!.point.mean * 100).toFixed(2)}%)`);
  a.record?.({
    selected: { scaling_factor: best!.point.scaling_factor },
    validation: { split: `seeded subset of each task's train split (${p.num_val_examples} images, seed ${p.seed} + model index)`, grid: points },
  });
  return best!.merged;
}
