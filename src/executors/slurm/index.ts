// The SLURM executor's public surface: client, scripts, resources, options, store check.
export { createSlurmClient, parseScontrolLine, parseSqueue, type SlurmClient, type SlurmClientOptions, type JobStatus, type SubmitOptions } from './SlurmClient.js';
export { jobPhase, isTerminal, SLURM_STATES, type JobPhase, type SlurmState } from './jobState.js';
export { renderSbatchScript, sbatchOptions, shQuote, type SbatchSpec } from './sbatchScript.js';
export { stageResources, stageGpus, type SlurmResources } from './resources.js';
export { loadSlurmConfig, parseSlurmFlags, validateSlurmOptions, SLURM_FLAGS, type SlurmOptions, type KindResources } from './config.js';
export { checkSharedStore, filesystemOf, type SharedStoreCheck, type SharedStoreOptions } from './sharedStore.js';
export { readLogTail } from './logTail.js';
export { SlurmCommandFailed, StoreNotShared, SlurmConfigInvalid } from './errors.js';
export { slurmExecutor, type SlurmExecutor, type SlurmExecutorOptions, type SlurmJobRecord, type SlurmJournalLine } from './slurmExecutor.js';
export { sweepSlurm, type SlurmSweep } from './slurmGc.js';
export { executorFromArgs, EXECUTORS, EXECUTOR_FLAGS, EXECUTOR_HELP, type ExecutorChoice, type ExecutorName } from './executorFromArgs.js';
