// The data-driven merges (Fisher, RegMean, AdaMerging) and the ensemble on a small random CLIP
// and real synthetic task data: properties that must hold whatever the random weights are.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { TASKS, config, perturbed } from './tinyClip.js';
import { initClip, ClipModel, newVariable } from '../../src/ml/models/clip.js';
import { saveClip } from '../../src/ml/models/loadClip.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { loadTask, taskInfo, type TaskDataset } from '../../src/ml/data/index.js';
import type { Head } from '../../src/ml/heads/head.js';
import { classify } from '../../src/ml/eval/evaluate.js';
import { resolveArgs, type MethodDef } from '../../src/registry/index.js';
import { fisher } from '../../src/registry/methods/fisher.js';
import { regmean as regmeanDef } from '../../src/registry/methods/regmean.js';
import { adamerging } from '../../src/registry/methods/adamerging.js';
import { solve } from '../../src/ml/merge/regmean.js';
import { writeEnsemble, loadEnsemble, predictEnsemble, evaluateEnsemble, isEnsembleFolder } from '../../src/ml/merge/ensemble.js';
import { membersInMemory, type ModelMergeArgs } from '../../src/ml/merge/modelMerge.js';
import { tempDir } from './helpers.js';
import { join } from 'node:path';
import type { Json } from '../../src/compile/ir.js';

function head(task: string, seed: number): Head {
  const info = taskInfo(task);
  const rng = new SeededRng(seed);
  const c = info.classnames.length, dim = config.projection_dim;
  const w = new Float32Array(c * dim);
  for (let r = 0; r < c; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) { const x = rng.next() - 0.5; w[r * dim + j] = x; s += x * x; }
    for (let j = 0; j < dim; j++) w[r * dim + j] = w[r * dim + j]! / Math.sqrt(s);
  }
  return { kind: 'zeroshot', task, classnames: info.classnames, templates: info.templates, logitScale: 30, weight: w, numClasses: c, dim };
}

let base: ClipModel, models: ClipModel[];
const heads = TASKS.map((t, i) => head(t, 100 + i));
const cache = new Map<string, Promise<TaskDataset>>();
const data = (i: number, split: 'train' | 'test') => { const k = `${i}${split}`; if (!cache.has(k)) cache.set(k, loadTask(TASKS[i]!, split, { maxExamples: 48 })); return cache.get(k)!; };
const args = (ms: readonly ClipModel[], log: string[] = []): ModelMergeArgs => ({ base, members: membersInMemory(ms), heads, data, log: (l) => log.push(l) });
/** a data-driven method of the catalogue, with the parameters a variant presets */
interface Method { readonly name: string; readonly def: MethodDef; readonly preset: { readonly [k: string]: Json } }
const fisherMerging: Method = { name: 'fisher', def: fisher, preset: {} };
const regmean: Method = { name: 'regmean', def: regmeanDef, preset: {} };
const taskWiseAdaMerging: Method = { name: 'task_wise_adamerging', def: adamerging, preset: { granularity: 'task' } };
const layerWiseAdaMerging: Method = { name: 'layer_wise_adamerging', def: adamerging, preset: { granularity: 'layer' } };
const runWith = (m: Method, p: { readonly [k: string]: Json }, a: ModelMergeArgs) => m.def.merge!.model!(resolveArgs(m.def, p, m.preset), a);
const run = (m: Method, p: { readonly [k: string]: Json }, ms: readonly ClipModel[], log?: string[]) => runWith(m, p, args(ms, log));
const vals = (m: ClipModel, k: string) => m.get(k).dataSync() as Float32Array;

test.before(async () => {
  await initBackend('cpu');
  const rng = new SeededRng(3);
  base = initClip(config, () => rng.next());
  models = [perturbed(base, 11, 0.05, 'ft'), perturbed(base, 12, 0.05, 'ft')];
});

test('regmean: solve() is an exact linear solve', () => {
  // [[2, 1], [1, 3]] X = [[3, 5], [4, 10]] → X = [[1, 1], [1, 3]]
  const x = solve(Float64Array.of(2, 1, 1, 3), Float64Array.of(3, 5, 4, 10), 2, 2);
  assert.ok([...x].every((v, i) => Math.abs(v - [1, 1, 1, 3][i]!) < 1e-12), String([...x]));
});

test('regmean: merging a model with itself gives it back; non-Linear tensors are averaged', async () => {
  const same = await run(regmean, { num_regmean_examples: 16, batch_size: 8 }, [models[0]!, models[0]!]);
  const k = 'vision_model.encoder.layers.0.mlp.fc1.weight';
  const a = same.get(k)!, b = vals(models[0]!, k);
  assert.ok(a.every((v, i) => Math.abs(v - b[i]!) < 1e-4), 'fc1 recovered');
  const two = await run(regmean, { num_regmean_examples: 16, batch_size: 8 }, models);
  const ln = 'vision_model.encoder.layers.0.layer_norm1.weight';
  const x = vals(models[0]!, ln), y = vals(models[1]!, ln);
  assert.ok(two.get(ln)!.every((v, i) => Math.abs(v - (x[i]! + y[i]!) / 2) < 1e-6), 'layer norm averaged');
  const q = 'vision_model.encoder.layers.0.self_attn.q_proj.weight';
  const qa = vals(models[0]!, q), qb = vals(models[1]!, q);
  assert.ok(two.get(q)!.some((v, i) => Math.abs(v - (qa[i]! + qb[i]!) / 2) > 1e-4), 'Linear weights are not a plain average');
});

