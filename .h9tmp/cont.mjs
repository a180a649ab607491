import { makeRandomClip, tempDir } from '/work/main/dist/test/ml-model/helpers.js';
import { loadClip } from '/work/main/dist/src/ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '/work/main/dist/src/ml/heads/zeroshotHead.js';
import { loadTask } from '/work/main/dist/src/ml/data/index.js';
import { continualFinetune } from '/work/main/dist/src/ml/finetune/continual.js';
import { multitaskFinetune } from '/work/main/dist/src/ml/finetune/multitask.js';
import { evaluate } from '/work/main/dist/src/ml/eval/evaluate.js';
const d = await makeRandomClip(tempDir() + '/c', 7);
const model = await loadClip(d);
const tok = await tokenizerFor(d);
const tasks = [];
for (const n of (process.env.TASKS ?? 'synth_shapes,synth_colors').split(',')) {
  const train = await loadTask(n, 'train', { maxExamples: 400 }); const test = await loadTask(n, 'test', { maxExamples: 200 });
  tasks.push({ head: buildZeroshotHead(model, tok, n, train.classnames, train.templates), train, test });
}
let t = performance.now();
const mode = process.argv[2];
if (mode === 'c') {
const r = await continualFinetune(model, tasks, { method: process.argv[3] ?? 'full', num_steps: 30, batch_size: 32, learning_rate: Number(process.env.LR ?? 1e-3), max_eval_examples: 200, log: console.log });
console.log((performance.now()-t)|0, r.order, r.zeroshot, r.accuracy, r.backwardTransfer);
} else {
  const zs = tasks.map(t => evaluate(model, t.head, t.test).accuracy);
  const r = await multitaskFinetune(model, tasks, { method: process.argv[3] ?? 'full', num_steps: Number(process.env.STEPS ?? 30), batch_size: Number(process.env.BS ?? 16), learning_rate: 1e-3, log: console.log });
  model.assign(r.state);
  console.log((performance.now()-t)|0, zs, tasks.map(t => evaluate(model, t.head, t.test).accuracy), r.log.map(e=>e.loss.toFixed(2)).join(' '));
}
