// The ML stage runners against real folders: zero-shot head → LoRA fine-tune → eval, and a
// Ctrl-C (aborted signal) that checkpoints, throws and resumes on the next run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stage } from '../../src/compile/ir.js';
import type { StageContext } from '../../src/stages/contract.js';
import { Interrupted } from '../../src/util/interrupted.js';
import type { StageProgress } from '../../src/protocol/events.js';
import { runZeroshotHead } from '../../src/stages/zeroshot_head.js';
import { runFinetune } from '../../src/stages/finetune.js';
import { runEval } from '../../src/stages/eval.js';
import { makeRandomClip, tempDir } from '../ml-model/helpers.js';
import { compiledParams } from '../shared/compiledParams.js';
import { findBuiltinTask } from '../../src/ml/data/registry.js';

const dir = tempDir('fbw-stages-');

function context(stage: Stage, inputs: Record<string, string>, signal = new AbortController().signal) {
  const out = join(dir, 'out', stage.id);
  const ck = join(dir, 'ck', stage.id);
  mkdirSync(out, { recursive: true });
  const seen = { progress: [] as StageProgress[], checkpointed: [] as number[], resumed: [] as number[], log: [] as string[] };
  const ctx: StageContext = {
    stage, inputs, outDir: out, checkpointDir: ck, device: 'cpu', signal,
    progress: (p) => seen.progress.push(p), checkpointed: (s) => seen.checkpointed.push(s), resumed: (s) => seen.resumed.push(s), log: (l) => seen.log.push(l),
  };
  return { ctx, seen, out, ck };
}

const base = (over: Partial<Stage> & Pick<Stage, 'id' | 'kind' | 'method'>): Stage => ({ params: {}, inputs: [], output: 'model', label: over.id, ...over });

test('zeroshot_head → finetune(lora) → eval write their artifacts', async () => {
  const model = await makeRandomClip(join(dir, 'model'), 5);
  const h = context(base({ id: 'head.synth_colors', kind: 'zeroshot_head', method: 'zeroshot', task: 'synth_colors', output: 'head', inputs: [{ stage: 'pre', role: 'model' }] }), { pre: model });
  await runZeroshotHead(h.ctx);
  assert.ok(existsSync(join(h.out, 'head.safetensors')) && existsSync(join(h.out, 'head.json')));

  const ft = context(base({
    id: 'finetune.lora.synth_colors', kind: 'finetune', method: 'lora', task: 'synth_colors',
    params: compiledParams(['lora'], { num_steps: 4, batch_size: 8, save_interval: 2, learning_rate: 1e-3, r: 4, lora_alpha: 8 }),
    inputs: [{ stage: 'pre', role: 'base' }, { stage: 'head.synth_colors', role: 'head', task: 'synth_colors' }],
  }), { pre: model, 'head.synth_colors': h.out });
  await runFinetune(ft.ctx);
  for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'train_log.json', 'finetune.json', 'adapter/adapter_model.safetensors', 'adapter/adapter_config.json']) assert.ok(existsSync(join(ft.out, f)), f);
  const log = JSON.parse(readFileSync(join(ft.out, 'train_log.json'), 'utf8')) as { step: number; loss: number; lr: number; seconds: number }[];
  assert.equal(log.map((e) => e.step), [1, 2, 3, 4]);
  assert.equal(ft.seen.checkpointed, [2]);
  assert.is(ft.seen.progress.at(-1)!.step, 4);

  const ev = context(base({ id: 'eval.synth_colors', kind: 'eval', method: 'accuracy', task: 'synth_colors', output: 'metrics', params: { row: 'lora', max_examples: 32 },
    inputs: [{ stage: 'ft', role: 'model' }, { stage: 'head', role: 'head' }] }), { ft: ft.out, head: h.out });
  await runEval(ev.ctx);
  const m = JSON.parse(readFileSync(join(ev.out, 'metrics.json'), 'utf8')) as { task: string; row: string; accuracy: number; loss: number; n: number };
  assert.is(m.task, 'synth_colors');
  assert.is(m.row, 'lora');
  assert.is(m.n, 32);
  assert.ok(m.accuracy >= 0 && m.accuracy <= 1 && m.loss > 0);
  // each image's predicted class beside its label, in the split's order; they give metrics.json's accuracy
  const p = JSON.parse(readFileSync(join(ev.out, 'predictions.json'), 'utf8')) as { task: string; row: string; labels: number[]; predictions: number[] };
  assert.is(p.task, 'synth_colors');
  assert.is(p.row, 'lora');
  assert.is(p.predictions.length, 32);
  assert.is(p.labels.length, 32);
  assert.ok(p.predictions.every((c) => Number.isInteger(c) && c >= 0 && c < findBuiltinTask('synth_colors')!.classnames.length));
  assert.is(p.predictions.filter((c, i) => c === p.labels[i]).length / 32, m.accuracy);
});

test('an aborted finetune checkpoints, throws and the next run resumes', async () => {
  const model = join(dir, 'model');
  const headDir = join(dir, 'out', 'head.synth_colors');
  const stage = base({ id: 'finetune.full.synth_colors', kind: 'finetune', method: 'full', task: 'synth_colors',
    params: compiledParams(['full'], { num_steps: 6, batch_size: 8, save_interval: 100, learning_rate: 1e-4 }),
    inputs: [{ stage: 'pre', role: 'base' }, { stage: 'h', role: 'head' }] });
  const ac = new AbortController();
  const a = context(stage, { pre: model, h: headDir }, ac.signal);
  // progress is throttled by the runner, but its first report always arrives: Ctrl-C right then
  const ctx: StageContext = { ...a.ctx, progress: (p) => { if (p.step >= 1 && p.step < 6) ac.abort(); } };
  let thrown: unknown;
  try { await runFinetune(ctx); } catch (e) { thrown = e; }
  assert.ok(thrown instanceof Interrupted, String(thrown));
  assert.ok(readdirSync(a.ck).some((f) => f.startsWith('ckpt-')));
  const b = context(stage, { pre: model, h: headDir });
  await runFinetune(b.ctx);
  assert.is(b.seen.resumed.length, 1);
  assert.ok(b.seen.resumed[0]! >= 1 && b.seen.resumed[0]! < 6);
  const log = JSON.parse(readFileSync(join(b.out, 'train_log.json'), 'utf8')) as { step: number }[];
  assert.equal(log.map((e) => e.step), [1, 2, 3, 4, 5, 6]);
});

test.run();
