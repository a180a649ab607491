// Direct script path for making the bundled tiny CLIP without the workflow runner:
//   node dist/src/cli/scripts/pretrain.js --out models/clip-tiny [--steps 600] [--batch 128] [--lr 1e-3]
//        [--seed 42] [--max-train N] [--tasks a,b,c] [--eval-max N]
// A task listed twice in --tasks is sampled twice as often. --init-from DIR continues from a
// model (a second phase). Prints progress, then the zero-shot accuracy of the result on each task's test split, and writes
// it to OUT/zeroshot.json.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { initBackend } from '../../ml/backend/initBackend.js';
import { pretrainTinyClip, CLIP_TINY_TASKS } from '../../ml/pretrain/pretrainTinyClip.js';
import { loadClip } from '../../ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../ml/heads/zeroshotHead.js';
import { loadTask } from '../../ml/data/index.js';
import { evaluate } from '../../ml/eval/evaluate.js';
import { resolveArgs } from '../../registry/methods/resolve.js';
import { contrastive } from '../../registry/methods/contrastive.js';

const { values } = parseArgs({ options: {
  out: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' },
  'max-train': { type: 'string' }, tasks: { type: 'string' }, 'eval-max': { type: 'string' }, 'eval-only': { type: 'boolean' }, 'init-from': { type: 'string' }, warmup: { type: 'string' },
} });
if (!values.out) { console.error('usage: node dist/src/cli/scripts/pretrain.js --out DIR [--steps N] [--batch N] [--lr X] [--seed N] [--max-train N] [--tasks a,b]'); process.exit(2); }
const info = await initBackend('cpu');
console.log(`backend ${info.backend}`);
const tasks = values.tasks ? values.tasks.split(',') : [...CLIP_TINY_TASKS];
const t0 = performance.now();
if (!values['eval-only']) {
  // the flags given, over the catalogue's defaults (src/registry/methods/contrastive.ts): with no
  // flags this script and `pretrain clip-tiny on [CLIP_TINY_TASKS] contrastive` train the same weights
  const a = resolveArgs(contrastive, {
    ...(values.steps ? { num_steps: Number(values.steps) } : {}),
    ...(values.batch ? { batch_size: Number(values.batch) } : {}),
    ...(values.lr ? { learning_rate: Number(values.lr) } : {}),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    ...(values['max-train'] ? { max_train: Number(values['max-train']) } : {}),
    ...(values.warmup ? { warmup_steps: Number(values.warmup) } : {}),
  });
  await pretrainTinyClip({
    out: values.out, tasks,
    num_steps: a.num_steps, batch_size: a.batch_size, learning_rate: a.learning_rate, weight_decay: a.weight_decay, seed: a.seed,
    vocab_size: a.vocab_size, width: a.width, vision_layers: a.vision_layers, max_train: a.max_train, save_interval: a.save_interval,
    warmup_steps: a.warmup_steps,
    ...(values['init-from'] ? { init_from: values['init-from'] } : {}),
    onProgress: (p) => { if (p.step % 25 === 0 || p.step === p.total) console.log(`step ${p.step}/${p.total} loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}% lr ${p.lr.toExponential(2)} ${p.throughput.toFixed(0)} pairs/s`); },
  });
  console.log(`pretraining took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const model = await loadClip(values.out);
const tok = await tokenizerFor(values.out);
const results: Record<string, { accuracy: number; loss: number; n: number; chance: number }> = {};
for (const t of [...new Set(tasks)]) {
  const test = await loadTask(t, 'test', values['eval-max'] ? { maxExamples: Number(values['eval-max']) } : {});
  const head = buildZeroshotHead(model, tok, test.name, test.classnames, test.templates);
  const r = evaluate(model, head, test);
  results[t] = { ...r, chance: 1 / test.classnames.length };
  console.log(`zero-shot ${t}: ${(r.accuracy * 100).toFixed(2)}% (chance ${(100 / test.classnames.length).toFixed(1)}%, n=${r.n})`);
}
await writeFile(join(values.out, 'zeroshot.json'), JSON.stringify(results, null, 2) + '\n');
model.dispose();
