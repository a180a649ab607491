// An executor that runs each stage in this process, through the worker's own code (runStageJob):
// no fork, no IPC, so scheduler tests and embedders run real stages without worker processes.
// What it gives up, by design: a stage that crashes takes this process with it, and the device
// environment (CUDA_VISIBLE_DEVICES, FBW_THREADS) is not applied — stages share this process's.
import type { Executor, ExecOutcome } from '../protocol/executor.js';
import { runStageJob } from './runStageJob.js';

/** Run stages in-process, one runStageJob per execution. */
export function inProcessExecutor(): Executor {
  const running = new Set<AbortController>();
  return {
    name: 'in-process',
    async execute(job, _env, hooks, signal) {
      const ctl = new AbortController();
      const onAbort = () => ctl.abort();
      if (signal.aborted) ctl.abort();
      else signal.addEventListener('abort', onAbort, { once: true });
      running.add(ctl);
      hooks.started({ pid: process.pid });
      let outcome: ExecOutcome = { status: 'failed', error: { name: 'StageNoResult', message: 'the stage ended without reporting a result', transient: false } };
      try {
        await runStageJob(job, (m) => {
          switch (m.type) {
            case 'progress': case 'checkpointed': case 'resumed': hooks.message(m); break;
            case 'done': outcome = { status: 'ok', ...(m.metrics ? { metrics: m.metrics } : {}) }; break;
            case 'interrupted': outcome = { status: 'interrupted', step: m.step }; break;
            case 'error': outcome = { status: 'failed', error: m.error }; break;
          }
        }, ctl.signal);
      } finally {
        running.delete(ctl);
        signal.removeEventListener('abort', onAbort);
      }
      return outcome;
    },
    // no process to kill: ask every running stage to stop now
    killAll() { for (const c of running) c.abort(); },
  };
}
