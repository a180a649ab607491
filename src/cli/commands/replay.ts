// `fbw replay RUN`: re-run a failed (or chosen) stage of a past run from the run's recorded
// graph — the same stage definitions and input keys — with its dependents if asked.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import type { Graph } from '../../compile/ir.js';
import { Store } from '../../store/Store.js';
import { readRunRecord } from '../../store/journal.js';
import { PersistedFileInvalid } from '../../util/jsonFormat.js';
import { summarizeRun } from '../../store/runSummary.js';
import { didYouMean } from '../../util/suggest.js';
import { requireStore, StoreNotFound } from '../../store/locateStore.js';
import { resolveRun, RunNotFound } from '../../ui/pastRun.js';
import type { Manifest } from '../../store/manifest.js';
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

/** Keys of a stage's JSON records that measure the run rather than the result (wall time, speed, dates). */
const TIMING_KEY = /seconds|time|per_second|per_sec|throughput|created|date|elapsed|^pid$|^host/i;

/** A JSON value without its timing fields, so two runs of a deterministic stage compare equal. */
function withoutTiming(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTiming);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !TIMING_KEY.test(k)).map(([k, x]) => [k, withoutTiming(x)]));
  return v;
}

/** One line: does the output a replay just committed for `stage` equal what was committed before? */
export function compareReplay(stage: string, before: Manifest | undefined, store: Store, beforeJson: ReadonlyMap<string, string> = new Map()): string {
  const idx = store.readIndex(stage);
  const after = idx ? store.readManifest(idx.key) : undefined;
  if (!after || (before && after.created === before.created)) return `replay ${stage}: not recomputed (see the run above)`;
  if (!before) return `replay ${stage}: recomputed; there was no committed output to compare with`;
  const a = new Map(before.files.map((f) => [f.path, f.sha256] as const));
  const b = new Map(after.files.map((f) => [f.path, f.sha256] as const));
  const differ = [...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p) !== b.get(p)).sort();
  // JSON records that differ only in timing fields (merge.json's seconds, ...) hold the same result
  const timingOnly = differ.filter((p) => {
    const old = beforeJson.get(p);
    if (!p.endsWith('.json') || old === undefined || !b.has(p)) return false;
    try {
      const now = readFileSync(join(store.objectDir(after.key), p), 'utf8');
      return JSON.stringify(withoutTiming(JSON.parse(old))) === JSON.stringify(withoutTiming(JSON.parse(now)));
    } catch { return false; }
  });
  const real = differ.filter((p) => !timingOnly.includes(p));
  if (real.length === 0) return `replay ${stage}: recomputed output is identical to the committed one (${b.size} files${timingOnly.length ? `; ${timingOnly.join(', ')} differ only in timing fields` : ', same sha256'})`;
  return `replay ${stage}: recomputed output DIFFERS from the committed one in ${real.length} of ${Math.max(a.size, b.size)} files: ${real.slice(0, 5).join(', ')}${real.length > 5 ? ', …' : ''}`;
}

