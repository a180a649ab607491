// `fbw gc`: remove committed objects and checkpoints that none of the most recent runs uses
// (and the records of older runs), under the store lock.
import { parseArgs } from 'node:util';
import { existsSync, rmSync, readdirSync, statSync } from 'node:fs';
import type { Command } from '../command.js';
import { Store } from '../../store/Store.js';
import { readRunRecord, type RunRecord } from '../../store/journal.js';
import { acquireLock, StoreLocked } from '../../store/lock.js';
import { requireStore, StoreNotFound } from '../../store/locateStore.js';
import { sweepSlurm } from '../../executors/slurm/slurmGc.js';

/** What gc removed (or, with --dry-run, would remove): each object and checkpoint with the stage it held. */
export interface GcResult {
  readonly objects: readonly { readonly key: string; readonly stage?: string; readonly bytes: number }[];
  readonly checkpoints: readonly { readonly key: string; readonly stage?: string }[];
  readonly runs: readonly string[];
  readonly bytes: number;
  /** runs whose objects were kept: the most recent ones and the latest run of each workflow file */
  readonly keptRuns: readonly string[];
}

/** What gc must not remove whatever the runs say: runs and keys of SLURM jobs still queued or running. */
export interface GcProtect { readonly runs?: ReadonlySet<string>; readonly keys?: ReadonlySet<string> }

/**
 * Collect garbage in a store. Kept: everything the `keepRuns` most recent runs use, and everything
 * the latest run of each workflow file uses (a replay of one stage, or runs of other files, never
 * push an experiment's results out), and what `protect` names.
 */
export function collectGarbage(store: Store, keepRuns: number, dryRun = false, protect: GcProtect = {}): GcResult {
  const all = store.listRuns();
  const records = new Map<string, RunRecord | undefined>();
  for (const r of all) { try { records.set(r, readRunRecord(store, r)); } catch { records.set(r, undefined); /* a run without a record uses nothing */ } }
  const kept = new Set(all.slice(Math.max(0, all.length - keepRuns)));
  // the latest run (not a replay) of each workflow file
  const latestOfFile = new Map<string, string>();
  for (const r of all) {
    const rec = records.get(r);
    if (rec && !rec.replayOf && rec.argv[0] !== 'replay') latestOfFile.set(rec.graph.file, r);
  }
  for (const r of latestOfFile.values()) kept.add(r);
  const used = new Set<string>();
  const stageOf = new Map<string, string>();
  for (const r of all) {
    const rec = records.get(r);
    if (!rec) continue;
    for (const [stage, k] of Object.entries(rec.keys)) { stageOf.set(k, stage); if (kept.has(r)) used.add(k); }
  }
  for (const k of protect.keys ?? []) used.add(k);
  const size = (dir: string): number => {
    let n = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? size(`${dir}/${e.name}`) : e.isFile() ? statSync(`${dir}/${e.name}`).size : 0;
    return n;
  };
  const objects: { key: string; stage?: string; bytes: number }[] = [];
  const checkpoints: { key: string; stage?: string }[] = [];
  const runs: string[] = [];
  for (const k of store.listObjects()) {
    if (used.has(k)) continue;
    const stage = stageOf.get(k);
    objects.push({ key: k, ...(stage ? { stage } : {}), bytes: size(store.objectDir(k)) });
    if (!dryRun) store.discard(k);
  }
  if (existsSync(store.checkpoints)) for (const k of readdirSync(store.checkpoints)) {
    if (used.has(k)) continue;
    const stage = stageOf.get(k);
    checkpoints.push({ key: k, ...(stage ? { stage } : {}) });
    if (!dryRun) rmSync(store.checkpointDir(k), { recursive: true, force: true });
  }
  for (const r of all) {
    if (kept.has(r) || protect.runs?.has(r)) continue;
    runs.push(r);
    if (!dryRun) rmSync(store.runDir(r), { recursive: true, force: true });
  }
  return { objects, checkpoints, runs, bytes: objects.reduce((a, o) => a + o.bytes, 0), keptRuns: all.filter((r) => kept.has(r)) };
}

