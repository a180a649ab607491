// The `pretrain` stage: contrastive image–text pretraining of the bundled tiny CLIP
// (workflows/pretrain-tiny-clip.fbw), from random init when its 'base' input is a `pretrained`
// init stage (init.json), else continuing from the model folder it gets (a second phase, the
// direct script's --init-from). Params map one to one onto the direct script's flags: num_steps
// (--steps), batch_size (--batch), learning_rate (--lr), warmup_steps (--warmup), seed (--seed),
// max_train (--max-train), plus weight_decay, vocab_size, save_interval; tasks from stage.tasks in
// order, repeats kept (--tasks: a task listed k times is sampled k times as often). Output: a model
// folder in the HF layout with its tokenizer and train_log.json.
import { argsOfStage } from '../registry/methods/resolve.js';
import { contrastive } from '../registry/methods/contrastive.js';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageContext } from './contract.js';
import { inputWithRole, taskData } from './stageInputs.js';
import { stageTrainingHooks } from './stageTrainingHooks.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { pretrainTinyClip, CLIP_TINY_TASKS } from '../ml/pretrain/pretrainTinyClip.js';

/** StageRunner for kind 'pretrain'. */
export async function runPretrain(ctx: StageContext): Promise<void> {
  const b = await initBackend(ctx.device);
  ctx.log(`backend ${b.backend}`);
  const a = argsOfStage(contrastive, ctx.stage.params);
  const base = inputWithRole(ctx, 'base');
  const initFrom = existsSync(join(base, 'config.json')) ? base : undefined;
  ctx.log(initFrom ? `continuing from ${initFrom}` : 'starting from random init');
  const log = await pretrainTinyClip({
    out: ctx.outDir,
    tasks: ctx.stage.tasks?.length ? ctx.stage.tasks.map((t) => taskData(ctx, t)) : CLIP_TINY_TASKS,
    num_steps: a.num_steps,
    batch_size: a.batch_size,
    learning_rate: a.learning_rate,
    weight_decay: a.weight_decay,
    warmup_steps: a.warmup_steps,
    seed: a.seed,
    vocab_size: a.vocab_size,
    width: a.width,
    vision_layers: a.vision_layers,
    max_train: a.max_train,
    ...(initFrom ? { init_from: initFrom } : {}),
    save_interval: a.save_interval,
    ...stageTrainingHooks(ctx, 'pretrain'),
  });
  // a second phase writes train_log.phase2.json (as the direct script does); the report reads train_log.json
  if (initFrom) await writeFile(join(ctx.outDir, 'train_log.json'), JSON.stringify(log) + '\n');
}
