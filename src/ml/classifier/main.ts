// Generic classifier fine-tune from the command line, outside the scheduler (the exact-resume test
// kills this process with SIGKILL; also handy for experiments):
//   node dist/src/ml/classifier/main.js --model DIR --task NAME --out DIR [--ckpt DIR]
//        [--max-steps N | --max-epochs N] [--batch N] [--lr X] [--momentum X] [--wd X]
//        [--label-smoothing X] [--save-interval N] [--top-k N] [--ratio X] [--seed N]
//        [--max-train N] [--max-eval N]
// Writes OUT (HF ResNet folder, train_log.json, classifier.json, top_k/); prints JSON lines.
import { parseArgs } from 'node:util';
import { initBackend } from '../backend/initBackend.js';
import { loadTask } from '../data/index.js';
import { loadResNet, resnetImageSize } from './loadResNet.js';
import { finetuneClassifier, fitClassifierToTask } from './finetuneClassifier.js';
import { writeClassifierRun } from './writeClassifierRun.js';
import { resnetNet } from './ClassifierNet.js';

const { values: v } = parseArgs({ options: {
  model: { type: 'string' }, task: { type: 'string' }, out: { type: 'string' }, ckpt: { type: 'string' },
  'max-steps': { type: 'string' }, 'max-epochs': { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
  wd: { type: 'string' }, 'label-smoothing': { type: 'string' }, 'save-interval': { type: 'string' }, 'top-k': { type: 'string' },
  ratio: { type: 'string' }, seed: { type: 'string' }, 'max-train': { type: 'string' }, 'max-eval': { type: 'string' },
} });
if (!v.model || !v.task || !v.out) {
  console.error('usage: main.js --model DIR --task NAME --out DIR [--ckpt DIR] [--max-steps N | --max-epochs N] ...');
  process.exit(2);
}
const n = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
const info = await initBackend('cpu');
const seed = n(v.seed) ?? 42;
const train = await loadTask(v.task, 'train', v['max-train'] ? { maxExamples: Number(v['max-train']) } : {});
const test = await loadTask(v.task, 'test');
const model = fitClassifierToTask(await loadResNet(v.model), train.classnames, seed);
const r = await finetuneClassifier(resnetNet(model, await resnetImageSize(v.model)), train, {
  max_steps: n(v['max-steps']) ?? null, max_epochs: n(v['max-epochs']) ?? 10,
  batch_size: n(v.batch) ?? 256, label_smoothing: n(v['label-smoothing']) ?? 0,
  optimizer: { name: 'sgd', lr: n(v.lr) ?? 0.001, momentum: n(v.momentum) ?? 0.9, weight_decay: n(v.wd) ?? 1e-4 },
  save_interval: n(v['save-interval']) ?? 1, save_top_k: n(v['top-k']) ?? 1, training_data_ratio: n(v.ratio) ?? null, seed,
  test, ...(v['max-eval'] ? { max_eval_examples: Number(v['max-eval']) } : {}),
  ...(v.ckpt ? { checkpointDir: v.ckpt } : {}),
  onCheckpoint: (s) => console.log(JSON.stringify({ event: 'checkpointed', step: s })),
  onResume: (s) => console.log(JSON.stringify({ event: 'resumed', step: s })),
});
await writeClassifierRun(v.out, resnetNet(model, 0), r, { task: train.name, backend: info.backend });
console.log(JSON.stringify({ event: 'done', backend: info.backend, steps: r.steps, epochs: r.epochs, seconds: r.seconds, resumedFrom: r.resumedFrom ?? null, accuracy: r.final?.accuracy ?? null, loss: r.log.at(-1)?.loss }));
model.dispose();
