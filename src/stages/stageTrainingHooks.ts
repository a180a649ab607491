// The TrainingHooks every training stage gives its loop (ml/finetune/TrainingHooks.ts), built in one
// place from the StageContext: the stage's checkpoint folder and Ctrl-C signal, its log, checkpoint
// and resume events, and progress events throttled to one every 250 ms (the last step always sent).
import type { StageContext } from './contract.js';
import { throttle } from './stageInputs.js';
import type { TrainingHooks, TrainProgress } from '../ml/finetune/TrainingHooks.js';

/** The minimum interval between two progress events of a training stage. */
const PROGRESS_EVERY_MS = 250;

/** Hooks for `ctx`'s training loop; `phase` names what the progress row shows ('train', 'pretrain', or per step). */
export function stageTrainingHooks<P extends TrainProgress>(ctx: StageContext, phase: string | ((p: P) => string)): Required<TrainingHooks<P>> {
  const progress = throttle(PROGRESS_EVERY_MS, (x: P) => ctx.progress({
    step: x.step, total: x.total, phase: typeof phase === 'string' ? phase : phase(x), loss: x.loss, lr: x.lr, accuracy: x.accuracy, throughput: x.throughput,
  }));
  return {
    checkpointDir: ctx.checkpointDir,
    signal: ctx.signal,
    log: ctx.log,
    onProgress: (x) => progress(x, x.step === x.total),
    onCheckpoint: (s) => ctx.checkpointed(s),
    onResume: (s) => ctx.resumed(s),
  };
}
