// The site's SLURM options, from a JSON config file and from `fbw run` flags (flags win).
// Example file (fbw-slurm.json):
//   { "partition": "gpu", "account": "lab", "qos": "normal", "sbatch": ["--constraint=a100"],
//     "defaults": { "cpus": 2, "mem": "8G", "time": "04:00:00" },
//     "kinds": { "finetune": { "cpus": 8, "mem": "32G", "time": "12:00:00", "gpus": 1 } },
//     "setup": ["module load cuda"], "pollIntervalMs": 2000 }

import { readFileSync } from 'node:fs';
import type { StageKind } from '../../compile/ir.js';
import { didYouMean } from '../../util/suggest.js';
import { SlurmConfigInvalid } from './errors.js';

/** Resources for one kind of stage (or for all, under `defaults`). */
export interface KindResources {
  readonly cpus?: number;
  readonly mem?: string;
  readonly time?: string;
  readonly gpus?: number;
  readonly sbatch?: readonly string[];
}

/** Everything the site can say about how jobs are submitted. */
export interface SlurmOptions {
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  /** extra sbatch options for every job, verbatim */
  readonly sbatch?: readonly string[];
  readonly defaults?: KindResources;
  readonly kinds?: { readonly [K in StageKind]?: KindResources };
  /** shell lines run in each job before fbw starts */
  readonly setup?: readonly string[];
  /** how often the head polls squeue (ms, default 2000) */
  readonly pollIntervalMs?: number;
  /** leave the run's jobs running on Ctrl-C instead of scancel-ing them */
  readonly leaveJobs?: boolean;
}

const KINDS: readonly StageKind[] = ['pretrained', 'pretrain', 'zeroshot_head', 'finetune', 'continual', 'multitask', 'merge', 'ensemble', 'eval', 'report'];
const TOP = ['partition', 'account', 'qos', 'sbatch', 'defaults', 'kinds', 'setup', 'pollIntervalMs', 'leaveJobs'] as const;
const RES = ['cpus', 'mem', 'time', 'gpus', 'sbatch'] as const;
const MEM = /^\d+[KMGT]?$/i;
const TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$/;

function fail(src: string, msg: string): never { throw new SlurmConfigInvalid(src, msg); }

function checkKeys(src: string, where: string, o: object, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const hint = didYouMean(k, allowed);
      fail(src, `unknown key '${k}' in ${where}${hint ? ` — did you mean '${hint}'?` : ''} (allowed: ${allowed.join(', ')})`);
    }
  }
}

function str(src: string, where: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') fail(src, `${where} must be a non-empty string`);
  return v;
}

function strList(src: string, where: string, v: unknown): readonly string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(src, `${where} must be a list of strings`);
  return v as string[];
}

function resources(src: string, where: string, v: unknown): KindResources {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(src, `${where} must be an object`);
  checkKeys(src, where, v, RES);
  const o = v as Record<string, unknown>;
  if (o.cpus !== undefined && !(Number.isInteger(o.cpus) && (o.cpus as number) >= 1)) fail(src, `${where}.cpus must be an integer ≥ 1`);
  if (o.gpus !== undefined && !(Number.isInteger(o.gpus) && (o.gpus as number) >= 0)) fail(src, `${where}.gpus must be an integer ≥ 0`);
  if (o.mem !== undefined && !MEM.test(str(src, `${where}.mem`, o.mem))) fail(src, `${where}.mem '${String(o.mem)}' is not a SLURM size like 4096, 8G or 512M`);
  if (o.time !== undefined && !TIME.test(str(src, `${where}.time`, o.time))) fail(src, `${where}.time '${String(o.time)}' is not a SLURM time like 30, 02:00:00 or 1-12:00:00`);
  if (o.sbatch !== undefined) strList(src, `${where}.sbatch`, o.sbatch);
  return o as KindResources;
}

/** Validate a parsed config object; `src` names it in errors. */
export function validateSlurmOptions(v: unknown, src: string): SlurmOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(src, 'the top level must be a JSON object');
  checkKeys(src, 'the top level', v, TOP);
  const o = v as Record<string, unknown>;
  for (const k of ['partition', 'account', 'qos'] as const) if (o[k] !== undefined) str(src, k, o[k]);
  if (o.sbatch !== undefined) strList(src, 'sbatch', o.sbatch);
  if (o.setup !== undefined) strList(src, 'setup', o.setup);
  if (o.defaults !== undefined) resources(src, 'defaults', o.defaults);
  if (o.kinds !== undefined) {
    if (typeof o.kinds !== 'object' || o.kinds === null || Array.isArray(o.kinds)) fail(src, 'kinds must be an object keyed by stage kind');
    checkKeys(src, 'kinds', o.kinds, KINDS);
    for (const [k, r] of Object.entries(o.kinds)) resources(src, `kinds.${k}`, r);
  }
  if (o.pollIntervalMs !== undefined && !(typeof o.pollIntervalMs === 'number' && o.pollIntervalMs >= 100)) fail(src, 'pollIntervalMs must be a number ≥ 100');
  if (o.leaveJobs !== undefined && typeof o.leaveJobs !== 'boolean') fail(src, 'leaveJobs must be true or false');
  return o as SlurmOptions;
}

/** Read and validate a JSON config file. */
export function loadSlurmConfig(file: string): SlurmOptions {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { fail(file, `cannot read the file (${(e as Error).message})`); }
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { fail(file, `not valid JSON (${(e as Error).message})`); }
  return validateSlurmOptions(v, file);
}

/** `fbw run` flags this module understands (long names, for "did you mean"). */
export const SLURM_FLAGS = ['slurm-config', 'partition', 'account', 'qos', 'sbatch', 'leave-jobs'] as const;

/**
 * Take the SLURM flags out of an argument list: `--slurm-config FILE`, `--partition P`,
 * `--account A`, `--qos Q`, `--sbatch OPT` (repeatable), `--leave-jobs`; `--x=v` works too.
 * Returns the merged options (file first, flags override) and the other arguments untouched.
 */
export function parseSlurmFlags(args: readonly string[], cwd = process.cwd()): { options: SlurmOptions; rest: string[] } {
  const rest: string[] = [];
  const flags: { -readonly [K in keyof SlurmOptions]: SlurmOptions[K] } = {};
  const extra: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--(slurm-config|partition|account|qos|sbatch|leave-jobs)(?:=(.*))?$/.exec(a);
    if (!m) { rest.push(a); continue; }
    const name = m[1]!;
    if (name === 'leave-jobs') { flags.leaveJobs = true; continue; }
    const value = m[2] ?? args[++i];
    if (value === undefined || value === '') fail('the command line', `--${name} needs a value`);
    switch (name) {
      case 'slurm-config': file = value.startsWith('/') ? value : `${cwd}/${value}`; break;
      case 'partition': flags.partition = value; break;
      case 'account': flags.account = value; break;
      case 'qos': flags.qos = value; break;
      case 'sbatch': extra.push(value); break;
    }
  }
  const fromFile = file ? loadSlurmConfig(file) : {};
  const options: SlurmOptions = {
    ...fromFile, ...flags,
    ...(extra.length > 0 || fromFile.sbatch ? { sbatch: [...(fromFile.sbatch ?? []), ...extra] } : {}),
  };
  return { options, rest };
}
