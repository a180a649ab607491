// A ResNet base end to end through the real CLI: `model r = "folder"` (a seeded tiny ResNet in the
// Hugging Face layout, mnist labels) + `finetune r on [mnist] classifier(...) -> eval [mnist]`. The
// compiler reads config.json (model_type "resnet") and emits no zero-shot head stages; eval scores
// the ResNet with its own classifier; the report has the pretrained row and a better fine-tuned row.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWorkflow } from '../../src/compile/compileWorkflow.js';
import { runEval, ResNetTaskMismatch } from '../../src/stages/eval.js';
import { makeTinyResNet } from '../ml-classifier/helpers.js';
import { FBW_BIN } from '../shared/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'fbw-resnet-wf-'));

const WORKFLOW = [
  'model r = "resnet"',
  'finetune r on [mnist] classifier(max_steps=40, batch_size=32, save_interval=20, optimizer={lr: 0.05, momentum: 0.9}) -> eval [mnist]',
  'report "rep"',
  '',
].join('\n');

interface Report { readonly rows: readonly { readonly method: string; readonly accuracy: { readonly [t: string]: number }; readonly n: { readonly [t: string]: number } }[] }

test('compile: a ResNet folder gets no head stages; lora on it is FBW0126', async () => {
  await makeTinyResNet(join(dir, 'resnet'), 'mnist', 7);
  writeFileSync(join(dir, 'wf.fbw'), WORKFLOW);
  const r = compileWorkflow(WORKFLOW, join(dir, 'wf.fbw'));
  assert.equal(r.diagnostics, []);
  const stages = r.graph!.stages;
  assert.equal(stages.filter((s) => s.kind === 'zeroshot_head'), []);
  assert.is(stages.find((s) => s.id === 'model.r')!.architecture, 'resnet');
  for (const s of stages.filter((x) => x.kind === 'eval' || x.kind === 'finetune')) assert.not.ok(s.inputs.some((i) => i.role === 'head'), s.id);
  const bad = compileWorkflow('model r = "resnet"\nfinetune r on [mnist] lora(r=4)\n', join(dir, 'bad.fbw'));
  assert.equal(bad.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`), ['FBW0126 2:23']);
});

test('fbw run: pretrained row and a fine-tuned row above it', () => {
  const run = spawnSync(process.execPath, [FBW_BIN, 'run', 'wf.fbw', '--store', join(dir, 'store')], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(run.status, 0, `fbw run failed:\n${run.stdout}\n${run.stderr}`);
  const rep = JSON.parse(readFileSync(join(dir, 'rep', 'report.json'), 'utf8')) as Report;
  const row = (m: string) => rep.rows.find((x) => (x as { label?: string }).label === m);
  const pre = row('pretrained (zero-shot)'), ft = row('fine-tuned (individual)');
  assert.ok(pre && ft, `rows: ${rep.rows.map((x) => (x as { label?: string }).label).join(', ')}`);
  assert.is(pre.n['mnist'], 2000);
  assert.is(ft.n['mnist'], 2000);
  assert.ok(ft.accuracy['mnist']! > pre.accuracy['mnist']! + 5, `fine-tuned ${ft.accuracy['mnist']}% vs pretrained ${pre.accuracy['mnist']}%`);
});

test('eval: a ResNet whose labels are not the task classes is a clear error', async () => {
  const modelDir = await makeTinyResNet(join(dir, 'resnet-colors'), 'synth_colors', 3);
  const outDir = mkdtempSync(join(dir, 'out-'));
  const ctx = {
    stage: { id: 'eval.r.mnist', kind: 'eval' as const, method: 'accuracy', task: 'mnist', params: { row: 'pretrained (zero-shot)', max_examples: 16 }, inputs: [{ stage: 'model.r', role: 'model' }], output: 'metrics' as const, label: 'x' },
    inputs: { 'model.r': modelDir }, outDir, checkpointDir: join(dir, 'ck'), device: 'cpu', signal: new AbortController().signal,
    progress: () => {}, checkpointed: () => {}, resumed: () => {}, log: () => {},
  };
  try {
    await runEval(ctx);
    assert.unreachable('expected ResNetTaskMismatch');
  } catch (e) {
    assert.instance(e, ResNetTaskMismatch);
    assert.match((e as Error).message, 'mnist');
    assert.match((e as Error).message, modelDir);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
