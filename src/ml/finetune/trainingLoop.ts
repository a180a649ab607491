// The one training-loop driver every trainer runs on (CLIP fine-tune, multi-task, classifier,
// contrastive pretraining; continual runs the fine-tune task after task). The driver owns what is
// the same everywhere: the step loop, resuming from the newest matching checkpoint, checkpoints
// at save points (and when the signal fires, before throwing Interrupted), the train log, progress
// with throughput, the non-finite-loss stop and yielding to the event loop between steps. A
// trainer supplies only its step, what its checkpoints hold (tensors and state fields) and, where
// it differs, its save points. Exact resume is the trainer's contract: its state must include
// every random stream and data position, so step k+1 after a resume is step k+1 of an unbroken run.
import type { NamedTensor } from '../io/safetensors.js';
import { readLatestCheckpoint, writeCheckpoint, type CheckpointState, type TrainLogEntry } from './checkpoint.js';
import type { TrainingHooks, TrainProgress } from './TrainingHooks.js';
import { Interrupted } from '../../util/interrupted.js';

/** The fields of state.json a trainer owns (the driver owns version, runId, step, log and seconds). */
export type TrainerState = Omit<CheckpointState, 'version' | 'runId' | 'step' | 'log' | 'seconds'>;

/** A checkpoint as the driver hands it back to the trainer that wrote it. */
export interface LoadedCheckpoint {
  readonly state: CheckpointState;
  readonly tensors: ReadonlyMap<string, NamedTensor>;
  readonly path: string;
}

/** One step's outcome; `entry` and `progress` are the trainer's own fields of its log line and progress. */
export interface StepOutcome<LX extends object, PX extends object> {
  readonly loss: number;
  readonly lr: number;
  readonly accuracy: number;
  /** examples this step trained on (throughput) */
  readonly examples: number;
  readonly entry?: LX;
  readonly progress?: PX;
}

/** What a trainer gives the driver. `LX`/`PX`: fields it adds to each log line / progress report. */
export interface Trainer<LX extends object = object, PX extends object = object> {
  /** identity of the run's configuration: a checkpoint of another configuration is not resumed */
  readonly runId: string;
  /** steps to train */
  readonly total: number;
  /** what stops when interrupted, for the message ('training', 'pretraining', ...) */
  readonly what: string;
  /** checkpoint every this many steps (not after the last); ignored when `afterStep` is given */
  readonly saveInterval?: number;
  /** false on a data-parallel rank other than 0: ranks hold the same state, one writes it */
  readonly writesCheckpoints?: boolean;
  /** Fresh state (no checkpoint), or the state of `ck`'s trained tensors, optimizer, streams and data position. */
  begin(ck: LoadedCheckpoint | undefined): void | Promise<void>;
  /** Train step `step` + 1 (0-based `step` completed so far). */
  step(step: number): Promise<StepOutcome<LX, PX>>;
  /** The tensors and state fields of a checkpoint now. */
  snapshot(): { readonly tensors: ReadonlyMap<string, NamedTensor>; readonly state: TrainerState };
  /** Save points of a trainer that decides them itself (the classifier evaluates, keeps the best k, then checkpoints). */
  afterStep?(step: number, checkpoint: () => Promise<void>): Promise<void>;
  /** The error for a loss that is no longer finite (names the setting that usually causes it). */
  diverged(loss: number, step: number): Error;
  /** Free the optimizer's state (called however the loop ends). */
  dispose(): void;
}

/** What the driver returns: the log (resumed entries first), steps done, seconds over all runs, and where it resumed. */
export interface LoopResult<LX extends object> {
  readonly log: (TrainLogEntry & LX)[];
  readonly steps: number;
  readonly seconds: number;
  readonly resumedFrom?: number;
}

/** Run `trainer` to its total steps with the caller's `hooks`. */
export async function runTrainingLoop<LX extends object, PX extends object>(trainer: Trainer<LX, PX>, hooks: TrainingHooks<TrainProgress & PX>): Promise<LoopResult<LX>> {
  const log = hooks.log ?? (() => {});
  const total = trainer.total;
  const trainLog: (TrainLogEntry & LX)[] = [];
  const ck = hooks.checkpointDir && total > 0 ? await readLatestCheckpoint(hooks.checkpointDir, trainer.runId, log) : undefined;
  await trainer.begin(ck);
  let step = 0, prevSeconds = 0;
  if (ck) {
    step = ck.state.step;
    trainLog.push(...(ck.state.log as (TrainLogEntry & LX)[]));
    prevSeconds = ck.state.seconds;
    log(`resumed from ${ck.path} at step ${step}`);
    hooks.onResume?.(step);
  }
  const t0 = performance.now();
  const elapsed = (now = performance.now()) => prevSeconds + (now - t0) / 1000;
  const checkpoint = async () => {
    if (!hooks.checkpointDir || trainer.writesCheckpoints === false) return;
    const { tensors, state } = trainer.snapshot();
    const path = await writeCheckpoint(hooks.checkpointDir, { version: 1, runId: trainer.runId, step, ...state, log: trainLog, seconds: elapsed() }, tensors);
    log(`checkpoint ${path}`);
    hooks.onCheckpoint?.(step);
  };
  let lastT = t0, lastStep = step;
  try {
    while (step < total) {
      if (hooks.signal?.aborted) {
        await checkpoint();
        throw new Interrupted(step, trainer.what);
      }
      const r = await trainer.step(step);
      step++;
      const now = performance.now();
      trainLog.push({ step, loss: r.loss, lr: r.lr, accuracy: r.accuracy, seconds: Math.round(elapsed(now) * 1000) / 1000, ...r.entry } as TrainLogEntry & LX);
      const throughput = ((step - lastStep) * r.examples) / Math.max(1e-9, (now - lastT) / 1000);
      lastT = now; lastStep = step;
      hooks.onProgress?.({ step, total, loss: r.loss, lr: r.lr, accuracy: r.accuracy, throughput, ...r.progress } as TrainProgress & PX);
      if (!Number.isFinite(r.loss)) throw trainer.diverged(r.loss, step);
      if (trainer.afterStep) await trainer.afterStep(step, checkpoint);
      else if (trainer.saveInterval && step % trainer.saveInterval === 0 && step < total) await checkpoint();
      await new Promise<void>((res) => setImmediate(res));
    }
  } finally {
    trainer.dispose();
  }
  return { log: trainLog, steps: step, seconds: elapsed(), ...(ck ? { resumedFrom: ck.state.step } : {}) };
}
