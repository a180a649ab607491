// `fbw gc`: remove committed objects and checkpoints that none of the most recent runs uses
// (and the records of older runs), under the store lock.
import { parseArgs } from 'node:util';
import { existsSync, rmSync, readdirSync, statSync } from 'node:fs';
import type { Command } from '../command.js';
import { Store } from '../../store/Store.js';
import { readRunRecord } from '../../store/journal.js';
import { acquireLock, StoreLocked } from '../../store/lock.js';
import { storeFor } from './runs.js';
import { sweepSlurm } from '../../executors/slurm/slurmGc.js';

export interface GcResult { readonly objects: number; readonly checkpoints: number; readonly runs: number; readonly bytes: number }

/** What gc must not remove whatever the runs say: runs and keys of SLURM jobs still queued or running. */
export interface GcProtect { readonly runs?: ReadonlySet<string>; readonly keys?: ReadonlySet<string> }

/** Collect garbage in a store: keep what the `keepRuns` most recent runs use (and what `protect` names). */
export function collectGarbage(store: Store, keepRuns: number, dryRun = false, protect: GcProtect = {}): GcResult {
  const all = store.listRuns();
  const kept = all.slice(Math.max(0, all.length - keepRuns));
  const used = new Set<string>();
  for (const r of kept) { try { for (const k of Object.values(readRunRecord(store, r).keys)) used.add(k); } catch { /* a run without a record uses nothing */ } }
  for (const k of protect.keys ?? []) used.add(k);
  let objects = 0, checkpoints = 0, runs = 0, bytes = 0;
  const size = (dir: string): number => {
    let n = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? size(`${dir}/${e.name}`) : e.isFile() ? statSync(`${dir}/${e.name}`).size : 0;
    return n;
  };
  for (const k of store.listObjects()) {
    if (used.has(k)) continue;
    bytes += size(store.objectDir(k));
    objects++;
    if (!dryRun) store.discard(k);
  }
  if (existsSync(store.checkpoints)) for (const k of readdirSync(store.checkpoints)) {
    if (used.has(k)) continue;
    checkpoints++;
    if (!dryRun) rmSync(store.checkpointDir(k), { recursive: true, force: true });
  }
  for (const r of all.slice(0, all.length - kept.length)) {
    if (protect.runs?.has(r)) continue;
    runs++;
    if (!dryRun) rmSync(store.runDir(r), { recursive: true, force: true });
  }
  return { objects, checkpoints, runs, bytes };
}

export const gc: Command = {
  name: 'gc',
  summary: 'remove objects, checkpoints and old runs that no recent run uses',
  help: `Usage: fbw gc [FILE] [--keep-runs N] [--store DIR] [--dry-run]

Keeps every committed object and checkpoint used by the N most recent runs (default 10) and
removes the rest, along with the records of older runs. Takes the store lock, so it never
races a running workflow. SLURM jobs (--executor slurm) still queued or running keep their
re-attach records (slurm/jobs/), outputs (slurm/out/), run folder and checkpoints; finished
jobs' records and outputs are removed (squeue/scontrol are asked; SLURM_CONF from the env).

Example:
  fbw gc --keep-runs 3 --dry-run
`,
  flags: ['keep-runs', 'store', 'dry-run'],
  async run(args, io) {
    let v;
    try { v = parseArgs({ args: [...args], allowPositionals: true, options: { 'keep-runs': { type: 'string' }, store: { type: 'string' }, 'dry-run': { type: 'boolean' } } }); } catch (e) {
      io.stderr.write(`fbw gc: ${(e as Error).message}\n`); return 2;
    }
    const keep = v.values['keep-runs'] === undefined ? 10 : Number(v.values['keep-runs']);
    if (!Number.isInteger(keep) || keep < 0) { io.stderr.write(`fbw gc: --keep-runs expects a whole number, got '${v.values['keep-runs']}'\n`); return 2; }
    const dir = storeFor(io.cwd, v.values.store, v.positionals[0]);
    if (!existsSync(dir)) { io.stderr.write(`fbw gc: no store at ${dir}\n`); return 1; }
    const store = new Store(dir);
    let lock;
    try { lock = acquireLock(store.lockFile, { command: 'gc' }); } catch (e) {
      if (e instanceof StoreLocked) { io.stderr.write(`fbw gc: ${e.message}\n`); return 1; }
      throw e;
    }
    try {
      // SLURM jobs still queued or running keep their records, outputs, run folders and checkpoints
      const slurm = await sweepSlurm(store, { keepRuns: keep, dryRun: v.values['dry-run'] ?? false, env: io.env });
      const r = collectGarbage(store, keep, v.values['dry-run'] ?? false, { runs: slurm.runs, keys: slurm.keys });
      io.stdout.write(`${v.values['dry-run'] ? 'would remove' : 'removed'} ${r.objects} objects (${(r.bytes / 1e6).toFixed(1)} MB), ${r.checkpoints} checkpoint folders, ${r.runs} old runs; kept what the last ${keep} runs use\n`);
      if (slurm.records + slurm.outputs + slurm.active + slurm.adoptable + slurm.undetermined > 0) {
        io.stdout.write(`SLURM: ${v.values['dry-run'] ? 'would remove' : 'removed'} ${slurm.records} records and ${slurm.outputs} output folders of finished jobs (${(slurm.bytes / 1e6).toFixed(1)} MB); kept ${slurm.active} of jobs queued or running, ${slurm.adoptable} results awaiting adoption`
          + (slurm.undetermined ? `, ${slurm.undetermined} whose state SLURM could not tell (${slurm.error ?? 'no answer'}; run gc where squeue works to clean them)` : '') + '\n');
      }
    } finally { lock.release(); }
    return 0;
  },
};
