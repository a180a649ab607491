// `fbw run FILE`: plan against the store, run what is not cached on the device slots, stream
// events to the terminal UI (or plain lines, or --json) and to the run's journal.
import { parseArgs } from 'node:util';
import type { Command, CommandIO } from '../command.js';
import { loadWorkflow, loadFailure } from '../../plan/loadWorkflow.js';
import { runGraph, type RunGraphResult } from '../../scheduler/runGraph.js';
import { StoreLocked } from '../../store/lock.js';
import { DiskFull } from '../../store/diskFull.js';
import { DevicesInvalid } from '../../devices/deviceSlots.js';
import { localExecutor } from '../../devices/localExecutor.js';
import type { RunEvent } from '../../protocol/events.js';
import { STOPS_ON_INTERRUPT } from '../../stages/contract.js';
import type { StageKind } from '../../registry/stageKind.js';
import type { Graph } from '../../compile/ir.js';
import type { Executor } from '../../protocol/executor.js';
import { executorFromArgs, EXECUTOR_FLAGS, EXECUTOR_HELP } from '../../executors/slurm/executorFromArgs.js';
import { SlurmConfigInvalid } from '../../executors/slurm/errors.js';
import { locateStore, rememberStore } from '../../store/locateStore.js';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { parseDevices } from '../../devices/deviceSlots.js';
import { predictedFailures, type PredictedFailure } from '../../plan/predictedFailures.js';

/** Pick the renderer as DESIGN.md §7 says: --json, a TTY, or plain lines. */
export async function makeRenderer(io: CommandIO, json: boolean): Promise<{ onEvent(e: RunEvent): void; close(): Promise<void> }> {
  // JSON lines need no UI code (and loading ink/react costs more than a cached run)
  if (json) {
    // lines are gathered and written once per tick: a cached run of 10,000 stages is a few writes
    let buf = '';
    const flush = () => { if (buf) { io.stdout.write(buf); buf = ''; } };
    return {
      onEvent: (e) => { if (!buf) setImmediate(flush); buf += JSON.stringify(e) + '\n'; if (e.event === 'finished') flush(); },
      close: async () => flush(),
    };
  }
  const { createRenderer } = await import('../../ui/index.js');
  const noColor = io.env['NO_COLOR'] !== undefined && io.env['NO_COLOR'] !== '';
  const mode = json ? 'json' : io.stdout.isTTY ? 'tty' : 'plain';
  return createRenderer({ mode, out: io.stdout, color: !noColor && mode === 'tty', ...(io.stdout.columns ? { columns: io.stdout.columns } : {}) });
}

export interface ExecuteOptions {
  readonly store?: string;
  readonly devices?: string;
  readonly keepGoing?: boolean;
  readonly json?: boolean;
  readonly wait?: boolean;
  readonly force?: ReadonlySet<string>;
  readonly argv: readonly string[];
  /** where stages run (default: local worker processes) */
  readonly executor?: Executor;
  /** set by `fbw replay`: the run it replays */
  readonly replayOf?: string;
}

/**
 * Split `--executor` and its SLURM flags from a command's own arguments. The store is found
 * from `--store` or the workflow beside which it lives (the SLURM executor checks it is shared).
 */
export function chooseExecutor(args: readonly string[], io: CommandIO, storeOf: (rest: readonly string[]) => string | undefined): { rest: string[]; executor?: Executor } | { error: string } {
  try {
    const first = executorFromArgs(args, { cwd: io.cwd, env: io.env });
    if (first.name === 'local') return { rest: first.rest };
    const store = storeOf(first.rest);
    const c = executorFromArgs(args, { cwd: io.cwd, env: io.env, ...(store ? { store } : {}) });
    return { rest: c.rest, ...(c.executor ? { executor: c.executor } : {}) };
  } catch (e) {
    if (e instanceof SlurmConfigInvalid) return { error: e.message };
    throw e;
  }
}

/** The plan predicts failures: the run stops before any stage starts. */
class PlanWillFail extends Error {
  constructor(readonly failures: readonly PredictedFailure[]) {
    super(`${failures.length} stage(s) will fail`);
    this.name = 'PlanWillFail';
  }
}

/**
 * `--devices` checked before anything launches: a GPU slot needs a GPU backend on this machine
 * (local workers only; a cluster node has its own), and more CPU workers than cores only share them.
 * Returns the line to refuse with, or undefined; warnings go to stderr.
 */
