// `fbw run` / `fbw replay` flags that choose where stages run: `--executor local|slurm` plus the
// SLURM options. One function so both commands accept the same flags with the same errors.

import { parseSlurmFlags, SLURM_FLAGS } from './config.js';
import { SlurmConfigInvalid } from './errors.js';
import { slurmExecutor, type SlurmExecutor } from './slurmExecutor.js';
import { didYouMean } from '../../util/suggest.js';

/** The executors `--executor` accepts. */
export const EXECUTORS = ['local', 'slurm'] as const;
/** One of EXECUTORS. */
export type ExecutorName = (typeof EXECUTORS)[number];

/** Long flags this adds to a command (for its `flags` list and "did you mean"). */
export const EXECUTOR_FLAGS: readonly string[] = ['executor', ...SLURM_FLAGS];

/** Lines for a command's help text. */
export const EXECUTOR_HELP = `  --executor NAME      where stages run: local (worker processes, default) or slurm (one sbatch job
                       per stage; the store must be on a filesystem the nodes share)
  --slurm-config FILE  SLURM options as JSON: partition, account, qos, sbatch [...], defaults and
                       kinds.<kind> {cpus, mem, time, gpus}, setup [...], pollIntervalMs
  --partition P, --account A, --qos Q   override the config file
  --sbatch OPT         extra sbatch option for every job (repeatable), e.g. --sbatch=--constraint=a100
  --leave-jobs         on Ctrl-C leave the run's SLURM jobs running (the next run re-attaches)
  Under slurm, --devices cpu:N only caps the jobs in flight (default cpu:64) and a stage
  'on gpu' needs no local GPU: its job asks for --gres=gpu:k and SLURM places it.`;

/** The executor the flags chose and the arguments left for the command. */
export interface ExecutorChoice {
  readonly name: ExecutorName;
  /** the slurm executor, when chosen; undefined means the local one */
  readonly executor?: SlurmExecutor;
  /** the arguments this did not consume */
  readonly rest: string[];
}

/**
 * Take `--executor` and the SLURM flags out of `args`. SLURM flags without `--executor slurm`
 * are an error (they would be silently ignored otherwise). Throws SlurmConfigInvalid.
 */
export function executorFromArgs(args: readonly string[], io: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly store?: string }): ExecutorChoice {
  let name: ExecutorName = 'local';
  const others: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--executor(?:=(.*))?$/.exec(a);
    if (!m) { others.push(a); continue; }
    const v = m[1] ?? args[++i];
    if (v === undefined || v === '') throw new SlurmConfigInvalid('the command line', '--executor needs a value: local or slurm');
    if (!(EXECUTORS as readonly string[]).includes(v)) {
      const hint = didYouMean(v, EXECUTORS);
      throw new SlurmConfigInvalid('the command line', `unknown executor '${v}'${hint ? ` — did you mean '${hint}'?` : ''} (choose local or slurm)`);
    }
    name = v as ExecutorName;
  }
  const { options, rest } = parseSlurmFlags(others, io.cwd);
  if (name === 'local') {
    const used = others.filter((a) => !rest.includes(a) && a.startsWith('--'));
    if (used.length > 0) throw new SlurmConfigInvalid('the command line', `${used[0]!.split('=')[0]} only applies with --executor slurm`);
    return { name, rest };
  }
  return { name, rest, executor: slurmExecutor({ options, env: io.env, ...(io.store ? { store: io.store } : {}) }) };
}
