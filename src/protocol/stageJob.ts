// The job a worker runs and the messages it exchanges with the scheduler (over the fork IPC
// channel locally; as JSON lines when a stage runs standalone, e.g. as a SLURM job).
import type { Stage } from '../compile/ir.js';
import type { StageProgress } from './events.js';
import { STAGE_SCHEMA } from '../compile/graphFormat.js';
import { jsonFormat } from '../util/jsonFormat.js';

/** Everything needed to run one stage anywhere: plain JSON. */
export interface StageJob {
  readonly run: string;
  readonly stage: Stage;
  readonly key: string;
  readonly attempt: number;
  /** committed artifact folder of each input, by producing stage id */
  readonly inputs: { readonly [stageId: string]: string };
  readonly outDir: string;
  readonly checkpointDir: string;
  /** 'cpu', 'gpu:0', or a comma list for a multi-device stage */
  readonly device: string;
  readonly logFile: string;
  /** the workflow's folder, for relative paths in the stage's params */
  readonly workflowDir: string;
}

/** A failure as it crosses the process boundary. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** worth retrying (resource exhaustion, a crashed worker) rather than a deterministic failure */
  readonly transient: boolean;
  /** the errno code, when there is one (ENOSPC: the scheduler stops the run instead of failing the stage) */
  readonly code?: string;
}

export type ToWorker =
  | { readonly type: 'run'; readonly job: StageJob }
  | { readonly type: 'abort' };

export type FromWorker =
  | { readonly type: 'progress'; readonly progress: StageProgress }
  | { readonly type: 'checkpointed'; readonly step: number }
  | { readonly type: 'resumed'; readonly step: number }
  | { readonly type: 'done'; readonly metrics?: { readonly [k: string]: number } }
  | { readonly type: 'interrupted'; readonly step: number }
  | { readonly type: 'error'; readonly error: WireError };

/** job.json of a standalone worker (a SLURM job): the job it runs, checked before it starts. */
export const stageJobFormat = jsonFormat<StageJob>('stage job', {
  type: 'object', required: ['run', 'stage', 'key', 'attempt', 'inputs', 'outDir', 'checkpointDir', 'device', 'logFile', 'workflowDir'],
  properties: {
    run: { type: 'string' }, stage: STAGE_SCHEMA, key: { type: 'string' }, attempt: { type: 'integer', minimum: 0 },
    inputs: { type: 'object', additionalProperties: { type: 'string' } },
    outDir: { type: 'string' }, checkpointDir: { type: 'string' }, device: { type: 'string' }, logFile: { type: 'string' }, workflowDir: { type: 'string' },
  },
});

const numberMap = { type: 'object', additionalProperties: { type: 'number' } };

/** One line of a standalone worker's events.jsonl: a FromWorker message. */
export const fromWorkerFormat = jsonFormat<FromWorker>('worker message', {
  oneOf: [
    { type: 'object', required: ['type', 'progress'], properties: { type: { const: 'progress' }, progress: { type: 'object', required: ['step', 'total'], properties: { step: { type: 'number' }, total: { type: 'number' }, phase: { type: 'string' } } } } },
    { type: 'object', required: ['type', 'step'], properties: { type: { enum: ['checkpointed', 'resumed', 'interrupted'] }, step: { type: 'number' } } },
    { type: 'object', required: ['type'], properties: { type: { const: 'done' }, metrics: numberMap } },
    { type: 'object', required: ['type', 'error'], properties: { type: { const: 'error' }, error: { type: 'object', required: ['name', 'message', 'transient'], properties: { name: { type: 'string' }, message: { type: 'string' }, stack: { type: 'string' }, transient: { type: 'boolean' }, code: { type: 'string' } } } } },
  ],
});

const TRANSIENT_CODES = new Set(['ENOMEM', 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE']);

/** Serialise an error; a stage marks an error transient with `transient = true` or an errno code. */
export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const transient = (e as { transient?: unknown }).transient === true || (code !== undefined && TRANSIENT_CODES.has(code)) || /out of memory|ENOMEM/i.test(e.message);
    return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}), transient, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(e), transient: false };
}
