// Each fine-tuning method raises test accuracy over the zero-shot head of the bundled tiny CLIP,
// trains the number of parameters it should, and LoRA adapters merge into the dense weights.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { loadClip, saveClipState } from '../../src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../src/ml/heads/zeroshotHead.js';
import { loadTask } from '../../src/ml/data/index.js';
import type { TaskDataset } from '../../src/ml/data/types.js';
import type { Head } from '../../src/ml/heads/head.js';
import { evaluate } from '../../src/ml/eval/evaluate.js';
import { finetuneClip, countTrainable, type FinetuneMethod } from '../../src/ml/finetune/finetuneClip.js';
import { tempDir, tinyClipDir } from '../ml-model/helpers.js';
import { clipFinetuneArgs } from '../../src/registry/methods/clipFinetune.js';

const TASK = 'synth_colors';
const dir = tempDir('fbw-methods-');
let train: TaskDataset, testSet: TaskDataset, head: Head, zeroShot = 0;

test.before(async () => {
  await initBackend('cpu');
  train = await loadTask(TASK, 'train', { maxExamples: 512 });
  testSet = await loadTask(TASK, 'test', { maxExamples: 256 });
  const m = await loadClip(tinyClipDir());
  head = buildZeroshotHead(m, await tokenizerFor(m), train.name, train.classnames, train.templates);
  zeroShot = evaluate(m, head, testSet).accuracy;
  m.dispose();
});

const cases: [FinetuneMethod, number][] = [['full', 1e-3], ['lora', 5e-3], ['l_lora', 5e-3], ['bitfit', 1e-2]];
for (const [method, lr] of cases) {
  test(`${method} raises ${TASK} test accuracy over zero-shot`, async () => {
    const m = await loadClip(tinyClipDir());
    const r = await finetuneClip(m, head, train, clipFinetuneArgs(method, { num_steps: 30, batch_size: 32, learning_rate: lr }, 'user'));
    assert.is(r.trainableParams, countTrainable(m, method, clipFinetuneArgs(method, {}, 'user').lora));
    const out = join(dir, method);
    await saveClipState(out, m.config, r.state, tinyClipDir());
    if (r.adapters) { await r.adapters.save(join(out, 'adapter'), tinyClipDir()); r.adapters.dispose(); }
    m.dispose();
    // evaluate the saved dense model: merged adapters must carry the whole effect
    const tuned = await loadClip(out);
    const acc = evaluate(tuned, head, testSet).accuracy;
    tuned.dispose();
    assert.ok(acc > zeroShot + 0.05, `${method}: zero-shot ${(zeroShot * 100).toFixed(1)}% → fine-tuned ${(acc * 100).toFixed(1)}%`);
    if (method === 'lora' || method === 'l_lora') {
      const cfg = JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8')) as { peft_type: string; r: number; target_modules: string[] };
      assert.is(cfg.peft_type, 'LORA');
      assert.equal(cfg.target_modules, ['q_proj', 'v_proj']);
    }
  });
}

test('trainable-parameter counts: full > lora = l_lora > bitfit', async () => {
  const m = await loadClip(tinyClipDir());
  const [full, lora, llora, bitfit] = (['full', 'lora', 'l_lora', 'bitfit'] as const).map((x) => countTrainable(m, x, clipFinetuneArgs(x, {}, 'user').lora));
  const v = m.config.vision_config;
  assert.is(lora, v.num_hidden_layers * 2 * 16 * (v.hidden_size * 2));
  assert.is(llora, lora);
  assert.ok(full! > lora! && lora! > bitfit! && bitfit! > 0);
  assert.ok(existsSync(join(tinyClipDir(), 'vocab.json')));
  m.dispose();
});

test.run();
