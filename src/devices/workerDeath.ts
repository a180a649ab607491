// Why a worker process died without reporting a result, and whether trying again can help.
// The kernel's OOM killer sends SIGKILL and counts it in /proc/vmstat (`oom_kill`, memory-cgroup
// kills included); V8 running out of heap aborts with "JavaScript heap out of memory" on stderr
// (the stage's log). Either is reported as OutOfMemory and not retried: the same stage on the
// same machine needs the same memory again. Any other signal (a crash, a kill by hand) is transient.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { WireError } from '../protocol/stageJob.js';

/** The machine's OOM-kill count so far (0 where /proc/vmstat has none). */
export function oomKillCount(): number {
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The last `bytes` of a log file ('' when unreadable). */
export function logTail(path: string, bytes = 4096): string {
  try {
    const size = statSync(path).size;
    const n = Math.min(size, bytes);
    const buf = Buffer.alloc(n);
    const fd = openSync(path, 'r');
    try { readSync(fd, buf, 0, n, size - n); } finally { closeSync(fd); }
    return buf.toString('utf8');
  } catch {
    return '';
  }
}

/** The failure of a worker `pid` that exited with `code`/`signal` before reporting. */
export function workerDeath(pid: number | undefined, code: number | null, signal: string | null, oomKillsDuringRun: number, tail: string): WireError {
  const who = `worker process ${pid ?? '?'}`;
  const fix = 'lower batch_size, set gradient_checkpointing=true, or run fewer stages at once (--devices cpu:1)';
  if (signal === 'SIGKILL' && oomKillsDuringRun > 0) {
    return { name: 'OutOfMemory', message: `${who} was killed by the kernel's out-of-memory killer; ${fix}`, transient: false };
  }
  if (/JavaScript heap out of memory|Array buffer allocation failed/.test(tail)) {
    return { name: 'OutOfMemory', message: `${who} ran out of memory (V8: ${/JavaScript heap out of memory/.test(tail) ? 'JavaScript heap out of memory' : 'array buffer allocation failed'}); ${fix}`, transient: false };
  }
  if (signal) return { name: 'WorkerDied', message: `${who} was killed by ${signal} before it reported a result`, transient: true };
  return { name: 'WorkerExited', message: `${who} exited with code ${code} before it reported a result (see the log)`, transient: false };
}