test('fisher_merging: every merged value is a convex combination of the models\' values', async () => {
  const log: string[] = [];
  const r = await run(fisherMerging, { num_fisher_examples: 16, batch_size: 8 }, models, log);
  assert.ok(log.some((l) => /Fisher norms/.test(l)));
  let inside = 0, total = 0;
  for (const [k, v] of r) {
    const a = vals(models[0]!, k), b = vals(models[1]!, k);
    for (let i = 0; i < v.length; i++) {
      total++;
      if (v[i]! >= Math.min(a[i]!, b[i]!) - 1e-6 && v[i]! <= Math.max(a[i]!, b[i]!) + 1e-6) inside++;
    }
  }
  assert.is(inside, total);
  const self = await run(fisherMerging, { num_fisher_examples: 8, batch_size: 8 }, [models[1]!, models[1]!]);
  const k = 'vision_model.embeddings.patch_embedding.weight';
  assert.ok(self.get(k)!.every((v, i) => Math.abs(v - vals(models[1]!, k)[i]!) < 1e-6));
});

test('adamerging: given weights, θ = θ_pre + Σ λ_i τ_i without training', async () => {
  const r = await run(taskWiseAdaMerging, { weights: [0.25, 0.5] }, models);
  const k = 'vision_model.encoder.layers.0.mlp.fc2.weight';
  const p = vals(base, k), a = vals(models[0]!, k), b = vals(models[1]!, k);
  assert.ok(r.get(k)!.every((v, i) => Math.abs(v - (p[i]! + 0.25 * (a[i]! - p[i]!) + 0.5 * (b[i]! - p[i]!))) < 1e-6));
});

test('adamerging: a few steps of entropy minimisation lower the entropy and move λ', async () => {
  for (const m of [taskWiseAdaMerging, layerWiseAdaMerging]) {
    const log: string[] = [];
    const info: Record<string, unknown> = {};
    await runWith(m, { max_steps: 6, lr: 0.05, batch_size: 8 }, { ...args(models, log), record: (x) => Object.assign(info, x) });
    const ent = log.filter((l) => /entropy/.test(l)).map((l) => Number(/entropy ([\d.]+)/.exec(l)![1]));
    assert.ok(ent.length >= 2 && ent[ent.length - 1]! < ent[0]!, `${m.name}: ${ent.join(' → ')}`);
    const w = info['merging_weights'] as number[];
    assert.is(w.length, m === taskWiseAdaMerging ? 2 : 2 * [...base.params.keys()].filter((k) => k.startsWith('vision_model.')).length);
    assert.ok(w.some((x) => Math.abs(x - 0.3) > 1e-3), 'coefficients moved from init_values');
  }
});

test('ensemble: a folder of members whose averaged logits eval can run', async () => {
  const t = tempDir();
  try {
    const dirs = [join(t.dir, 'a'), join(t.dir, 'b')];
    await saveClip(models[0]!, dirs[0]!);
    await saveClip(models[1]!, dirs[1]!);
    const out = join(t.dir, 'ens');
    await writeEnsemble(out, dirs.map((dir) => ({ dir })));
    assert.ok(isEnsembleFolder(out));
    const ens = await loadEnsemble(out);
    try {
      const ds = await data(0, 'test');
      const b = ds.batch(Int32Array.of(0, 1, 2), config.vision_config.image_size);
      const avg = predictEnsemble(ens.models, heads[0]!, b.x, b.n, ens.weights);
      const la = classify(models[0]!, heads[0]!, b.x, b.n), lb = classify(models[1]!, heads[0]!, b.x, b.n);
      const want = tf.tidy(() => tf.div(tf.add(la, lb), 2));
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(avg, want))).dataSync()[0]!);
      assert.ok(diff < 1e-4, `max |Δ| ${diff}`);
      tf.dispose([avg, la, lb, want]);
      const r = evaluateEnsemble(ens, heads[0]!, ds, { batchSize: 16 });
      assert.is(r.n, ds.size);
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && Number.isFinite(r.loss));
    } finally { ens.dispose(); }
  } finally { t.cleanup(); }
});

test('no tensor leaks: every data-driven merge leaves the tensor count where it was', async () => {
  await data(0, 'train'); await data(1, 'train'); await data(0, 'test'); await data(1, 'test');
  for (const [m, p] of [[regmean, { num_regmean_examples: 8, batch_size: 8 }], [fisherMerging, { num_fisher_examples: 8, batch_size: 8 }], [taskWiseAdaMerging, { max_steps: 2, batch_size: 4 }], [layerWiseAdaMerging, { weights: null }]] as const) {
    const before = tf.memory().numTensors;
    await run(m, p, models);
    assert.is(tf.memory().numTensors, before, `${m.name} leaked ${tf.memory().numTensors - before} tensors`);
  }
});

test.after(() => { base?.dispose(); for (const m of models ?? []) m.dispose(); });

test.run();