export const gc: Command = {
  name: 'gc',
  summary: 'remove objects, checkpoints and old runs that no recent run uses',
  help: `Usage: fbw gc [FILE] [--keep-runs N] [--store DIR] [--dry-run]

Keeps every committed object and checkpoint used by the N most recent runs (default 10) and by
the latest run of each workflow file (so a replay or another workflow's runs never push an
experiment's results out), and removes the rest, along with the records of the other runs.
--dry-run lists each object (with the stage that made it), checkpoint and run it would remove. Takes the store lock, so it never
races a running workflow. SLURM jobs (--executor slurm) still queued or running keep their
re-attach records (slurm/jobs/), outputs (slurm/out/), run folder and checkpoints; finished
jobs' records and outputs are removed (squeue/scontrol are asked; SLURM_CONF from the env).

Options:
  --keep-runs N   keep what the N most recent runs use (default 10)
  --store DIR     the store (default: beside FILE, else as for fbw runs)
  --dry-run       remove nothing; list what would be removed
  --json          print the result as one JSON object

Exit codes: 0 done, 1 no store or the store is in use, 2 usage error.

Example:
  fbw gc --keep-runs 3 --dry-run
`,
  flags: ['keep-runs', 'store', 'dry-run', 'json'],
  async run(args, io) {
    let v;
    const norm = args.flatMap((a, i) => (a === '--keep-runs' && args[i + 1] !== undefined ? [`--keep-runs=${args[i + 1]}`] : args[i - 1] === '--keep-runs' ? [] : [a]));
    try { v = parseArgs({ args: norm, allowPositionals: true, options: { 'keep-runs': { type: 'string' }, store: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } }); } catch (e) {
      io.stderr.write(`fbw gc: ${(e as Error).message}\nRun 'fbw gc --help' for usage.\n`); return 2;
    }
    const keepArg = v.values['keep-runs'];
    if (keepArg !== undefined && !/^\d+$/.test(keepArg)) { io.stderr.write(`fbw gc: --keep-runs expects a whole number, got '${keepArg}'\nRun 'fbw gc --help' for usage.\n`); return 2; }
    const keep = keepArg === undefined ? 10 : Number(keepArg);
    if (v.positionals.length > 1) { io.stderr.write(`fbw gc: expected at most one workflow FILE\nRun 'fbw gc --help' for usage.\n`); return 2; }
    let dir: string;
    try { dir = requireStore({ cwd: io.cwd, env: io.env, store: v.values.store, file: v.positionals[0] }); } catch (e) {
      if (e instanceof StoreNotFound) { io.stderr.write(`fbw gc: ${e.message}\n`); return 1; }
      throw e;
    }
    const store = new Store(dir);
    let lock;
    try { lock = acquireLock(store.lockFile, { command: 'gc' }); } catch (e) {
      if (e instanceof StoreLocked) { io.stderr.write(`fbw gc: ${e.message}\n`); return 1; }
      throw e;
    }
    try {
      // SLURM jobs still queued or running keep their records, outputs, run folders and checkpoints
      const slurm = await sweepSlurm(store, { keepRuns: keep, dryRun: v.values['dry-run'] ?? false, env: io.env });
      const dry = v.values['dry-run'] ?? false;
      const r = collectGarbage(store, keep, dry, { runs: slurm.runs, keys: slurm.keys });
      if (v.values.json) {
        io.stdout.write(JSON.stringify({ dryRun: dry, store: dir, ...r, slurm: { records: slurm.records, outputs: slurm.outputs, active: slurm.active, adoptable: slurm.adoptable, undetermined: slurm.undetermined, bytes: slurm.bytes } }) + '\n');
        return 0;
      }
      if (dry) {
        for (const o of r.objects) io.stdout.write(`  object      ${o.key.slice(0, 12)}  ${o.stage ?? '(no run names it)'}  ${(o.bytes / 1e6).toFixed(2)} MB\n`);
        for (const c of r.checkpoints) io.stdout.write(`  checkpoint  ${c.key.slice(0, 12)}  ${c.stage ?? '(no run names it)'}\n`);
        for (const id of r.runs) io.stdout.write(`  run         ${id}\n`);
      }
      io.stdout.write(`${dry ? 'would remove' : 'removed'} ${r.objects.length} objects (${(r.bytes / 1e6).toFixed(1)} MB), ${r.checkpoints.length} checkpoint folders, ${r.runs.length} old runs; kept what the last ${keep} runs and the latest run of each workflow use (${r.keptRuns.length} runs)\n`);
      if (slurm.records + slurm.outputs + slurm.active + slurm.adoptable + slurm.undetermined > 0) {
        io.stdout.write(`SLURM: ${v.values['dry-run'] ? 'would remove' : 'removed'} ${slurm.records} records and ${slurm.outputs} output folders of finished jobs (${(slurm.bytes / 1e6).toFixed(1)} MB); kept ${slurm.active} of jobs queued or running, ${slurm.adoptable} results awaiting adoption`
          + (slurm.undetermined ? `, ${slurm.undetermined} whose state SLURM could not tell (${slurm.error ?? 'no answer'}; run gc where squeue works to clean them)` : '') + '\n');
      }
    } finally { lock.release(); }
    return 0;
  },
};
