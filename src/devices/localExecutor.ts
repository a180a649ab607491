// The local executor: one forked worker process per stage execution, bound to its device by its
// environment, its stdout/stderr appended to the stage's log file, progress over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Executor, ExecHooks, ExecOutcome } from '../protocol/executor.js';
import type { FromWorker, StageJob } from '../protocol/stageJob.js';
import { logTail, oomKillCount, workerDeath } from './workerDeath.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface LocalExecutorOptions {
  /** how long a stage may take to checkpoint after SIGTERM before it is killed */
  readonly graceMs?: number;
}

/** Fork-per-stage executor. */
export function localExecutor(opts: LocalExecutorOptions = {}): Executor {
  const running = new Set<ChildProcess>();
  const graceMs = opts.graceMs ?? 120_000;
  return {
    name: 'local',
    killAll() {
      for (const c of running) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
    },
    execute(job: StageJob, env: NodeJS.ProcessEnv, hooks: ExecHooks, signal: AbortSignal): Promise<ExecOutcome> {
      return new Promise<ExecOutcome>((resolve) => {
        mkdirSync(dirname(job.logFile), { recursive: true });
        const fd = openSync(job.logFile, 'a');
        let child: ChildProcess;
        const oomKillsBefore = oomKillCount();
        try {
          child = fork(WORKER, [], { env, stdio: ['ignore', fd, fd, 'ipc'], execArgv: [], serialization: 'json' });
        } finally {
          closeSync(fd);
        }
        running.add(child);
        let outcome: ExecOutcome | undefined;
        let killTimer: NodeJS.Timeout | undefined;
        const onAbort = () => {
          try { child.kill('SIGTERM'); } catch { /* gone */ }
          killTimer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
        };
        child.on('message', (m: FromWorker) => {
          switch (m.type) {
            case 'progress': case 'checkpointed': case 'resumed': hooks.message(m); break;
            case 'done': outcome = { status: 'ok', ...(m.metrics ? { metrics: m.metrics } : {}) }; break;
            case 'interrupted': outcome = { status: 'interrupted', step: m.step }; break;
            case 'error': outcome = { status: 'failed', error: m.error }; break;
          }
        });
        child.on('spawn', () => {
          hooks.started(child.pid !== undefined ? { pid: child.pid } : {});
          child.send({ type: 'run', job });
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        });
        child.on('error', (e) => {
          outcome ??= { status: 'failed', error: { name: 'WorkerSpawnFailed', message: `cannot start a worker process: ${e.message}`, transient: true } };
        });
        child.on('exit', (code, sig) => {
          running.delete(child);
          if (killTimer) clearTimeout(killTimer);
          signal.removeEventListener('abort', onAbort);
          if (!outcome) {
            if (signal.aborted) outcome = { status: 'interrupted', step: 0 };
            else outcome = { status: 'failed', error: workerDeath(child.pid, code, sig, oomKillCount() - oomKillsBefore, logTail(job.logFile)) };
          }
          resolve(outcome);
        });
      });
    },
  };
}
