// What a stage (or a script, or a test) gives a training loop: where checkpoints go, the callbacks
// it wants (progress, checkpoint committed, resumed, log lines) and the signal that stops it.
// Every trainer takes these under the same names, so a stage builds them once
// (stages/stageTrainingHooks.ts) whatever it trains.

/** One step's figures as every training loop reports them. */
export interface TrainProgress {
  readonly step: number;
  readonly total: number;
  readonly loss: number;
  readonly lr: number;
  /** training accuracy of this step's batch */
  readonly accuracy: number;
  /** examples per second since the previous step */
  readonly throughput: number;
}

/** The caller's side of a training loop; `P` is the trainer's progress (TrainProgress plus its own fields). */
export interface TrainingHooks<P extends TrainProgress = TrainProgress> {
  /** where checkpoints go; without it none are written and nothing is resumed */
  readonly checkpointDir?: string;
  /** when it fires, the loop writes a checkpoint and throws Interrupted */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: P) => void;
  /** a checkpoint of `step` completed steps is on disk */
  readonly onCheckpoint?: (step: number) => void;
  /** training continues from a checkpoint of `step` completed steps */
  readonly onResume?: (step: number) => void;
  readonly log?: (line: string) => void;
}
