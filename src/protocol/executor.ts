// Where a ready stage runs. The scheduler keeps orchestrating (keys, store, journal, events);
// an executor only runs a StageJob somewhere and reports back: `local` forks a worker process
// per stage (devices/localExecutor.ts); other executors (SLURM) implement the same shape.
import type { StageJob, WireError, FromWorker } from './stageJob.js';
import type { JobAction } from './events.js';

/** One change of a stage's cluster job (the scheduler journals it as a `job` event). */
export interface JobUpdate {
  /** the job id */
  readonly job: string;
  readonly action: JobAction;
  /** raw state of the batch system, e.g. PENDING, RUNNING, COMPLETED */
  readonly state?: string;
  readonly node?: string;
  readonly exitCode?: number;
  readonly reason?: string;
}

export interface ExecHooks {
  /** the stage process started (pid, or a job id and its node for a cluster; device: what the stage sees, when the executor placed it) */
  readonly started: (info: { readonly pid?: number; readonly job?: string; readonly node?: string; readonly device?: string }) => void;
  /** progress / checkpointed / resumed messages from the stage */
  readonly message: (m: Extract<FromWorker, { type: 'progress' | 'checkpointed' | 'resumed' }>) => void;
  /** a cluster job was submitted, re-attached, changed state, ... (optional: local stages have none) */
  readonly job?: (u: JobUpdate) => void;
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
  /**
   * The executor places stages on devices itself (a cluster): `--devices` then only caps the
   * jobs in flight, a `gpu` hint needs no local GPU slot, and this is the default `--devices`.
   */
  readonly placement?: { readonly defaultDevices: string };
}
