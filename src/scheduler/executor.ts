// Where a ready stage runs. The scheduler keeps orchestrating (keys, store, journal, events);
// an executor only runs a StageJob somewhere and reports back: `local` forks a worker process
// per stage (src/devices/localExecutor.ts); other executors (SLURM) implement the same shape.
import type { StageJob, WireError, FromWorker } from '../devices/protocol.js';

export interface ExecHooks {
  /** the stage process started (pid, or a job id for a cluster) */
  readonly started: (info: { readonly pid?: number; readonly job?: string }) => void;
  /** progress / checkpointed / resumed messages from the stage */
  readonly message: (m: Extract<FromWorker, { type: 'progress' | 'checkpointed' | 'resumed' }>) => void;
}

export type ExecOutcome =
  | { readonly status: 'ok'; readonly metrics?: { readonly [k: string]: number } }
  | { readonly status: 'failed'; readonly error: WireError }
  | { readonly status: 'interrupted'; readonly step: number };

export interface Executor {
  readonly name: string;
  /**
   * Run `job` with `env` (already bound to its device). When `signal` aborts, ask the stage to
   * checkpoint and stop; resolve with its outcome either way. Never rejects for stage failures.
   */
  execute(job: StageJob, env: NodeJS.ProcessEnv, hooks: ExecHooks, signal: AbortSignal): Promise<ExecOutcome>;
  /** stop every running stage at once, without checkpointing (second Ctrl-C) */
  killAll(): void;
}
