// SLURM's ~25 job states folded into the few phases the executor acts on.
// Source: Slurm 22.05 squeue(1) "JOB STATE CODES".

/** What the executor does with a job: wait, watch, adopt its result, fail it, or resubmit it. */
export type JobPhase =
  | 'queued'     // waiting for resources (PENDING, CONFIGURING, REQUEUED, held)
  | 'running'    // on a node (RUNNING, COMPLETING, SUSPENDED, ...)
  | 'completed'  // exit code 0
  | 'failed'     // non-zero exit, time limit, out of memory, node failure
  | 'cancelled'  // scancel (by us, the user or an admin)
  | 'preempted'  // stopped by a higher-priority job; not requeued by SLURM
  | 'unknown';   // not (or no longer) known to the controller

/** Every state code Slurm 22.05 reports (long form, as `squeue -o %T` / `scontrol` print it). */
export const SLURM_STATES = [
  'PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESV_DEL_HOLD', 'SPECIAL_EXIT',
  'RUNNING', 'COMPLETING', 'SUSPENDED', 'STOPPED', 'RESIZING', 'SIGNALING', 'STAGE_OUT',
  'COMPLETED',
  'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE',
  'CANCELLED', 'REVOKED',
  'PREEMPTED',
] as const;
/** One of SLURM_STATES. */
export type SlurmState = (typeof SLURM_STATES)[number];

/** Map a state string (possibly with a suffix like "CANCELLED by 0") to its phase. */
export function jobPhase(raw: string): JobPhase {
  const s = raw.trim().split(/\s+/)[0]!.toUpperCase();
  if (!(SLURM_STATES as readonly string[]).includes(s)) return 'unknown';
  const state = s as SlurmState;
  switch (state) {
    case 'PENDING': case 'CONFIGURING': case 'REQUEUED': case 'REQUEUE_FED': case 'REQUEUE_HOLD':
    case 'RESV_DEL_HOLD': case 'SPECIAL_EXIT':
      return 'queued';
    case 'RUNNING': case 'COMPLETING': case 'SUSPENDED': case 'STOPPED': case 'RESIZING':
    case 'SIGNALING': case 'STAGE_OUT':
      return 'running';
    case 'COMPLETED':
      return 'completed';
    case 'FAILED': case 'TIMEOUT': case 'OUT_OF_MEMORY': case 'NODE_FAIL': case 'BOOT_FAIL': case 'DEADLINE':
      return 'failed';
    case 'CANCELLED': case 'REVOKED':
      return 'cancelled';
    case 'PREEMPTED':
      return 'preempted';
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** A phase after which the job will not change by itself. */
export function isTerminal(phase: JobPhase): boolean {
  switch (phase) {
    case 'queued': case 'running': return false;
    case 'completed': case 'failed': case 'cancelled': case 'preempted': case 'unknown': return true;
    default: { const never: never = phase; return never; }
  }
}
