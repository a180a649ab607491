// The library entry (`import ... from 'fbw'`): the method functions train the real tiny CLIP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as fbw from '../../src/index.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const tiny = join(root, 'models', 'clip-tiny');

test('lora and bitfit from the library entry train only their own parameters and change the vision tower', async () => {
  await fbw.initBackend('cpu');
  const train = await fbw.loadTask('synth_colors', 'train', { maxExamples: 128 });
  const model = await fbw.loadClip(tiny);
  const base = model.stateDict();
  const head = fbw.buildZeroshotHead(model, await fbw.tokenizerFor(model), 'synth_colors', train.classnames, train.templates);
  const a = await fbw.lora(model, head, train, { r: 4, lora_alpha: 8, learning_rate: 5e-3, num_steps: 4, batch_size: 16 });
  const b = await fbw.bitfit(model, head, train, { learning_rate: 1e-2, num_steps: 4, batch_size: 16 });
  assert.ok(a.trainableParams > 0 && a.trainableParams < a.visionParams / 10, `lora trains ${a.trainableParams} of ${a.visionParams}`);
  assert.ok(b.trainableParams > 0 && b.trainableParams < a.visionParams / 10, `bitfit trains ${b.trainableParams}`);
  const q = 'vision_model.encoder.layers.0.self_attn.q_proj.weight';
  const k = 'vision_model.encoder.layers.0.self_attn.k_proj.weight';
  assert.ok(a.state.get(q)!.data.some((v, i) => v !== base.get(q)!.data[i]), 'lora changed q_proj (adapter merged)');
  assert.equal(Array.from(a.state.get(k)!.data), Array.from(base.get(k)!.data), 'lora left k_proj alone');
  assert.equal(a.steps, 4);
  a.adapters?.dispose?.();
  model.dispose();
});

test('the language front end is part of the library', () => {
  const r = fbw.compileWorkflow('finetune clip on [sun397, cars] lora(r=16) then average -> eval TA8\n', 'x.fbw');
  assert.equal(r.diagnostics.length, 0);
  assert.equal(r.graph!.stages.filter((s) => s.kind === 'finetune').length, 2);
});

test.run();
