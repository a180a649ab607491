// `fbw gc` and SLURM: the re-attach records (<store>/slurm/jobs/<key>.json) and the jobs' output
// folders (<store>/slurm/out/*) must stay while their jobs are queued or running — a later
// `fbw run` re-attaches through them, and the job is still writing there — together with the run
// folder that holds the job's script, events and log, and the stage's checkpoints. Once a job has
// finished they may go; a result that finished while no head watched and that a kept run still
// needs (not yet committed) is kept too, so the next run adopts it instead of running it again.

import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../store/Store.js';
import { readRunRecord } from '../../store/journal.js';
import { createSlurmClient, type JobStatus, type SlurmClient } from './SlurmClient.js';
import { slurmRecordFormat, type SlurmJobRecord } from './jobFiles.js';

/** What the SLURM part of gc kept and removed, and what the rest of gc must not touch. */
export interface SlurmSweep {
  /** run ids whose folders hold a kept job's script, events and log */
  readonly runs: ReadonlySet<string>;
  /** stage keys whose checkpoints a kept job still uses */
  readonly keys: ReadonlySet<string>;
  /** records kept because their jobs are queued or running */
  readonly active: number;
  /** finished jobs' results kept for the next run to adopt */
  readonly adoptable: number;
  /** records kept because SLURM could not be asked (the reason is in `error`) */
  readonly undetermined: number;
  /** records and output folders removed (or that a dry run would remove) */
  readonly records: number;
  readonly outputs: number;
  readonly bytes: number;
  /** why job states could not be read (squeue missing, controller down) */
  readonly error?: string;
}

/** How long a record without a job id (the head died while sbatch answered) is given before it counts as never submitted. */
const SUBMIT_GRACE_MS = 10 * 60_000;

function size(p: string): number {
  try {
    const st = statSync(p);
    if (!st.isDirectory()) return st.size;
    let n = 0;
    for (const e of readdirSync(p)) n += size(join(p, e));
    return n;
  } catch { return 0; }
}

function readRecord(path: string): SlurmJobRecord | undefined {
  try { return slurmRecordFormat.read(path); } catch { return undefined; }
}

/**
 * Sweep <store>/slurm: keep the records and outputs of queued or running jobs (and of finished
 * results a kept run has not adopted yet), remove the rest. `keepRuns` is gc's own: the most
 * recent runs whose keys count as used. Asks SLURM (squeue/scontrol) only when records exist;
 * when it cannot, records of jobs that left no exit file are kept, never guessed away.
 */
export async function sweepSlurm(store: Store, opts: { readonly keepRuns: number; readonly dryRun: boolean; readonly env?: NodeJS.ProcessEnv; readonly client?: SlurmClient }): Promise<SlurmSweep> {
  const jobsDir = join(store.root, 'slurm', 'jobs');
  const outRoot = join(store.root, 'slurm', 'out');
  const runs = new Set<string>();
  const keys = new Set<string>();
  let active = 0, adoptable = 0, undetermined = 0, records = 0, outputs = 0, bytes = 0;
  let error: string | undefined;
  const names = existsSync(jobsDir) ? readdirSync(jobsDir).filter((f) => f.endsWith('.json')) : [];
  const recs = names.map((f) => ({ path: join(jobsDir, f), rec: readRecord(join(jobsDir, f)) }));
  if (recs.length === 0 && !existsSync(outRoot)) return { runs, keys, active, adoptable, undetermined, records, outputs, bytes };

  // the keys the kept runs use (as gc counts them)
  const all = store.listRuns();
  const used = new Set<string>();
  for (const r of all.slice(Math.max(0, all.length - opts.keepRuns))) { try { for (const k of Object.values(readRunRecord(store, r).keys)) used.add(k); } catch { /* no record */ } }

  // job states: one poll for every record with an id; ids lost with a dead head are looked up by name
  const client = opts.client ?? createSlurmClient({ ...(opts.env ? { env: opts.env } : {}), timeoutMs: 15_000, retries: 1 });
  const ids = new Map<string, string>();
  let statuses: ReadonlyMap<string, JobStatus> | undefined;
  if (recs.length > 0) {
    try {
      for (const { path, rec } of recs) {
        if (!rec) continue;
        const id = rec.jobId ?? await client.findByName(rec.jobName);
        if (id !== undefined) ids.set(path, id);
      }
      statuses = await client.poll([...new Set(ids.values())]);
    } catch (e) {
      error = (e as Error).message;
    }
  }

  const keptOut = new Set<string>();
  const remove = (p: string) => { if (!opts.dryRun) rmSync(p, { recursive: true, force: true }); };
  for (const { path, rec } of recs) {
    if (!rec) { records++; bytes += size(path); remove(path); continue; }
    const id = ids.get(path);
    const status = id !== undefined ? statuses?.get(id) : undefined;
    const exitFile = join(rec.dir, 'exit');
    let exit: number | undefined;
    try { exit = Number(readFileSync(exitFile, 'utf8')); } catch { /* still running, or killed */ }
    let finished: boolean;
    if (status && (status.phase === 'queued' || status.phase === 'running')) finished = false;
    else if (status) finished = true;
    else if (exit !== undefined) finished = true;
    else if (statuses && rec.jobId === undefined) finished = Date.now() - rec.submitted > SUBMIT_GRACE_MS;
    else finished = false;
    if (!finished) {
      if (status) active++; else undetermined++;
    } else {
      const ok = status ? status.phase === 'completed' || (status.phase === 'unknown' && exit === 0) : exit === 0;
      const waiting = ok && used.has(rec.key) && !store.readManifest(rec.key) && existsSync(rec.outDir);
      if (!waiting) {
        records++;
        bytes += size(path) + size(rec.outDir);
        if (existsSync(rec.outDir)) outputs++;
        remove(rec.outDir);
        remove(path);
        continue;
      }
      adoptable++;
    }
    keptOut.add(rec.outDir);
    runs.add(rec.run);
    keys.add(rec.key);
  }
  // output folders no record points at any more (a resubmission replaced the record)
  if (existsSync(outRoot)) {
    for (const d of readdirSync(outRoot)) {
      const p = join(outRoot, d);
      if (keptOut.has(p) || recs.some((r) => r.rec?.outDir === p && (opts.dryRun || existsSync(r.path)))) continue;
      outputs++;
      bytes += size(p);
      remove(p);
    }
  }
  return { runs, keys, active, adoptable, undetermined, records, outputs, bytes, ...(error !== undefined ? { error } : {}) };
}
