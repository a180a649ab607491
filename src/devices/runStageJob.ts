// Runs one stage job in the current process: builds its StageContext, loads the kind's runner,
// and reports progress, checkpoints and the outcome through `send`. The fork worker and any
// standalone entry (a SLURM job) share it, so a stage behaves the same wherever it runs.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { StageContext } from '../stages/contract.js';
import type { StageProgress } from '../protocol/events.js';
import { stageImpl } from '../stages/registry.js';
import { CHECKPOINT_STATE, type CheckpointRecord } from '../plan/planRun.js';
import { toWire, type FromWorker, type StageJob } from '../protocol/stageJob.js';
import { DATA_PARALLEL_KINDS, jobDevices, startDataParallel, type DataParallelGroup } from './dataParallel.js';
import { writeFileAtomicSync } from '../util/writeFileAtomic.js';
import { readMetricsSync } from '../report/reportInputs.js';
import { Interrupted } from '../util/interrupted.js';
import { DatasetFormatError, DatasetNotFound, UnknownTask } from '../ml/data/errors.js';

const PROGRESS_EVERY_MS = 200;
/** Training stages write this many progress lines (step, loss, accuracy, lr) to their log over a run. */
const LOG_LINES_PER_RUN = 20;

/** One training log line: what `fbw logs` shows of a stage's learning curve. */
export function trainingLogLine(p: StageProgress): string {
  const parts = [`step ${p.step}/${p.total}`];
  if (p.phase) parts.push(`phase ${p.phase}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.accuracy !== undefined) parts.push(`acc ${(p.accuracy * 100).toFixed(1)}%`);
  if (p.lr !== undefined) parts.push(`lr ${p.lr.toExponential(2)}`);
  if (p.throughput !== undefined) parts.push(`img/s ${p.throughput.toFixed(0)}`);
  return parts.join(' ');
}

/** Run `job`; resolves after the final message (done / interrupted / error) was sent. */
export async function runStageJob(job: StageJob, send: (m: FromWorker) => void, signal: AbortSignal): Promise<void> {
  mkdirSync(dirname(job.logFile), { recursive: true });
  const log = (line: string) => appendFileSync(job.logFile, `${new Date().toISOString()} ${line}\n`);
  process.env['FBW_WORKFLOW_DIR'] = job.workflowDir;
  let lastSent = 0;
  let pending: StageProgress | undefined;
  let nextLogStep = 0;
  let lastLogged = -1;
  const flushProgress = () => { if (pending) { send({ type: 'progress', progress: pending }); pending = undefined; lastSent = Date.now(); } };
  // a stage given k > 1 devices trains data-parallel in k processes when its kind can
  const devices = jobDevices(job);
  let group: DataParallelGroup | undefined;
  if (devices.length > 1 && !DATA_PARALLEL_KINDS.has(job.stage.kind)) log(`stage kind ${job.stage.kind} does not train data-parallel: it runs in one process on ${devices[0]}`);
  const ctx: StageContext = {
    stage: job.stage,
    inputs: job.inputs,
    outDir: job.outDir,
    checkpointDir: job.checkpointDir,
    device: devices.length > 1 ? devices[0]! : job.device,
    progress: (p) => {
      // a line per logging interval for stages that report a loss (training), not per update
      if (p.loss !== undefined && p.step !== lastLogged && (p.step >= nextLogStep || p.step >= p.total)) {
        lastLogged = p.step;
        log(trainingLogLine(p));
        const every = Math.max(1, Math.round(p.total / LOG_LINES_PER_RUN));
        nextLogStep = (Math.floor(p.step / every) + 1) * every;
      }
      pending = p;
      if (Date.now() - lastSent >= PROGRESS_EVERY_MS || p.step >= p.total) flushProgress();
    },
    checkpointed: (step) => {
      flushProgress();
      writeFileAtomicSync(join(job.checkpointDir, CHECKPOINT_STATE), JSON.stringify({ step, t: Date.now(), stage: job.stage.id } satisfies CheckpointRecord), { mkdir: true });
      log(`checkpoint at step ${step}`);
      send({ type: 'checkpointed', step });
    },
    resumed: (step) => { log(`resumed from checkpoint at step ${step}`); send({ type: 'resumed', step }); },
    log,
    signal,
  };
  log(`stage ${job.stage.id} (${job.stage.kind}/${job.stage.method}) key ${job.key} attempt ${job.attempt} on ${job.device} pid ${process.pid}`);
  log(`device binding: FBW_DEVICE=${process.env['FBW_DEVICE'] ?? ''} CUDA_VISIBLE_DEVICES='${process.env['CUDA_VISIBLE_DEVICES'] ?? ''}' FBW_BACKEND=${process.env['FBW_BACKEND'] ?? '(auto)'} FBW_THREADS=${process.env['FBW_THREADS'] ?? ''} OPENBLAS_NUM_THREADS=${process.env['OPENBLAS_NUM_THREADS'] ?? ''}`);
  let ok = false;
  try {
    const run = await stageImpl(job.stage).load(job.stage);
    mkdirSync(job.outDir, { recursive: true });
    mkdirSync(job.checkpointDir, { recursive: true });
    if (devices.length > 1 && DATA_PARALLEL_KINDS.has(job.stage.kind)) group = startDataParallel(job, log);
    await run(group ? { ...ctx, dataParallel: group.reducer } : ctx);
    ok = true;
    await group?.close(true);
    flushProgress();
    log('done');
    send({ type: 'done', ...(readMetrics(job.outDir) ? { metrics: readMetrics(job.outDir)! } : {}) });
  } catch (e) {
    flushProgress();
    // Ctrl-C while a stage was starting or reading: the abort surfaces as an AbortError from
    // whatever was in flight; the stage was interrupted, it did not fail
    if (e instanceof Interrupted || (signal.aborted && e instanceof Error && isAbortError(e))) {
      const step = e instanceof Interrupted ? e.step : 0;
      log(`interrupted at step ${step}`);
      send({ type: 'interrupted', step });
      return;
    }
    const w = toWire(e);
    // a data set the user must fix (missing, unknown, a corrupt file): its message names the file
    // and the row; a stack trace would only bury it in the log tail `fbw run` prints
    log(`FAILED: ${e instanceof DatasetFormatError || e instanceof DatasetNotFound || e instanceof UnknownTask ? `${w.name}: ${w.message}` : (w.stack ?? `${w.name}: ${w.message}`)}`);
    send({ type: 'error', error: w });
  } finally {
    await group?.close(ok);
  }
}

/** The error an aborted operation throws (DOMException AbortError, Node's ABORT_ERR). */
export function isAbortError(e: Error): boolean {
  return e.name === 'AbortError' || (e as NodeJS.ErrnoException).code === 'ABORT_ERR';
}

/** accuracy / loss of an eval stage's metrics.json, for the committed event. */
function readMetrics(dir: string): { [k: string]: number } | undefined {
  try {
    const m = readMetricsSync(join(dir, 'metrics.json'));
    return Number.isFinite(m.loss) ? { accuracy: m.accuracy, loss: m.loss } : { accuracy: m.accuracy };
  } catch {
    return undefined;
  }
}