export function checkDevices(spec: string, local: boolean, io: CommandIO): string | undefined {
  let slots;
  try { slots = parseDevices(spec); } catch (e) { if (e instanceof DevicesInvalid) return e.message; throw e; }
  if (!local) return undefined;
  const gpus = slots.filter((s) => s.group === 'gpu');
  if (gpus.length) {
    try { createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu'); } catch {
      return `--devices ${spec}: ${gpus.map((g) => g.id).join(', ')} needs a GPU backend, and none is installed here (@tensorflow/tfjs-node-gpu with CUDA); use CPU workers (--devices cpu:${Math.max(1, availableParallelism())}), and see \`fbw doctor\` for what this machine has`;
    }
  }
  const cpus = slots.filter((s) => s.group === 'cpu').length;
  const cores = availableParallelism();
  if (cpus > cores) io.stderr.write(`fbw: warning: --devices ${spec} starts ${cpus} CPU workers on ${cores} core${cores === 1 ? '' : 's'}; they share the cores (each runs slower), so cpu:${cores} is usually as fast\n`);
  return undefined;
}

/** Run a graph from the CLI: Ctrl-C handling, renderer, exit code. Shared by run and replay. */
export async function executeFromCli(graph: Graph, opts: ExecuteOptions, io: CommandIO): Promise<number> {
  if (opts.devices) {
    const bad = checkDevices(opts.devices, opts.executor === undefined || opts.executor.name === 'local', io);
    if (bad) { io.stderr.write(`fbw ${opts.argv[0] ?? 'run'}: ${bad}\n`); return 2; }
  }
  const renderer = await makeRenderer(io, opts.json ?? false);
  const abort = new AbortController();
  const executor = opts.executor ?? localExecutor();
  // which stages run now, and of which kind: Ctrl-C says which of them finish rather than stop
  const kinds = new Map<string, string>();
  const running = new Set<string>();
  let runId = '';
  const track = (e: RunEvent) => {
    if (e.event === 'run') { runId = e.run; for (const s of e.stages) kinds.set(s.id, s.kind); }
    else if (e.event === 'started') running.add(e.stage);
    else if (e.event === 'committed' || e.event === 'failed' || e.event === 'interrupted' || e.event === 'skipped') { if (e.stage) running.delete(e.stage); }
  };
  const tty = !opts.json && io.stdout.isTTY === true;
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints === 1) {
      const finishing = [...running].filter((id) => !STOPS_ON_INTERRUPT.has(kinds.get(id) as StageKind));
      // the live view draws the line itself: text written beside ink would leave stale rows behind
      if (tty) renderer.onEvent({ event: 'interrupted', t: Date.now(), run: runId, ...(finishing.length ? { finishing } : {}) });
      else io.stderr.write(`\nfbw: interrupting — running stages checkpoint and stop${finishing.length ? `; ${finishing.join(', ')} ${finishing.length === 1 ? 'has' : 'have'} no checkpoint and ${finishing.length === 1 ? 'finishes' : 'finish'} first` : ''} (Ctrl-C again to stop at once)\n`);
      abort.abort();
    } else {
      executor.killAll();
      io.stderr.write('fbw: stopped at once; committed work is kept, `fbw run` resumes from the last checkpoints\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  // a polite stop from outside (kill, a batch system) is a first Ctrl-C
  const onSigterm = () => { if (sigints === 0) onSigint(); };
  process.on('SIGTERM', onSigterm);
  let result: RunGraphResult;
  // `fbw show last`, `fbw runs`, `fbw logs` typed later in this folder find this store
  rememberStore(io.cwd, locateStore({ cwd: io.cwd, env: io.env, store: opts.store, file: graph.file }), io.env);
  try {
    result = await runGraph(graph, {
      ...(opts.store ? { store: opts.store } : {}),
      ...(opts.devices ? { devices: opts.devices } : {}),
      keepGoing: opts.keepGoing ?? false,
      wait: opts.wait ?? false,
      onWait: (h) => io.stderr.write(`fbw: waiting for run ${h.run ?? '?'} (pid ${h.pid}) to release the store…\n`),
      subscribers: [(e) => { track(e); renderer.onEvent(e); }],
      signal: abort.signal,
      executor,
      ...(opts.force ? { force: opts.force } : {}),
      ...(opts.replayOf ? { replayOf: opts.replayOf } : {}),
      argv: opts.argv,
      cwd: io.cwd,
      env: io.env,
      // problems the plan already knows stop the run before any stage starts (--keep-going runs the rest)
      onPlan: (plan) => {
        const failing = predictedFailures(plan);
        if (!failing.length) return;
        if (!opts.keepGoing) throw new PlanWillFail(failing);
        for (const f of failing) io.stderr.write(`fbw: warning: ${f.stage} will fail: ${f.error}\n`);
      },
    });
  } catch (e) {
    await renderer.close();
    if (e instanceof PlanWillFail) {
      const cmd = opts.argv[0] ?? 'run';
      for (const f of e.failures) io.stderr.write(`fbw ${cmd}: ${f.stage}: ${f.error}\n`);
      io.stderr.write(`fbw ${cmd}: nothing started: fix ${e.failures.length === 1 ? 'this' : 'these'} first (or pass --keep-going to run the stages that do not depend on ${e.failures.length === 1 ? 'it' : 'them'})\n`);
      return 1;
    }
    if (e instanceof StoreLocked || e instanceof DiskFull) { io.stderr.write(`fbw run: ${e.message}\n`); return 1; }
    if (e instanceof DevicesInvalid) { io.stderr.write(`fbw run: ${e.message}\n`); return 2; }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
  await renderer.close();
  // a full disk stopped the run like Ctrl-C, but it is an error, not the user's choice: exit 1
  if (result.diskFull) { io.stderr.write(`fbw run: ${new DiskFull(result.store, result.diskFull).message}\n`); return 1; }
  return result.status === 'ok' ? 0 : result.status === 'interrupted' ? 130 : 1;
}

export const run: Command = {
  name: 'run',
  summary: 'run a workflow: cached, resumable, in parallel on the device slots',
  help: `Usage: fbw run FILE [--devices cpu:2,gpu:0] [--keep-going] [--json] [--store DIR] [--wait]

Runs every stage of FILE (.fbw, or a compiled graph .json) that is not already committed in
the store; committed stages are reused, an interrupted training stage resumes from its last
checkpoint.

Options:
  --devices LIST   device slots: cpu:N (N CPU workers), gpu:K (GPU number K); default cpu:<cores>.
                   The cores are shared between the CPU workers: cpu:1 = one worker on every
                   core, cpu:<cores> = one core each; threads=T gives each CPU worker T threads
                   (e.g. --devices cpu:1,threads=4)
  --keep-going     after a failure, let independent branches finish (default: stop launching)
  --json           print the event stream as JSON lines (last line: {"event":"finished",...})
  --store DIR      the store (default: .fbw/ beside FILE)
  --wait           if another run holds the store, wait for it instead of refusing
${EXECUTOR_HELP}

Ctrl-C stops cleanly: running stages checkpoint, the run ends "interrupted" (exit 130);
a second Ctrl-C stops at once. Run the same command again to resume.

Examples:
  fbw run workflows/quickstart.fbw
  fbw run sweep.fbw --devices cpu:2 --keep-going
  fbw run sweep.fbw --json | tail -1
`,
  flags: ['devices', 'keep-going', 'json', 'store', 'wait', ...EXECUTOR_FLAGS],
  async run(args0, io) {
    const ex = chooseExecutor(args0, io, (rest) => {
      try { const p = parse(rest); return p.positionals[0] || p.values.store ? locateStore({ cwd: io.cwd, env: io.env, store: p.values.store, file: p.positionals[0] }) : undefined; } catch { return undefined; }
    });
    if ('error' in ex) { io.stderr.write(`fbw run: ${ex.error}\n`); return 2; }
    const args = ex.rest;
    let v: ReturnType<typeof parse>;
    try { v = parse(args); } catch (e) { io.stderr.write(`fbw run: ${(e as Error).message}\nRun 'fbw run --help' for usage.\n`); return 2; }
    const file = v.positionals[0];
    if (!file || v.positionals.length > 1) { io.stderr.write(`fbw run: expected one workflow FILE\nRun 'fbw run --help' for usage.\n`); return 2; }
    const w = await loadWorkflow(file, io.cwd);
    if (!w.ok) { io.stderr.write(loadFailure('run', w)); return w.exitCode; }
    if (w.graph.stages.length === 0) {
      // nothing to do: say so, and leave no empty store behind
      io.stderr.write(`fbw run: ${file} has no statements; nothing to run (see workflows/quickstart.fbw for an example)\n`);
      return 0;
    }
    return executeFromCli(w.graph, {
      ...(v.values.store ? { store: v.values.store } : {}),
      ...(v.values.devices ? { devices: v.values.devices } : {}),
      keepGoing: v.values['keep-going'] ?? false, json: v.values.json ?? false, wait: v.values.wait ?? false,
      argv: ['run', ...args0],
      ...(ex.executor ? { executor: ex.executor } : {}),
    }, io);
  },
};

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args], allowPositionals: true, strict: true,
    options: { devices: { type: 'string' }, 'keep-going': { type: 'boolean' }, json: { type: 'boolean' }, store: { type: 'string' }, wait: { type: 'boolean' } },
  });
}
