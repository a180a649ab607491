// The messages between the phases of a run, on their own floor so the scheduler, the executors
// (local worker processes, SLURM), the stages, the journal and the UI all import them downward:
// the event stream, the executor contract and the job a worker runs.
export { runEvent, type RunEvent, type RunEventBody, type RunEventName, type StageProgress, type JobRef, type JobAction } from './events.js';
export type { Executor, ExecHooks, ExecOutcome, JobUpdate } from './executor.js';
export { toWire, type StageJob, type WireError, type ToWorker, type FromWorker } from './stageJob.js';
