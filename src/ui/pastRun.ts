// Reading a past run for `fbw show`, `fbw logs` and `fbw open`: find the store, resolve a
// run id (exact, unique prefix, or `last`), replay its journal into a RunState.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readJournal, readRunRecordFile } from '../store/journal.js';
import { requireStore, StoreNotFound } from '../store/locateStore.js';
import { didYouMean } from '../util/suggest.js';
import { replayRun, type RunState } from './reduceRun.js';
import type { RunEvent } from '../protocol/events.js';

/** A run-level lookup failed: no store, unknown run, unknown stage, no report. */
export class RunNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunNotFound';
  }
}

/** The store folder, by the one rule of store/locateStore.ts (--store, the last run from cwd, the nearest .fbw/). */
export function findStore(cwd: string, flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return requireStore({ cwd, env, store: flag });
  } catch (e) {
    if (e instanceof StoreNotFound) throw new RunNotFound(e.message);
    throw e;
  }
}

/** Run ids in the store, oldest first (ids sort by start time). */
export function listRuns(store: string): string[] {
  const dir = path.join(store, 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => existsSync(path.join(dir, d, 'journal.jsonl'))).sort();
}

/** The run a replay re-ran, or undefined for a run of a workflow (`fbw run`). */
export function replayOf(store: string, id: string): string | undefined {
  try {
    const rec = readRunRecordFile(path.join(store, 'runs', id, 'graph.json'));
    // records written before replayOf existed still say how they were started
    return rec.replayOf ?? (rec.argv[0] === 'replay' ? rec.argv[1] ?? '?' : undefined);
  } catch {
    return undefined;
  }
}

/**
 * Resolve `last`/`latest`, an exact id, or a unique prefix or suffix of one. With `skipReplays`,
 * `last` is the latest run of a workflow: a replay of one stage is not "my experiment".
 */
export function resolveRun(store: string, arg: string, opts: { readonly skipReplays?: boolean } = {}): string {
  const runs = listRuns(store);
  if (runs.length === 0) throw new RunNotFound(`the store ${store} has no runs yet`);
  if (arg === 'last' || arg === 'latest' || arg === '-') {
    if (opts.skipReplays) for (let i = runs.length - 1; i >= 0; i--) if (replayOf(store, runs[i]!) === undefined) return runs[i]!;
    return runs[runs.length - 1]!;
  }
  if (runs.includes(arg)) return arg;
  const matches = runs.filter((r) => r.startsWith(arg) || r.endsWith(arg));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new RunNotFound(`run '${arg}' is ambiguous: ${matches.slice(-5).join(', ')}${matches.length > 5 ? ', …' : ''}`);
  const hint = didYouMean(arg, runs);
  throw new RunNotFound(`no run '${arg}' in ${store}${hint ? ` — did you mean '${hint}'?` : ''} (\`fbw runs\` lists them; 'last' is the latest)`);
}

/** A past run: its folder, events and replayed state. */
export interface PastRun {
  readonly id: string;
  readonly store: string;
  readonly dir: string;
  readonly events: readonly RunEvent[];
  readonly state: RunState;
}

/** Load a run's journal and replay it. */
export function loadRun(store: string, arg: string, opts: { readonly skipReplays?: boolean } = {}): PastRun {
  const id = resolveRun(store, arg, opts);
  const dir = path.join(store, 'runs', id);
  const events = readJournal(path.join(dir, 'journal.jsonl'));
  return { id, store, dir, events, state: replayRun(events) };
}

/** The log file of a stage in a run (the path the `started` event recorded, else the store layout). */
export function stageLogPath(run: PastRun, stage: string): string {
  const s = run.state.stages[stage];
  if (s?.log) return s.log;
  return path.join(run.dir, 'logs', `${stage.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}

/** For a stage that was cached in `run`: the earlier run that computed it (same stage id and key), newest first. */
export function computingRun(run: PastRun, stage: string): PastRun | undefined {
  const key = run.state.stages[stage]?.key;
  if (key === undefined) return undefined;
  const runs = listRuns(run.store).filter((id) => id < run.id).reverse();
  for (const id of runs) {
    let events: RunEvent[];
    try {
      events = readJournal(path.join(run.store, 'runs', id, 'journal.jsonl'));
    } catch {
      continue; // an unreadable old journal just isn't a candidate
    }
    if (events.some((e) => e.event === 'committed' && e.stage === stage && e.key === key)) {
      return { id, store: run.store, dir: path.join(run.store, 'runs', id), events, state: replayRun(events) };
    }
  }
  return undefined;
}

/** Resolve a stage argument: exact id, else a unique substring; errors suggest the closest id. */
export function resolveStage(run: PastRun, arg: string): string {
  const ids = run.state.order;
  if (ids.includes(arg)) return arg;
  const matches = ids.filter((id) => id.includes(arg));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new RunNotFound(`stage '${arg}' matches several stages of run ${run.id}: ${matches.slice(0, 6).join(', ')}${matches.length > 6 ? ', …' : ''}`);
  const hint = didYouMean(arg, ids);
  throw new RunNotFound(`run ${run.id} has no stage '${arg}'${hint ? ` — did you mean '${hint}'?` : ''}`);
}

/** Folder holding the run's report files, if it has one. */
export function reportDir(run: PastRun): string | undefined {
  const own = path.join(run.dir, 'report');
  if (existsSync(path.join(own, 'report.md')) || existsSync(path.join(own, 'report.html'))) return own;
  const rep = run.state.finished?.report;
  if (rep && existsSync(rep)) return statSync(rep).isDirectory() ? rep : path.dirname(rep);
  return undefined;
}
