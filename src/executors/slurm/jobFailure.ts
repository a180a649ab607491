// Why a SLURM job's stage failed, in words a user can act on: the worker's own error when it
// wrote one, else what SLURM says (time limit, memory, cancelled, lost, preempted) with the log's
// last lines. Transient failures (a node that failed, a job SLURM lost) are retried by the scheduler.
import type { FromWorker, StageJob, WireError } from '../../protocol/stageJob.js';
import type { JobStatus } from './SlurmClient.js';
import type { SlurmJobRecord } from './jobFiles.js';
import { readLogTail } from './logTail.js';

/** SLURM's state as an error name: OUT_OF_MEMORY -> SlurmOutOfMemory. */
const errorName = (state: string) => `Slurm${state.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()).replace(/^(\w)(\w*)$/, (_, a: string, b: string) => a + b.toLowerCase())}`;

/** The error of a job that ended without a result (`final` is the worker's last result line, if any). */
export async function describeFailure(s: JobStatus, final: FromWorker | undefined, rec: SlurmJobRecord & { readonly jobId: string }, job: StageJob, preemptions: number): Promise<WireError> {
  const tail = (await readLogTail(rec.logFile, 5)).join('\n');
  const where = `SLURM job ${rec.jobId}${s.node ? ` on ${s.node}` : ''}`;
  if (final?.type === 'error') return { ...final.error, message: `${final.error.message} (${where})` };
  switch (s.phase) {
    case 'failed':
      return { name: errorName(s.state),
        message: s.state === 'TIMEOUT' ? `${where} hit its time limit; its checkpoint is kept, so a run with a longer time (kinds.${job.stage.kind}.time in the SLURM config) resumes it`
          : s.state === 'OUT_OF_MEMORY' ? `${where} ran out of memory; raise mem for ${job.stage.kind} stages in the SLURM config`
          : `${where} ended ${s.state} with exit code ${s.exitCode ?? '?'}${s.signal ? ` (signal ${s.signal})` : ''}${tail ? `; log ends:\n${tail}` : ''}`,
        transient: s.state === 'NODE_FAIL' || s.state === 'BOOT_FAIL' };
    case 'cancelled':
      return { name: 'SlurmCancelled', message: `${where} was cancelled outside fbw (scancel by a user or an admin)`, transient: false };
    case 'unknown':
      return { name: 'SlurmJobLost', message: `${where} is no longer known to SLURM${s.reason ? ` (${s.reason})` : ''} and left no result`, transient: true };
    case 'preempted':
      return { name: 'SlurmPreempted', message: `${where} was preempted ${preemptions} times`, transient: true };
    case 'completed':
      return { name: 'SlurmNoResult', message: `${where} completed but the stage reported no result (see its log)`, transient: false };
    case 'queued': case 'running':
      return { name: 'SlurmInternal', message: `${where} is still ${s.state}`, transient: false };
    default: { const never: never = s.phase; return never; }
  }
}
