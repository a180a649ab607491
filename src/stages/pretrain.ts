// The `pretrain` stage: contrastive image–text pretraining of the bundled tiny CLIP from random
// init (workflows/pretrain-tiny-clip.fbw). Params: num_steps, batch_size, learning_rate, seed,
// vocab_size, max_train, save_interval; tasks from stage.tasks (default LOCAL8). Output: a model
// folder in the HF layout with its tokenizer and train_log.json.
import type { StageContext } from './contract.js';
import { StageInterrupted } from './contract.js';
import { num, throttle } from './stageInputs.js';
import { initBackend } from '../ml/backend/initBackend.js';
import { pretrainTinyClip, LOCAL8 } from '../ml/pretrain/pretrainTinyClip.js';
import { TrainingInterrupted } from '../ml/finetune/finetuneClip.js';

/** StageRunner for kind 'pretrain'. */
export async function runPretrain(ctx: StageContext): Promise<void> {
  const b = await initBackend(ctx.device);
  ctx.log(`backend ${b.backend}`);
  const p = ctx.stage.params;
  const maxTrain = num(p, 'max_train', 0);
  const progress = throttle(250, (x: { step: number; total: number; loss: number; lr: number; accuracy: number; throughput: number }) =>
    ctx.progress({ step: x.step, total: x.total, phase: 'pretrain', loss: x.loss, lr: x.lr, accuracy: x.accuracy, throughput: x.throughput }));
  try {
    await pretrainTinyClip({
      out: ctx.outDir,
      tasks: ctx.stage.tasks?.length ? ctx.stage.tasks : LOCAL8,
      num_steps: num(p, 'num_steps', 800),
      batch_size: num(p, 'batch_size', 128),
      learning_rate: num(p, 'learning_rate', 5e-4),
      weight_decay: num(p, 'weight_decay', 0),
      ...(typeof p['warmup_steps'] === 'number' ? { warmup_steps: p['warmup_steps'] } : {}),
      seed: num(p, 'seed', 42),
      vocab_size: num(p, 'vocab_size', 1024),
      ...(maxTrain > 0 ? { max_train: maxTrain } : {}),
      save_interval: num(p, 'save_interval', 100),
      checkpointDir: ctx.checkpointDir,
      signal: ctx.signal,
      onProgress: (x) => progress(x, x.step === x.total),
      onCheckpoint: (s) => ctx.checkpointed(s),
      onResume: (s) => ctx.resumed(s),
      log: ctx.log,
    });
  } catch (e) {
    if (e instanceof TrainingInterrupted) throw new StageInterrupted(e.step);
    throw e;
  }
}
