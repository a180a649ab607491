// The scheduler's public surface: run a graph (or a plan) against a store, and the executor
// contract other executors (SLURM) implement.
export { runGraph, defaultStoreDir, type RunGraphOptions, type RunGraphResult } from './runGraph.js';
export { runPlan, runPlanEffect, logTail, StageFailed, StageStopped, type RunPlanOptions, type RunResult } from './runPlan.js';
export type { Executor, ExecHooks, ExecOutcome, JobUpdate } from '../protocol/executor.js';
export type { RunEvent, RunEventName, StageProgress, JobRef, JobAction } from '../protocol/events.js';
