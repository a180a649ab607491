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
import { makeTinyResNet, tempDir } from './helpers.js';

const dir = tempDir('fbw-classifier-stage-');

function context(stage: Stage, inputs: Record<string, string>, events: string[]): StageContext {
  const outDir = join(dir, 'out'), checkpointDir = join(dir, 'ckpt');
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
    params: {
      max_epochs: 10, max_steps: 8, label_smoothing: 0.1, save_top_k: 1, save_interval: 4, save_on_train_epoch_end: true, training_data_ratio: 0.2,
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 1e-4 }, lr_scheduler: { name: 'cosine', T_max: null },
      batch_size: 16, num_workers: 8, seed: 42, max_eval_examples: 40,
    },
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

test.run();
