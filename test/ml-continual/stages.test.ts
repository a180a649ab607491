// The continual and multitask StageRunners end to end on real folders: base model + one zero-shot
// head folder per task in; model folder, train_log.json and the summary JSON out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stage } from '../../src/compile/ir.js';
import type { StageContext } from '../../src/stages/contract.js';
import { runContinual, TaskModeStageError } from '../../src/stages/continual.js';
import { runMultitask } from '../../src/stages/multitask.js';
import { makeRandomClip } from '../ml-model/helpers.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { writeHead } from '../../src/ml/heads/head.js';
import { taskInfo } from '../../src/ml/data/registry.js';
import { tempDir } from './helpers.js';
import { compiledParams } from '../shared/compiledParams.js';

const dir = tempDir('fbw-mode-stages-');
const tasks = ['synth_colors', 'mnist'];

async function fixtures(): Promise<Record<string, string>> {
  const base = await makeRandomClip(join(dir, 'base'), 5);
  const m = await loadClip(base);
  const tok = await tokenizerFor(base);
  const inputs: Record<string, string> = { 'pretrained.clip': base };
  for (const t of tasks) {
    const i = taskInfo(t);
    await writeHead(join(dir, `head-${t}`), buildZeroshotHead(m, tok, t, i.classnames, i.templates));
    inputs[`zeroshot_head.clip.${t}`] = join(dir, `head-${t}`);
  }
  m.dispose();
  return inputs;
}

function stageOf(kind: 'continual' | 'multitask', method: string, params: Stage['params']): Stage {
  return {
    id: `${kind}.${method}`, kind, method, tasks, label: `${kind} ${method}`, output: 'model', params: compiledParams([method, kind], params),
    inputs: [{ stage: 'pretrained.clip', role: 'base' }, ...tasks.map((t) => ({ stage: `zeroshot_head.clip.${t}`, role: 'head', task: t }))],
  };
}

function context(stage: Stage, inputs: Record<string, string>, events: string[]): StageContext {
  const outDir = join(dir, `out-${stage.id}`);
  mkdirSync(outDir, { recursive: true });
  return {
    stage, inputs, outDir, checkpointDir: join(dir, `ck-${stage.id}`), device: 'cpu', signal: new AbortController().signal,
    progress: (p) => events.push(`progress ${p.phase} ${p.step}/${p.total}`), checkpointed: (s) => events.push(`checkpointed ${s}`),
    resumed: (s) => events.push(`resumed ${s}`), log: (l) => events.push(`log ${l}`),
  };
}

const common = { learning_rate: 1e-3, weight_decay: 0, num_steps: 4, batch_size: 8, num_workers: 0, save_interval: 2, seed: 42, state_dict_load_path: null, state_dict_save_path: null, skip_training: false, head: 'zeroshot', max_eval_examples: 16 };

test('continual stage: order, accuracy matrix, BWT and the model folder', async () => {
  const inputs = await fixtures();
  const events: string[] = [];
  const ctx = context(stageOf('continual', 'bitfit', { ...common, shuffle_order: true }), inputs, events);
  await runContinual(ctx);
  for (const f of ['model.safetensors', 'config.json', 'vocab.json', 'train_log.json', 'continual.json']) assert.ok(existsSync(join(ctx.outDir, f)), f);
  const c = JSON.parse(readFileSync(join(ctx.outDir, 'continual.json'), 'utf8')) as { order: string[]; accuracy: number[][]; backward_transfer: number; zeroshot: number[]; tasks: { steps: number }[] };
  assert.equal([...c.order].sort(), [...tasks].sort());
  assert.equal(c.accuracy.map((r) => r.length), [1, 2]);
  assert.ok(Math.abs(c.backward_transfer - (c.accuracy[1]![0]! - c.accuracy[0]![0]!)) < 1e-12);
  assert.equal(c.tasks.map((t) => t.steps), [4, 4]);
  assert.ok(events.some((e) => e.startsWith('progress task 2/2')), 'progress names the task');
  assert.ok(events.includes('checkpointed 6'), 'checkpoints are numbered over the whole sequence');
  // head=linear is refused with a clear error
  try { await runContinual(context(stageOf('continual', 'full', { ...common, head: 'linear' }), inputs, [])); assert.unreachable(); } catch (e) { assert.instance(e, TaskModeStageError); }
});

test('multitask stage: lora adapters saved, summary written', async () => {
  const inputs = await fixtures();
  const events: string[] = [];
  const ctx = context(stageOf('multitask', 'lora', { ...common, r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'], lora_dropout: 0.1, bias: 'none' }), inputs, events);
  await runMultitask(ctx);
  for (const f of ['model.safetensors', 'train_log.json', 'multitask.json', 'adapter/adapter_model.safetensors', 'adapter/adapter_config.json']) assert.ok(existsSync(join(ctx.outDir, f)), f);
  const s = JSON.parse(readFileSync(join(ctx.outDir, 'multitask.json'), 'utf8')) as { tasks: string[]; steps: number; trainable_params: number };
  assert.equal(s.tasks, tasks);
  assert.is(s.steps, 4);
  assert.ok(s.trainable_params > 0);
  const log = JSON.parse(readFileSync(join(ctx.outDir, 'train_log.json'), 'utf8')) as { tasks: Record<string, unknown> }[];
  assert.equal(Object.keys(log[0]!.tasks).sort(), [...tasks].sort());
});

test.run();
