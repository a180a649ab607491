// The `pretrain` stage: contrastive image–text pretraining of the bundled tiny CLIP
// (workflows/pretrain-tiny-clip.fbw), from random init when its 'base' input is a `pretrained`
// init stage (init.json), else continuing from the model folder it gets (a second phase, the
// direct script's --init-from). Params map one to one onto the direct script's flags: num_steps
// (--steps), batch_size (--batch), learning_rate (--lr), warmup_steps (--warmup), seed (--seed),
// max_train (--max-train), plus weight_decay, vocab_size, save_interval; tasks from stage.tasks in
// order, repeats kept (--tasks: a task listed k times is sampled k times as often). Output: a model
// folder in the HF layout with its tokenizer and train_log.json.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { StageInterrupted } from './contract.js';
import { inputWithRole, num, taskData, throttle } from './stageInputs.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { pretrainTinyClip, LOCAL8 } from '../ml/pretrain/pretrainTinyClip.js';
import { TrainingInterrupted } from '../ml/finetune/finetuneClip.js';

/** StageRunner for kind 'pretrain'. */
export async function runPretrain(ctx: StageContext): Promise<void> {
  const b = await initBackend(ctx.device);
  ctx.log(`backend ${b.backend}`);
  const p = ctx.stage.params;
  const maxTrain = num(p, 'max_train', 0);
  const base = inputWithRole(ctx, 'base');
  const initFrom = existsSync(join(base, 'config.json')) ? base : undefined;
  ctx.log(initFrom ? `continuing from ${initFrom}` : 'starting from random init');
  const progress = throttle(250, (x: { step: number; total: number; loss: number; lr: number; accuracy: number; throughput: number }) =>
    ctx.progress({ step: x.step, total: x.total, phase: 'pretrain', loss: x.loss, lr: x.lr, accuracy: x.accuracy, throughput: x.throughput }));
  try {
    const log = await pretrainTinyClip({
      out: ctx.outDir,
      tasks: ctx.stage.tasks?.length ? ctx.stage.tasks.map((t) => taskData(ctx, t)) : LOCAL8,
      num_steps: num(p, 'num_steps', 800),
      batch_size: num(p, 'batch_size', 128),
      learning_rate: num(p, 'learning_rate', 5e-4),
      weight_decay: num(p, 'weight_decay', 0),
      ...(typeof p['warmup_steps'] === 'number' ? { warmup_steps: p['warmup_steps'] } : {}),
      seed: num(p, 'seed', 42),
      vocab_size: num(p, 'vocab_size', 1024),
      ...(maxTrain > 0 ? { max_train: maxTrain } : {}),
      ...(initFrom ? { init_from: initFrom } : {}),
      save_interval: num(p, 'save_interval', 100),
      checkpointDir: ctx.checkpointDir,
      signal: ctx.signal,
      onProgress: (x) => progress(x, x.step === x.total),
      onCheckpoint: (s) => ctx.checkpointed(s),
      onResume: (s) => ctx.resumed(s),
      log: ctx.log,
    });
    // a second phase writes train_log.phase2.json (as the direct script does); the report reads train_log.json
    if (initFrom) await writeFile(join(ctx.outDir, 'train_log.json'), JSON.stringify(log) + '\n');
  } catch (e) {
    if (e instanceof TrainingInterrupted) throw new StageInterrupted(e.step);
    throw e;
  }
}
