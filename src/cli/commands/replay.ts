// `fbw replay RUN`: re-run a failed (or chosen) stage of a past run from the run's recorded
// graph — the same stage definitions and input keys — with its dependents if asked.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import type { Graph } from '../../compile/ir.js';
import { Store } from '../../store/Store.js';
import { readRunRecord } from '../../store/journal.js';
import { summarizeRun } from '../../store/runSummary.js';
import { didYouMean } from '../../util/suggest.js';
import { storeFor } from './runs.js';
import { executeFromCli, chooseExecutor } from './run.js';
import { EXECUTOR_FLAGS, EXECUTOR_HELP } from '../../executors/slurm/executorFromArgs.js';

/** The part of `graph` a replay runs: the chosen stages, their dependents if asked, and everything they read. */
export function replayGraph(graph: Graph, chosen: readonly string[], downstream: boolean): { graph: Graph; force: Set<string> } {
  const force = new Set(chosen);
  if (downstream) {
    for (const s of graph.stages) if (s.inputs.some((i) => force.has(i.stage))) force.add(s.id);
  }
  const keep = new Set(force);
  for (let i = graph.stages.length - 1; i >= 0; i--) {
    const s = graph.stages[i]!;
    if (keep.has(s.id)) for (const inp of s.inputs) keep.add(inp.stage);
  }
  return { graph: { file: graph.file, stages: graph.stages.filter((s) => keep.has(s.id)) }, force };
}

export const replay: Command = {
  name: 'replay',
  summary: 're-run a failed or chosen stage of a past run from its recorded inputs',
  help: `Usage: fbw replay RUN [--stage S]... [--downstream] [--store DIR] [--devices LIST] [--json]

Re-runs, from the graph recorded by run RUN, the stages that failed in it (or the stages named
with --stage), even if a result is committed. Their inputs are reused from the store (run
again if missing). With --downstream, every stage depending on them re-runs too.

Options:
  --stage S       a stage id to re-run (repeatable; default: the run's failed stages)
  --downstream    also re-run the stages that depend on them
  --store DIR     the store holding RUN (default: ./.fbw)
  --devices LIST  device slots, as for fbw run
  --json          print the event stream as JSON lines
${EXECUTOR_HELP}

Example:
  fbw replay 20250101-120000-ab12 --stage finetune.lora.mnist --downstream
`,
  flags: ['stage', 'downstream', 'store', 'devices', 'json', 'keep-going', ...EXECUTOR_FLAGS],
  async run(args0, io) {
    const ex = chooseExecutor(args0, io, (rest) => {
      const i = rest.findIndex((a) => a === '--store' || a.startsWith('--store='));
      return storeFor(io.cwd, i < 0 ? undefined : rest[i]!.includes('=') ? rest[i]!.split('=')[1] : rest[i + 1], undefined);
    });
    if ('error' in ex) { io.stderr.write(`fbw replay: ${ex.error}\n`); return 2; }
    const args = ex.rest;
    let v;
    try {
      v = parseArgs({ args: [...args], allowPositionals: true, options: { stage: { type: 'string', multiple: true }, downstream: { type: 'boolean' }, store: { type: 'string' }, devices: { type: 'string' }, json: { type: 'boolean' }, 'keep-going': { type: 'boolean' } } });
    } catch (e) { io.stderr.write(`fbw replay: ${(e as Error).message}\n`); return 2; }
    const runId = v.positionals[0];
    if (!runId) { io.stderr.write(`fbw replay: expected a RUN id (see fbw runs)\n`); return 2; }
    const dir = storeFor(io.cwd, v.values.store, undefined);
    const store = new Store(dir);
    if (!existsSync(join(store.runDir(runId), 'graph.json'))) {
      const hint = didYouMean(runId, store.listRuns());
      io.stderr.write(`fbw replay: no run '${runId}' in ${dir}${hint ? ` — did you mean '${hint}'?` : ''} (pass --store if it lives elsewhere)\n`);
      return 2;
    }
    const rec = readRunRecord(store, runId);
    let chosen = v.values.stage ?? [];
    if (!chosen.length) {
      chosen = [...summarizeRun(store, runId).failedStages];
      if (!chosen.length) { io.stderr.write(`fbw replay: run ${runId} has no failed stage; name one with --stage\n`); return 2; }
    }
    const ids = rec.graph.stages.map((s) => s.id);
    for (const c of chosen) {
      if (!ids.includes(c)) { const hint = didYouMean(c, ids); io.stderr.write(`fbw replay: run ${runId} has no stage '${c}'${hint ? ` — did you mean '${hint}'?` : ''}\n`); return 2; }
    }
    const r = replayGraph(rec.graph, chosen, v.values.downstream ?? false);
    return executeFromCli(r.graph, {
      store: dir, force: r.force, keepGoing: v.values['keep-going'] ?? false, json: v.values.json ?? false,
      ...(v.values.devices ? { devices: v.values.devices } : {}), argv: ['replay', ...args0],
      ...(ex.executor ? { executor: ex.executor } : {}),
    }, io);
  },
};
