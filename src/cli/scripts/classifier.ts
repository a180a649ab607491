// Generic classifier fine-tune from the command line, outside the scheduler (the exact-resume test
// kills this process with SIGKILL; also handy for experiments):
//   node dist/src/cli/scripts/classifier.js --model DIR --task NAME --out DIR [--ckpt DIR]
//        [--max-steps N | --max-epochs N] [--batch N] [--lr X] [--momentum X] [--wd X]
//        [--label-smoothing X] [--save-interval N] [--top-k N] [--ratio X] [--seed N]
//        [--max-train N] [--max-eval N]
// Writes OUT (HF ResNet folder, train_log.json, classifier.json, top_k/); prints JSON lines.
import { parseArgs } from 'node:util';
import { initBackend } from '../../ml/backend/initBackend.js';
import { loadTask } from '../../ml/data/index.js';
import { loadResNet, resnetImageSize } from '../../ml/classifier/loadResNet.js';
import { finetuneClassifier, fitClassifierToTask } from '../../ml/classifier/finetuneClassifier.js';
import { writeClassifierRun } from '../../ml/classifier/writeClassifierRun.js';
import { resnetNet } from '../../ml/classifier/ClassifierNet.js';
import type { Json } from '../../util/json.js';
import { resolveArgs } from '../../registry/methods/resolve.js';
import { classifier } from '../../registry/methods/classifier.js';

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
// the flags given, over the catalogue's defaults (src/registry/methods/classifier.ts)
const given: { [k: string]: Json } = {};
const set = (k: string, x: number | undefined): void => { if (x !== undefined) given[k] = x; };
set('max_steps', n(v['max-steps'])); set('max_epochs', n(v['max-epochs'])); set('batch_size', n(v.batch)); set('label_smoothing', n(v['label-smoothing']));
set('save_interval', n(v['save-interval'])); set('save_top_k', n(v['top-k'])); set('training_data_ratio', n(v.ratio)); set('seed', n(v.seed));
const opt: { [k: string]: Json } = {};
if (v.lr !== undefined) opt['lr'] = Number(v.lr);
if (v.momentum !== undefined) opt['momentum'] = Number(v.momentum);
if (v.wd !== undefined) opt['weight_decay'] = Number(v.wd);
if (Object.keys(opt).length) given['optimizer'] = opt;
const a = resolveArgs(classifier, given);
const info = await initBackend('cpu');
const seed = a.seed;
const train = await loadTask(v.task, 'train', v['max-train'] ? { maxExamples: Number(v['max-train']) } : {});
const test = await loadTask(v.task, 'test');
const model = fitClassifierToTask(await loadResNet(v.model), train.classnames, seed);
const r = await finetuneClassifier(resnetNet(model, await resnetImageSize(v.model)), train, {
  max_steps: a.max_steps, max_epochs: a.max_epochs, batch_size: a.batch_size, label_smoothing: a.label_smoothing,
  optimizer: a.optimizer, lr_scheduler: a.lr_scheduler, save_interval: a.save_interval, save_top_k: a.save_top_k,
  training_data_ratio: a.training_data_ratio, seed,
  test, ...(v['max-eval'] ? { max_eval_examples: Number(v['max-eval']) } : {}),
  ...(v.ckpt ? { checkpointDir: v.ckpt } : {}),
  onCheckpoint: (s) => console.log(JSON.stringify({ event: 'checkpointed', step: s })),
  onResume: (s) => console.log(JSON.stringify({ event: 'resumed', step: s })),
});
await writeClassifierRun(v.out, resnetNet(model, 0), r, { task: train.name, backend: info.backend });
console.log(JSON.stringify({ event: 'done', backend: info.backend, steps: r.steps, epochs: r.epochs, seconds: r.seconds, resumedFrom: r.resumedFrom ?? null, accuracy: r.final?.accuracy ?? null, loss: r.log.at(-1)?.loss }));
model.dispose();
