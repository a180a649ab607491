// What a stage implementation sees when it runs (inside a worker process, or a SLURM job).
// The scheduler owns keys, the store and commit; a stage only reads its committed
// inputs and writes its outputs into `outDir`. It never touches the store directly.

import type { StageKind } from '../registry/stageKind.js';
import type { Stage } from '../compile/ir.js';
import type { StageProgress } from '../protocol/events.js';
import type { GradientAllReduce } from '../ml/finetune/clipTrainStep.js';

export interface StageContext {
  readonly stage: Stage;
  /** committed artifact folder of each input, by producing stage id */
  readonly inputs: { readonly [stageId: string]: string };
  /** fresh temporary folder to write the artifact into; the scheduler commits it by rename */
  readonly outDir: string;
  /** persistent folder for this stage key's checkpoints (survives kill -9; removed after commit) */
  readonly checkpointDir: string;
  /** 'cpu', 'gpu:0', ... (already bound: CUDA_VISIBLE_DEVICES and backend are set) */
  readonly device: string;
  /** progress for the event stream; cheap to call, the caller throttles nothing */
  readonly progress: (p: StageProgress) => void;
  /** a checkpoint was written at `step` (for the event stream and plan) */
  readonly checkpointed: (step: number) => void;
  /** the stage continued from a checkpoint at `step` */
  readonly resumed: (step: number) => void;
  /** human log line, goes to the stage's log file */
  readonly log: (line: string) => void;
  /** aborted on Ctrl-C: a training stage writes a checkpoint and throws Interrupted (util/interrupted.ts) */
  readonly signal: AbortSignal;
  /**
   * Set when the stage asked for k > 1 devices and its kind trains data-parallel: this process's
   * rank and the gradient all-reduce across the k worker processes. Only rank 0 writes outputs.
   */
  readonly dataParallel?: GradientAllReduce;
}

/**
 * Stage kinds that stop soon after Ctrl-C (training checkpoints first, a merge stops between
 * tensors); the others (eval, heads, model resolution, ensembles, reports) finish their work.
 */
export const STOPS_ON_INTERRUPT: ReadonlySet<StageKind> = new Set<StageKind>(['pretrain', 'finetune', 'continual', 'multitask', 'merge']);


/** A stage implementation: one per StageKind, registered in stages/registry.ts. */
export type StageRunner = (ctx: StageContext) => Promise<void>;