/** The JSON files of a committed object, read before a replay overwrites it (small: records, metrics). */
function jsonFiles(store: Store, m: Manifest | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (m) for (const f of m.files) if (f.path.endsWith('.json') && f.size < 1_000_000) { try { out.set(f.path, readFileSync(join(store.objectDir(m.key), f.path), 'utf8')); } catch { /* unreadable: compared by hash only */ } }
  return out;
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
  --store DIR     the store holding RUN (default: the store the last fbw run from this
                  folder used, else the nearest .fbw/ here or in a parent)
  --devices LIST  device slots, as for fbw run
  --json          print the event stream as JSON lines
${EXECUTOR_HELP}

RUN is a run id, a unique prefix or suffix of one, or 'last' (the latest run that is not itself
a replay). After the replay, one line per replayed stage says whether the recomputed output is
identical to the one committed before.

Exit codes: 0 replayed, 1 no such run/stage, a stage failed, or nothing to replay, 2 usage
error, 130 interrupted.

Examples:
  fbw replay last --stage merge.average
  fbw replay 20250101-120000-ab12 --stage finetune.lora.mnist --downstream
`,
  flags: ['stage', 'downstream', 'store', 'devices', 'json', 'keep-going', ...EXECUTOR_FLAGS],
  async run(args0, io) {
    const ex = chooseExecutor(args0, io, (rest) => {
      const i = rest.findIndex((a) => a === '--store' || a.startsWith('--store='));
      try { return requireStore({ cwd: io.cwd, env: io.env, store: i < 0 ? undefined : rest[i]!.includes('=') ? rest[i]!.split('=')[1] : rest[i + 1] }); } catch { return undefined; }
    });
    if ('error' in ex) { io.stderr.write(`fbw replay: ${ex.error}\n`); return 2; }
    const args = ex.rest;
    let v;
    try {
      v = parseArgs({ args: [...args], allowPositionals: true, options: { stage: { type: 'string', multiple: true }, downstream: { type: 'boolean' }, store: { type: 'string' }, devices: { type: 'string' }, json: { type: 'boolean' }, 'keep-going': { type: 'boolean' } } });
    } catch (e) { io.stderr.write(`fbw replay: ${(e as Error).message}\n`); return 2; }
    const runArg = v.positionals[0];
    if (!runArg || v.positionals.length > 1) { io.stderr.write(`fbw replay: expected one RUN (a run id, a unique prefix or suffix of one, or 'last'; see fbw runs)\nRun 'fbw replay --help' for usage.\n`); return 2; }
    let dir: string, runId: string;
    try {
      dir = requireStore({ cwd: io.cwd, env: io.env, store: v.values.store });
      runId = resolveRun(dir, runArg, { skipReplays: true });
    } catch (e) {
      if (e instanceof StoreNotFound || e instanceof RunNotFound) { io.stderr.write(`fbw replay: ${e.message}\n`); return 1; }
      throw e;
    }
    const store = new Store(dir);
    let rec;
    try { rec = readRunRecord(store, runId); } catch (e) {
      const why = e instanceof PersistedFileInvalid ? `: ${e.reason}` : '';
      io.stderr.write(`fbw replay: run ${runId} has no readable record (runs/${runId}/graph.json${why}), so its graph cannot be replayed\n`);
      return 1;
    }
    let chosen = v.values.stage ?? [];
    if (!chosen.length) {
      chosen = [...summarizeRun(store, runId).failedStages];
      if (!chosen.length) { io.stderr.write(`fbw replay: run ${runId} has no failed stage; name one with --stage (fbw show ${runId} lists them)\n`); return 1; }
    }
    const ids = rec.graph.stages.map((s) => s.id);
    for (const c of chosen) {
      if (!ids.includes(c)) { const hint = didYouMean(c, ids); io.stderr.write(`fbw replay: run ${runId} has no stage '${c}'${hint ? ` — did you mean '${hint}'?` : ''}\n`); return 1; }
    }
    const r = replayGraph(rec.graph, chosen, v.values.downstream ?? false);
    // what each replayed stage had committed before, to say whether the recomputation agrees
    const before = new Map<string, { manifest: Manifest | undefined; json: Map<string, string> }>();
    for (const id of r.force) { const k = rec.keys[id]; const m = k ? store.readManifest(k) : undefined; before.set(id, { manifest: m, json: jsonFiles(store, m) }); }
    const code = await executeFromCli(r.graph, {
      store: dir, force: r.force, keepGoing: v.values['keep-going'] ?? false, json: v.values.json ?? false,
      ...(v.values.devices ? { devices: v.values.devices } : {}), argv: ['replay', ...args0], replayOf: runId,
      ...(ex.executor ? { executor: ex.executor } : {}),
    }, io);
    const out = v.values.json ? io.stderr : io.stdout;
    for (const id of r.force) out.write(compareReplay(id, before.get(id)?.manifest, store, before.get(id)?.json) + '\n');
    return code;
  },
};
