// One run of a compiled graph, end to end: take the store lock, plan, record the run (graph,
// keys, journal), execute on the device slots, release. `fbw run`, `fbw replay` and tests call it.
import { rmSync, readdirSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import type { Graph } from '../compile/ir.js';
import type { RunEvent } from '../protocol/events.js';
import type { Executor } from '../protocol/executor.js';
import { Store } from '../store/Store.js';
import { storeBesideWorkflow, storeFlag, shellWord } from '../store/locateStore.js';
import { Journal, newRunId, writeRunRecord } from '../store/journal.js';
import { acquireLock, waitForLock, type LockInfo } from '../store/lock.js';
import { DiskFull, diskFullCode } from '../store/diskFull.js';
import { planRun, type Plan } from '../plan/planRun.js';
import { parseDevices, defaultDevices } from '../devices/deviceSlots.js';
import { localExecutor } from '../devices/localExecutor.js';
import { runPlan, type RunResult } from './runPlan.js';

export interface RunGraphOptions {
  /** store folder (default: .fbw beside the workflow file) */
  readonly store?: string;
  readonly devices?: string;
  readonly keepGoing?: boolean;
  /** wait for another run's lock instead of refusing */
  readonly wait?: boolean;
  readonly onWait?: (holder: LockInfo) => void;
  /** subscribers of the event stream besides the journal */
  readonly subscribers?: readonly ((e: RunEvent) => void)[];
  readonly signal?: AbortSignal;
  readonly executor?: Executor;
  /** stage ids to re-run even when cached (replay) */
  readonly force?: ReadonlySet<string>;
  readonly argv?: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** the run this one replays (`fbw replay`): recorded so `fbw runs` says so and `last` skips it */
  readonly replayOf?: string;
  /** called once planning is done, before anything runs */
  readonly onPlan?: (plan: Plan, runId: string) => void;
}

export interface RunGraphResult extends RunResult {
  readonly run: string;
  readonly store: string;
  readonly journal: string;
  readonly planSeconds: number;
}

/** The default store of a workflow: `.fbw/` beside it (store/locateStore.ts holds the whole rule). */
export function defaultStoreDir(file: string): string {
  return storeBesideWorkflow(file);
}

/**
 * Run a graph against a store. Throws StoreLocked / DevicesInvalid before anything starts, and
 * DiskFull when the store's filesystem is too full to start; a disk that fills during the run
 * stops it like an interrupted one (the result's `diskFull`).
 */
export async function runGraph(graph: Graph, opts: RunGraphOptions = {}): Promise<RunGraphResult> {
  const storeDir = resolve(opts.cwd ?? process.cwd(), opts.store ?? defaultStoreDir(graph.file));
  // a cluster executor places stages itself: its default only caps the jobs in flight
  const slots = parseDevices(opts.devices ?? opts.executor?.placement?.defaultDevices ?? defaultDevices());
  try {
    return await runGraphIn(storeDir, slots, graph, opts);
  } catch (e) {
    const code = diskFullCode(e);
    throw code === undefined ? e : new DiskFull(storeDir, code);
  }
}

async function runGraphIn(storeDir: string, slots: ReturnType<typeof parseDevices>, graph: Graph, opts: RunGraphOptions): Promise<RunGraphResult> {
  const store = new Store(storeDir).init();
  const run = newRunId();
  const lock = opts.wait ? await waitForLock(store.lockFile, { run, command: 'run' }, opts.onWait) : acquireLock(store.lockFile, { run, command: 'run' });
  let journal: Journal | undefined;
  try {
    // we hold the lock: whatever is in tmp/ was left by a dead run
    for (const d of readdirSync(store.tmp)) rmSync(join(store.tmp, d), { recursive: true, force: true });
    const t0 = performance.now();
    const plan = await planRun(graph, store, { ...(opts.force ? { force: opts.force } : {}), ...(opts.env ? { env: opts.env } : {}) });
    const planSeconds = (performance.now() - t0) / 1000;
    opts.onPlan?.(plan, run);
    journal = new Journal(store.runDir(run));
    const keys: Record<string, string> = {};
    for (const p of plan.stages) if (p.key) keys[p.stage.id] = p.key;
    writeRunRecord(store, run, { graph, keys, argv: opts.argv ?? [], cwd: opts.cwd ?? process.cwd(), devices: slots.map((s) => s.id), ...(opts.replayOf ? { replayOf: opts.replayOf } : {}) });
    const j = journal;
    const subs = opts.subscribers ?? [];
    // the replay hint names the store whenever `fbw replay` typed here would not find it
    const flag = storeFlag(storeDir, opts.cwd ?? process.cwd(), opts.env ?? process.env);
    const result = await runPlan({
      store, run, plan, executor: opts.executor ?? localExecutor(), slots, keepGoing: opts.keepGoing ?? false,
      // the view still sees an event the journal could not write (a full disk: runPlan stops the run)
      emit: (e) => { try { j.append(e); } finally { for (const s of subs) s(e); } },
      signal: opts.signal ?? new AbortController().signal,
      workflowDir: dirname(resolve(graph.file)),
      replayCommand: (id) => `fbw replay ${run} --stage ${shellWord(id)}${flag}`,
      file: graph.file,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
      ...(opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {}),
    });
    return { ...result, run, store: storeDir, journal: j.path, planSeconds };
  } finally {
    // the lock outlives nothing: released even when closing the journal throws (a full disk)
    try { journal?.close(); } catch (e) { if (diskFullCode(e) === undefined) throw e; } finally { lock.release(); }
  }
}
