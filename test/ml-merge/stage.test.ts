// The `merge` stage as the scheduler runs it: committed input folders in, a model folder out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runMerge, runEnsemble } from '../../src/stages/merge.js';
import { resolveArgs, ResolvedParamsDefect } from '../../src/registry/index.js';
import { ties } from '../../src/registry/methods/ties.js';
import { regmean } from '../../src/registry/methods/regmean.js';
import { ensemble } from '../../src/registry/methods/ensemble.js';
import { makeClipConfig } from '../../src/ml/models/clipConfig.js';
import { initClip } from '../../src/ml/models/clip.js';
import { saveClip, loadClip } from '../../src/ml/models/loadClip.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { SeededRng } from '../../src/ml/data/SeededRng.js';
import { taskInfo } from '../../src/ml/data/index.js';
import { writeHead } from '../../src/ml/heads/head.js';
import type { StageContext } from '../../src/stages/contract.js';
import type { Stage } from '../../src/compile/ir.js';
import { readSafetensors } from '../../src/ml/io/safetensors.js';
import { tempDir, writeModel } from './helpers.js';

async function folder(dir: string, name: string, vision: number[], text: number[]): Promise<string> {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.json'), JSON.stringify({ name }));
  writeFileSync(join(d, 'merges.txt'), '#version: 0.2\n');
  await writeModel(join(d, 'model.safetensors'), { 'vision_model.w': vision, 'text_model.w': text, logit_scale: [2] });
  return d;
}

function ctx(stage: Stage, inputs: Record<string, string>, outDir: string, log: string[]): StageContext {
  return {
    stage, inputs, outDir, checkpointDir: join(outDir, '..', 'ckpt'), device: 'cpu',
    progress: () => undefined, checkpointed: () => undefined, resumed: () => undefined,
    log: (l) => log.push(l), signal: new AbortController().signal,
  };
}

test('a CLIP merge stage merges the vision tower only and copies the rest from the base', async () => {
  const t = tempDir();
  try {
    const base = await folder(t.dir, 'base', [0, 0, 0, 0, 0], [7, 7]);
    const a = await folder(t.dir, 'a', [5, 1, 0.5, -4, 0.1], [7, 7]);
    const b = await folder(t.dir, 'b', [-2, 3, 0.2, -6, 0.3], [7, 7]);
    const out = join(t.dir, 'out');
    mkdirSync(out);
    const stage: Stage = {
      id: 'merge.ties', kind: 'merge', method: 'ties', label: 'ties(k=0.4)', output: 'model', architecture: 'clip-tiny',
      // what the compiler resolves `ties(k=0.4, scaling_factor=1)` to: k is a fraction, threshold a percent
      params: { ...resolveArgs(ties, { k: 0.4, scaling_factor: 1 }) },
      inputs: [{ stage: 'pre', role: 'base' }, { stage: 'ft.a', role: 'model', task: 'mnist' }, { stage: 'ft.b', role: 'model', task: 'synth_shapes' }],
    };
    const log: string[] = [];
    await runMerge(ctx(stage, { pre: base, 'ft.a': a, 'ft.b': b }, out, log));
    assert.equal(readdirSync(out).sort(), ['config.json', 'merge.json', 'merges.txt', 'model.safetensors']);
    const sd = await readSafetensors(join(out, 'model.safetensors'));
    // d = 5 (vision only), k = 0.4 → rank 5 − 2 = 3: a keeps 5, 1, −4 (|τ| ≥ 1); b keeps −2, 3, −6 (|τ| ≥ 2)
    // elected signs [+, +, 0, −, 0] → [5, 1 + 3, 0, −4 − 6, 0]
    assert.equal([...sd.get('vision_model.w')!.data], [5, 4, 0, -10, 0]);
    assert.equal([...sd.get('text_model.w')!.data], [7, 7]);
    assert.equal([...sd.get('logit_scale')!.data], [2]);
    const info = JSON.parse(readFileSync(join(out, 'merge.json'), 'utf8'));
    assert.is(info.method, 'ties');
    assert.equal(info.params, { scaling_factor: 1, threshold: 40, remove_keys: [], merge_func: 'sum' });
    assert.equal(info.only, ['vision_model.']);
    assert.equal(info.models, [{ stage: 'ft.a', task: 'mnist' }, { stage: 'ft.b', task: 'synth_shapes' }]);
    assert.ok(log.some((l) => /vision tower only/.test(l)));
  } finally { t.cleanup(); }
});

