// The classifier StageRunner end to end on real folders: base ResNet in, trained model folder,
// train_log.json, classifier.json and top_k/ out; checkpoints go to the stage's checkpoint folder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stage } from '../../src/compile/ir.js';
import type { StageContext } from '../../src/stages/contract.js';
import { runClassifier } from '../../src/stages/classifier.js';
import { loadResNet } from '../../src/ml/classifier/loadResNet.js';
import { taskInfo } from '../../src/ml/data/registry.js';
import { loadTask } from '../../src/ml/data/index.js';
import { makeRandomClip } from '../ml-model/helpers.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { writeHead } from '../../src/ml/heads/head.js';
import { evaluate } from '../../src/ml/eval/evaluate.js';
import { runEval } from '../../src/stages/eval.js';
import { makeTinyResNet, tempDir } from './helpers.js';
import { compiledParams } from '../shared/compiledParams.js';

const dir = tempDir('fbw-classifier-stage-');

function context(stage: Stage, inputs: Record<string, string>, events: string[]): StageContext {
  const outDir = join(dir, `out-${stage.id}`), checkpointDir = join(dir, `ckpt-${stage.id}`);
  mkdirSync(outDir, { recursive: true });
  return {
    stage, inputs, outDir, checkpointDir, device: 'cpu', signal: new AbortController().signal,
    progress: (p) => events.push(`progress ${p.step}/${p.total}`), checkpointed: (s) => events.push(`checkpointed ${s}`),
    resumed: (s) => events.push(`resumed ${s}`), log: (l) => events.push(`log ${l}`),
  };
}

test('finetune/classifier stage: ImageNet-style labels → task classes, trained and written in HF layout', async () => {
  const base = await makeTinyResNet(join(dir, 'base'), 'mnist', 21);
  const stage: Stage = {
    id: 'finetune.classifier.synth_colors', kind: 'finetune', method: 'classifier', task: 'synth_colors', label: 'classifier on synth_colors', output: 'model',
    inputs: [{ stage: 'pretrained.resnet', role: 'base' }],
    params: compiledParams(['classifier'], {
      max_epochs: 10, max_steps: 8, label_smoothing: 0.1, save_top_k: 1, save_interval: 4, save_on_train_epoch_end: true, training_data_ratio: 0.2,
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 1e-4 }, lr_scheduler: { name: 'cosine', T_max: null },
      batch_size: 16, num_workers: 8, seed: 42, max_eval_examples: 40,
    }),
  };
  const events: string[] = [];
  const ctx = context(stage, { 'pretrained.resnet': base }, events);
  await runClassifier(ctx);
  for (const f of ['model.safetensors', 'config.json', 'preprocessor_config.json', 'train_log.json', 'classifier.json']) assert.ok(existsSync(join(ctx.outDir, f)), f);
  const summary = JSON.parse(readFileSync(join(ctx.outDir, 'classifier.json'), 'utf8')) as { steps: number; task: string; evals: unknown[]; top_k: { path: string }[]; trainable_params: number };
  assert.is(summary.steps, 8, 'max_steps wins over the default max_epochs');
  assert.is(summary.task, 'synth_colors');
  assert.is(summary.evals.length, 2);
  assert.ok(existsSync(join(ctx.outDir, summary.top_k[0]!.path, 'model.safetensors')));
  assert.ok(events.includes('checkpointed 4'));
  const m = await loadResNet(ctx.outDir);
  const colors = taskInfo('synth_colors').classnames;
  assert.is(m.config.num_labels, colors.length, 'the mnist classifier was replaced by one for the task');
  assert.is(m.config.id2label['0'], colors[0]);
  m.dispose();
});

test('finetune/classifier stage on a CLIP base: linear head from the zero-shot head, trained, and picked up by the eval stage', async () => {
  const base = await makeRandomClip(join(dir, 'clip'), 7);
  const m = await loadClip(base);
  const info = taskInfo('synth_colors');
  const head = buildZeroshotHead(m, await tokenizerFor(base), 'synth_colors', info.classnames, info.templates);
  await writeHead(join(dir, 'head'), head);
  const zeroshot = evaluate(m, head, await loadTask('synth_colors', 'test', { maxExamples: 100 })).accuracy;
  m.dispose();
  const stage: Stage = {
    id: 'finetune.classifier.clip.synth_colors', kind: 'finetune', method: 'classifier', task: 'synth_colors', label: 'classifier on synth_colors', output: 'model',
    inputs: [{ stage: 'pretrained.clip', role: 'base' }, { stage: 'zeroshot_head.clip.synth_colors', role: 'head', task: 'synth_colors' }],
    params: compiledParams(['classifier'], { max_epochs: 10, max_steps: 25, label_smoothing: 0, save_top_k: 1, save_interval: 25, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 1e-4 }, batch_size: 32, seed: 42, max_eval_examples: 100 }),
  };
  const ctx = context(stage, { 'pretrained.clip': base, 'zeroshot_head.clip.synth_colors': join(dir, 'head') }, []);
  await runClassifier(ctx);
  for (const f of ['model.safetensors', 'vocab.json', 'head/head.json', 'head/head.safetensors', 'classifier.json']) assert.ok(existsSync(join(ctx.outDir, f)), f);
  const summary = JSON.parse(readFileSync(join(ctx.outDir, 'classifier.json'), 'utf8')) as { final_accuracy: number; model: string };
  assert.is(summary.model, 'clip');
  assert.ok(summary.final_accuracy > zeroshot + 0.05, `zero-shot ${zeroshot} → ${summary.final_accuracy}`);
  const evalOut = join(dir, 'eval-out');
  mkdirSync(evalOut, { recursive: true });
  await runEval({ ...context({ id: 'eval.x', kind: 'eval', method: 'accuracy', task: 'synth_colors', label: 'eval', output: 'metrics', params: { row: 'classifier', max_examples: 100 }, inputs: [{ stage: 'ft', role: 'model' }, { stage: 'h', role: 'head', task: 'synth_colors' }] }, { ft: ctx.outDir, h: join(dir, 'head') }, []), outDir: evalOut });
  const metrics = JSON.parse(readFileSync(join(evalOut, 'metrics.json'), 'utf8')) as { accuracy: number; head: string };
  assert.is(metrics.head, 'linear', 'eval used the trained head');
  assert.is(metrics.accuracy, summary.final_accuracy, 'eval agrees with the fine-tune\'s own final evaluation');
});

test.run();
