// How many threads fbw's native kernels use in this process: the cores of the slot the process
// runs on. The scheduler sets FBW_THREADS per worker (cores ÷ CPU slots, or `--devices ...,threads=T`);
// a process started outside the scheduler (fbw merge, predict, tests, benchmarks) owns every core.
import { availableParallelism } from 'node:os';

/** FBW_THREADS, else FBW_NATIVE_THREADS (older name), else every core of the machine. */
export function nativeThreads(env: NodeJS.ProcessEnv = process.env): number {
  for (const k of ['FBW_THREADS', 'FBW_NATIVE_THREADS']) {
    const v = Number(env[k]);
    if (Number.isInteger(v) && v > 0) return v;
  }
  return Math.max(1, availableParallelism());
}
