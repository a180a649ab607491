// The `merge` stage as the scheduler runs it: committed input folders in, a model folder out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runMerge, mergeParamsFor } from '../../src/stages/merge.js';
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
      params: { k: 0.4, scaling_factor: 1, row: 'ties(k=0.4)' },
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
    assert.is(info.method, 'ties_merging');
    assert.equal(info.params, { threshold: 0.4, scaling_factor: 1 });
    assert.equal(info.only, ['vision_model.']);
    assert.equal(info.models, [{ stage: 'ft.a', task: 'mnist' }, { stage: 'ft.b', task: 'synth_shapes' }]);
    assert.ok(log.some((l) => /vision tower only/.test(l)));
  } finally { t.cleanup(); }
});

test('stage params: language aliases map to FusionBench names; other keys are ignored', () => {
  assert.equal(mergeParamsFor('task_arithmetic', { scale: 0.2, row: 'x' }), { scaling_factor: 0.2 });
  assert.equal(mergeParamsFor('dare_ties', { p: 0.3, k: 20 }), { sparsity_ratio: 0.3, threshold: 20 });
  assert.equal(mergeParamsFor('average', { row: 'average' }), {});
});

test.run();
