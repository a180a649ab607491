// The one event stream of a run. The journal, the terminal UI and `--json` each
// subscribe to it; nothing else carries run state. Plain data so it can cross
// process boundaries (worker -> scheduler) and be written as JSON lines.

/** Progress of a running stage, as reported by the stage itself (from a worker). */
export interface StageProgress {
  readonly step: number;
  readonly total: number;
  /** optional sub-phase name: 'train', 'eval', 'head', 'task 2/4', ... */
  readonly phase?: string;
  readonly loss?: number;
  readonly accuracy?: number;
  /** images per second over the last interval */
  readonly throughput?: number;
  readonly lr?: number;
}

/** A cluster job behind a stage (SLURM): which batch system, its job id, and the node once placed. */
export interface JobRef {
  /** the executor that submitted it, e.g. 'slurm' */
  readonly system: string;
  readonly id: string;
  readonly node?: string;
}

/** What happened to a stage's cluster job: submitted, re-attached, adopted, a state change, cancelled, resubmitted. */
export type JobAction = 'submitted' | 'reattached' | 'adopted' | 'state' | 'cancelled' | 'resubmitted';

interface Base {
  /** milliseconds since the epoch */
  readonly t: number;
  readonly run: string;
}

export type RunEvent =
  | (Base & { readonly event: 'run'; readonly file: string; readonly store: string; readonly devices: readonly string[]; readonly backend: string; readonly stages: readonly { readonly id: string; readonly kind: string; readonly label: string; readonly task?: string; readonly inputs: readonly string[] }[] })
  | (Base & { readonly event: 'queued'; readonly stage: string; readonly key: string })
  | (Base & { readonly event: 'cached'; readonly stage: string; readonly key: string })
  | (Base & { readonly event: 'started'; readonly stage: string; readonly key: string; readonly device: string; readonly attempt: number; readonly pid?: number; readonly log: string; readonly job?: JobRef })
  | (Base & { readonly event: 'job'; readonly stage: string; readonly key: string; readonly system: string; readonly job: string; readonly action: JobAction; readonly state?: string; readonly node?: string; readonly exitCode?: number; readonly reason?: string })
  | (Base & { readonly event: 'resumed'; readonly stage: string; readonly fromStep: number })
  | (Base & { readonly event: 'progress'; readonly stage: string } & StageProgress)
  | (Base & { readonly event: 'checkpointed'; readonly stage: string; readonly step: number })
  | (Base & { readonly event: 'committed'; readonly stage: string; readonly key: string; readonly seconds: number; readonly metrics?: { readonly [k: string]: number } })
  | (Base & { readonly event: 'retried'; readonly stage: string; readonly attempt: number; readonly reason: string; readonly delayMs: number })
  | (Base & { readonly event: 'failed'; readonly stage: string; readonly error: string; readonly log: string; readonly logTail: readonly string[]; readonly replay: string })
  | (Base & { readonly event: 'skipped'; readonly stage: string; readonly because: string })
  | (Base & { readonly event: 'interrupted'; readonly stage?: string; /** run-level only: running stages without checkpoints, which finish before the run stops */ readonly finishing?: readonly string[] })
  | (Base & { readonly event: 'finished'; readonly status: 'ok' | 'failed' | 'interrupted'; readonly report?: string; readonly counts: { readonly done: number; readonly cached: number; readonly failed: number; readonly skipped: number }; readonly seconds: number });

export type RunEventName = RunEvent['event'];

/** An event without its envelope (time and run id): what a producer states. */
export type RunEventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 't' | 'run'> : never) : never;

/**
 * The one constructor of events: the body is type-checked against its own kind (a `committed`
 * without `key` does not compile), and the envelope is added here.
 */
export function runEvent(run: string, body: RunEventBody, t: number = Date.now()): RunEvent {
  // sound: a member of RunEventBody plus the envelope is the matching member of RunEvent
  return { t, run, ...body } as RunEvent;
}
