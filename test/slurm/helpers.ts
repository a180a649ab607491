// Small helpers shared by the SLURM tests: wait for a job to reach a phase.

import type { JobStatus, SlurmClient } from '../../src/executors/slurm/index.js';

/** Poll until `pred` holds for the job (or throw after `timeoutMs`, naming the last state). */
export async function waitJob(client: SlurmClient, id: string, pred: (s: JobStatus) => boolean, timeoutMs = 120_000): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: JobStatus | undefined;
  for (;;) {
    last = (await client.poll([id])).get(id);
    if (last && pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`job ${id} did not reach the expected state in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A job has finished (any terminal phase). */
export const finished = (s: JobStatus): boolean => s.phase !== 'queued' && s.phase !== 'running';
