// Fine-tune from the command line, outside the scheduler (used by the exact-resume test, which
// kills this process with SIGKILL, and handy for experiments):
//   node dist/src/cli/scripts/finetune.js --model DIR --task NAME --method full|lora|l_lora|bitfit
//        --out DIR [--ckpt DIR] [--steps N] [--batch N] [--lr X] [--wd X] [--save-interval N]
//        [--seed N] [--max-train N] [--linear-head] [--r N] [--alpha N] [--dropout X]
// Writes OUT (HF model folder), OUT/train_log.json, OUT/adapter/ for LoRA; prints one JSON line.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { initBackend } from '../../ml/backend/initBackend.js';
import { loadClip, saveClipState } from '../../ml/models/loadClip.js';
import { buildZeroshotHead, tokenizerFor } from '../../ml/heads/zeroshotHead.js';
import { loadTask } from '../../ml/data/index.js';
import { finetuneClip, type FinetuneMethod } from '../../ml/finetune/finetuneClip.js';
import { CLIP_FINETUNE_NAMES, clipFinetuneArgs } from '../../registry/methods/clipFinetune.js';

const { values: v } = parseArgs({ options: {
  model: { type: 'string' }, task: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' }, ckpt: { type: 'string' },
  steps: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, wd: { type: 'string' }, 'save-interval': { type: 'string' },
  seed: { type: 'string' }, 'max-train': { type: 'string' }, 'linear-head': { type: 'boolean' }, r: { type: 'string' }, alpha: { type: 'string' }, dropout: { type: 'string' },
} });
const method = v.method as FinetuneMethod;
if (!v.model || !v.task || !v.out || !CLIP_FINETUNE_NAMES.includes(method)) {
  console.error(`usage: main.js --model DIR --task NAME --method ${CLIP_FINETUNE_NAMES.join('|')} --out DIR [--ckpt DIR] [--steps N] ...`);
  process.exit(2);
}
const info = await initBackend('cpu');
const model = await loadClip(v.model);
const train = await loadTask(v.task, 'train', v['max-train'] ? { maxExamples: Number(v['max-train']) } : {});
const head = buildZeroshotHead(model, await tokenizerFor(v.model), train.name, train.classnames, train.templates);
const r = await finetuneClip(model, head, train, {
  // this script's quick-experiment settings; anything else unset takes the catalogue's default
  ...clipFinetuneArgs(method, {
    num_steps: Number(v.steps ?? 20), batch_size: Number(v.batch ?? 32), learning_rate: Number(v.lr ?? 1e-4), save_interval: Number(v['save-interval'] ?? 5),
    ...(v['linear-head'] ? { head: 'linear' } : {}), ...(v.wd ? { weight_decay: Number(v.wd) } : {}), ...(v.seed ? { seed: Number(v.seed) } : {}),
    ...(v.r ? { r: Number(v.r) } : {}), ...(v.alpha ? { lora_alpha: Number(v.alpha) } : {}), ...(v.dropout ? { lora_dropout: Number(v.dropout) } : {}),
  }, 'user'),
  ...(v.ckpt ? { checkpointDir: v.ckpt } : {}),
  onCheckpoint: (s) => console.log(JSON.stringify({ event: 'checkpointed', step: s })),
  onResume: (s) => console.log(JSON.stringify({ event: 'resumed', step: s })),
});
await saveClipState(v.out, model.config, r.state, v.model);
await writeFile(join(v.out, 'train_log.json'), JSON.stringify(r.log) + '\n');
if (r.adapters) { await r.adapters.save(join(v.out, 'adapter'), v.model); r.adapters.dispose(); }
console.log(JSON.stringify({ event: 'done', backend: info.backend, steps: r.steps, trainable: r.trainableParams, seconds: r.seconds, resumedFrom: r.resumedFrom ?? null, loss: r.log.at(-1)?.loss }));
model.dispose();