test('stage params are the catalogue\'s: a missing or ill-typed resolved parameter is a defect, not a silent default', async () => {
  const t = tempDir();
  try {
    const base = await folder(t.dir, 'base', [0, 0, 0, 0, 0], [7, 7]);
    const a = await folder(t.dir, 'a', [5, 1, 0.5, -4, 0.1], [7, 7]);
    const dirs = { pre: base, 'ft.a': a, 'ft.b': a };
    const stage = (params: Stage['params']): Stage => ({
      id: 'merge.ties', kind: 'merge', method: 'ties', label: 'ties', output: 'model', architecture: 'clip-tiny', params,
      inputs: [{ stage: 'pre', role: 'base' }, { stage: 'ft.a', role: 'model' }, { stage: 'ft.b', role: 'model' }],
    });
    const full = resolveArgs(ties, {});
    const { threshold: _, ...missing } = full;
    for (const [params, why] of [[missing, /parameter 'threshold' is missing/], [{ ...full, threshold: '20' }, /parameter 'threshold' must be number/], [{ ...full, merge_func: 'avg' }, /merge_func' must be one of sum, mean, max/]] as const) {
      const out = join(t.dir, `out${String(why).length}`); mkdirSync(out);
      try { await runMerge(ctx(stage(params), dirs, out, [])); assert.unreachable('should throw'); } catch (e) {
        assert.instance(e, ResolvedParamsDefect);
        assert.match((e as Error).message, why);
      }
    }
  } finally { t.cleanup(); }
});

test('data-driven merge stage (regmean): heads and task data come from the inputs; ensemble stage lists members', async () => {
  const t = tempDir();
  try {
    await initBackend('cpu');
    const config = makeClipConfig({
      projection_dim: 16,
      vision: { image_size: 16, patch_size: 8, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2 },
      text: { vocab_size: 50, max_position_embeddings: 8, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2 },
    });
    const dirs: Record<string, string> = {};
    for (const [name, seed] of [['pre', 1], ['ft.a', 2], ['ft.b', 3]] as const) {
      const rng = new SeededRng(seed);
      const m = initClip(config, () => rng.next());
      dirs[name] = join(t.dir, name);
      await saveClip(m, dirs[name]!);
      m.dispose();
    }
    for (const task of ['synth_shapes', 'synth_colors']) {
      const info = taskInfo(task);
      const w = new Float32Array(info.classnames.length * 16);
      for (let r = 0; r < info.classnames.length; r++) w[r * 16 + (r % 16)] = 1;
      dirs[`head.${task}`] = join(t.dir, `head.${task}`);
      await writeHead(dirs[`head.${task}`]!, { kind: 'zeroshot', task, classnames: info.classnames, templates: info.templates, logitScale: 30, weight: w, numClasses: info.classnames.length, dim: 16 });
    }
    const out = join(t.dir, 'out');
    mkdirSync(out);
    const stage: Stage = {
      id: 'merge.regmean', kind: 'merge', method: 'regmean', label: 'regmean', output: 'model', architecture: 'clip-tiny',
      params: { ...resolveArgs(regmean, { num_regmean_examples: 8, batch_size: 8 }) },
      inputs: [{ stage: 'pre', role: 'base' }, { stage: 'ft.a', role: 'model', task: 'synth_shapes' }, { stage: 'ft.b', role: 'model', task: 'synth_colors' },
        { stage: 'head.synth_shapes', role: 'head', task: 'synth_shapes' }, { stage: 'head.synth_colors', role: 'head', task: 'synth_colors' }],
    };
    const log: string[] = [];
    await runMerge(ctx(stage, dirs, out, log));
    const merged = await loadClip(out);
    merged.dispose();
    const info = JSON.parse(readFileSync(join(out, 'merge.json'), 'utf8'));
    assert.is(info.method, 'regmean');
    assert.equal(info.tasks, ['synth_shapes', 'synth_colors']);
    assert.ok(log.some((l) => /Linear weights merged in closed form/.test(l)), log.join('\n'));
    // without a head for a model's task: a clear error
    const noHead: Stage = { ...stage, inputs: stage.inputs.filter((i) => i.stage !== 'head.synth_colors') };
    const out2 = join(t.dir, 'out2'); mkdirSync(out2);
    try { await runMerge(ctx(noHead, dirs, out2, [])); assert.unreachable('should fail'); } catch (e) { assert.match((e as Error).message, /no input with role 'head' for task 'synth_colors'/); }
    // the ensemble stage
    const ens = join(t.dir, 'ens'); mkdirSync(ens);
    await runEnsemble(ctx({ id: 'ensemble', kind: 'ensemble', method: 'ensemble', label: 'ensemble', output: 'model', params: { ...resolveArgs(ensemble, {}) }, inputs: [{ stage: 'ft.a', role: 'model' }, { stage: 'ft.b', role: 'model' }] }, dirs, ens, []));
    const spec = JSON.parse(readFileSync(join(ens, 'ensemble.json'), 'utf8'));
    assert.equal(spec.weights, [0.5, 0.5]);
    assert.equal(readdirSync(join(ens, 'members', '1')).sort(), ['config.json', 'merges.txt', 'model.safetensors', 'vocab.json'].filter((f) => readdirSync(dirs['ft.b']!).includes(f)));
  } finally { t.cleanup(); }
});

test.run();
